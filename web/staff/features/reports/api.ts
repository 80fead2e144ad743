import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { get } from '../../../lib/api';
import type { ReplyTimesReport } from '../../../../common/contract/reports.js';

/** The reply-times report for a range and a grouping; `query` holds from, to and groupBy. */
export function useReplyTimes(query: string, enabled: boolean) {
  return useQuery({
    queryKey: ['admin', 'reports', 'reply-times', query],
    queryFn: () => get<ReplyTimesReport>(`/admin/reports/reply-times?${query}`),
    enabled,
    // The previous figures stay on screen while another range loads.
    placeholderData: keepPreviousData,
    retry: false,
  });
}

/** Where Export CSV downloads the same report. */
export const replyTimesCsvHref = (query: string) =>
  `/api/v1/admin/reports/reply-times.csv?${query}`;
