import { useInfiniteQuery } from '@tanstack/react-query';
import { pagedList } from '../../../lib/api';
import type { AuditPage } from '../../../../common/contract/audit.js';

/** System Activity: the chamber's audit events, newest first; `query` holds the filters. */
export function useAuditEvents(query: string) {
  return useInfiniteQuery({
    queryKey: ['admin', 'audit', query],
    ...pagedList<AuditPage>(`/admin/audit?${query}`),
  });
}
