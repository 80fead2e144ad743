import { useQuery } from '@tanstack/react-query';
import { get } from '../../../lib/api';
import { sessionApi } from '../../../lib/session';
import type { StaffSession } from '../../../../common/contract/auth.js';
import type { RoleList } from '../../../../common/contract/roles.js';

/** The staff user's session: sign-in, sign-out, password reset, the remembered clinic code. */
export const staffSession = sessionApi<StaffSession>('staff', {
  personId: (s) => s.user.id,
  email: (s) => s.user.email,
});

/** The chamber's roles, for the reply form and User Management. */
export function useRoles() {
  return useQuery({
    queryKey: ['roles'],
    queryFn: () => get<RoleList>('/roles'),
    staleTime: 60_000,
  });
}
