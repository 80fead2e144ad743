import { useQuery } from '@tanstack/react-query';
import { get } from '../../../lib/api';
import type { ClinicInfo, ReplyTime } from '../../../../common/contract/clinic.js';

/**
 * What the portal shows of the clinic (rules 12 to 14): its phone, today's office hours, the
 * emergency advice and the red flag phrases. With a clinic code (before sign-in) that clinic's;
 * without one, the signed-in patient's own. An unknown code answers 404: nothing is shown.
 */
export function useClinicInfo(chamber?: string) {
  const code = chamber?.trim() ?? '';
  return useQuery({
    queryKey: ['portal', 'clinic', code],
    queryFn: () =>
      get<ClinicInfo>(
        code ? `/portal/clinic?chamber=${encodeURIComponent(code)}` : '/portal/clinic',
      ),
    staleTime: 5 * 60_000,
    retry: false,
  });
}

/** When a message sent now would be answered by (rule 12); it moves on with the clock. */
export function useReplyTime(enabled = true) {
  return useQuery({
    enabled,
    queryKey: ['portal', 'reply-time'],
    queryFn: () => get<ReplyTime>('/portal/reply-time'),
    staleTime: 60_000,
    refetchInterval: 60_000,
    retry: false,
  });
}
