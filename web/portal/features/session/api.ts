import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, del, get, post } from '../../../lib/api';
import { resetCache } from '../../../lib/query';
import { clinicMemory } from '../../../lib/clinic';

export interface PortalSession {
  patient: { id: string; name: string };
  chamber: { key: string; name: string; timeZone: string };
  messaging: { allowed: boolean; reason: string | null; message: string | null };
  sessionIdleMinutes: number;
}

/** The signed-in patient, or null when signed out. */
export function usePortalSession() {
  return useQuery({
    queryKey: ['session'],
    queryFn: async () => {
      try {
        return await get<PortalSession>('/portal/session');
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 30_000,
  });
}

export const signIn = (values: { chamber: string; email: string; password: string }) =>
  post<PortalSession>('/portal/session', values);
export const signOut = () => del<{ ok: true }>('/portal/session');
export const requestReset = (values: { chamber: string; email: string }) =>
  post<{ message: string }>('/portal/password-reset', values);
export const setPassword = (values: { token: string; password: string }) =>
  post<{ ok: true }>('/portal/password', values);

export function useSignOut() {
  const client = useQueryClient();
  return async () => {
    await signOut().catch(() => undefined);
    resetCache(client, null);
  };
}

const clinic = clinicMemory('portal.clinic');

/** The clinic code from `?clinic=` or the one used last. */
export const rememberedClinic = (): string => clinic.remembered();
export const rememberClinic = (key: string): void => clinic.remember(key);
