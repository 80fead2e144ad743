import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, del, get, post } from '../../../lib/api';
import { resetCache } from '../../../lib/query';
import { clinicMemory } from '../../../lib/clinic';

export interface Role {
  id: string;
  name: string;
}

export interface StaffSession {
  user: { id: string; name: string; email: string; isAdmin: boolean; roles: Role[] };
  chamber: { key: string; name: string; timeZone: string };
  sessionIdleMinutes: number;
}

/** The signed-in staff user, or null when signed out. */
export function useStaffSession() {
  return useQuery({
    queryKey: ['session'],
    queryFn: async () => {
      try {
        return await get<StaffSession>('/staff/session');
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 30_000,
  });
}

export const signIn = (values: { chamber: string; email: string; password: string }) =>
  post<StaffSession>('/staff/session', values);
export const requestReset = (values: { chamber: string; email: string }) =>
  post<{ message: string }>('/staff/password-reset', values);
export const setPassword = (values: { token: string; password: string }) =>
  post<{ ok: true }>('/staff/password', values);

export function useSignOut() {
  const client = useQueryClient();
  return async () => {
    await del('/staff/session').catch(() => undefined);
    resetCache(client, null);
  };
}

const clinic = clinicMemory('staff.clinic');

/** The clinic code from `?clinic=` or the one used last. */
export const rememberedClinic = (): string => clinic.remembered();
export const rememberClinic = (key: string): void => clinic.remember(key);

export function useRoles() {
  return useQuery({
    queryKey: ['roles'],
    queryFn: () =>
      get<{
        roles: (Role & { isBuiltIn: boolean; memberCount: number; activeMemberCount: number })[];
      }>('/roles'),
    staleTime: 60_000,
  });
}
