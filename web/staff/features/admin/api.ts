import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { del, get, patch, post, put } from '../../../lib/api';

export interface Settings {
  chamber: { key: string; name: string };
  patientPortalEnabled: boolean;
  roleForNewMessages: { id: string; name: string; activeMemberCount: number } | null;
  roleForNewMessagesWarning: string | null;
  sharedItemsEmailEnabled: boolean;
  timeZone: string;
}
export interface Band {
  id: string;
  name: string;
  onlineAccess: 'none' | 'allow_and_notify' | 'allow_no_notifications';
  allowOnlineMessaging: boolean;
  onlineSignUpInviteCode: string;
  patientCount: number;
}
export interface User {
  id: string;
  name: string;
  email: string;
  isAdmin: boolean;
  active: boolean;
  hasPassword: boolean;
  roleIds: string[];
}

export const useSettings = () =>
  useQuery({ queryKey: ['admin', 'settings'], queryFn: () => get<Settings>('/admin/settings') });
export function useSaveSettings() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (
      changes: Partial<{
        patientPortalEnabled: boolean;
        roleForNewMessagesId: string;
        sharedItemsEmailEnabled: boolean;
        timeZone: string;
      }>,
    ) => patch<Settings>('/admin/settings', changes),
    onSuccess: (s) => client.setQueryData(['admin', 'settings'], s),
  });
}

export const useBands = () =>
  useQuery({
    queryKey: ['admin', 'bands'],
    queryFn: () => get<{ chargeBands: Band[] }>('/admin/charge-bands'),
  });
export function useBandMutation<T>(fn: (input: T) => Promise<unknown>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => client.invalidateQueries({ queryKey: ['admin', 'bands'] }),
  });
}
export const createBand = (name: string) => post<Band>('/admin/charge-bands', { name });
export const updateBand = (
  id: string,
  changes: Partial<Pick<Band, 'name' | 'allowOnlineMessaging' | 'onlineSignUpInviteCode'>>,
) => patch<Band>(`/admin/charge-bands/${id}`, changes);
export const setOnlineAccess = (id: string, mode: Band['onlineAccess']) =>
  put<Band & { invited: number }>(`/admin/charge-bands/${id}/online-access`, { mode });

export const useUsers = () =>
  useQuery({ queryKey: ['admin', 'users'], queryFn: () => get<{ users: User[] }>('/admin/users') });
export function useAdminMutation<T>(fn: (input: T) => Promise<unknown>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['admin'] });
      void client.invalidateQueries({ queryKey: ['roles'] });
    },
  });
}
export const createUser = (input: {
  name: string;
  email: string;
  isAdmin: boolean;
  roleIds: string[];
}) => post<User>('/admin/users', input);
export const updateUser = (
  id: string,
  changes: Partial<Pick<User, 'name' | 'isAdmin' | 'active' | 'roleIds'>>,
) => patch<User>(`/admin/users/${id}`, changes);
export const createRole = (name: string) => post('/admin/roles', { name });
export const renameRole = (id: string, name: string) => patch(`/admin/roles/${id}`, { name });
export const deleteRole = (id: string) => del(`/admin/roles/${id}`);
