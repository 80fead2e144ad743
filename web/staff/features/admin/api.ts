import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { del, get, patch, post, put } from '../../../lib/api';
import type {
  ChargeBand,
  ChargeBandChanges,
  ChargeBandList,
  NewChargeBand,
  OnlineAccessChange,
  OnlineAccessMode,
  OnlineAccessResult,
} from '../../../../common/contract/charge-bands.js';
import type {
  CreatedIntegrationClient,
  IntegrationList,
  NewIntegrationClient,
} from '../../../../common/contract/integrations.js';
import type { RoleName } from '../../../../common/contract/roles.js';
import type { Settings, SettingsChanges } from '../../../../common/contract/settings.js';
import type {
  NewTopic,
  Topic,
  TopicChange,
  TopicList,
} from '../../../../common/contract/topics.js';
import type { NewUser, User, UserChanges, UserList } from '../../../../common/contract/users.js';
import type { Ok } from '../../../../common/contract/common.js';
import type {
  SsoSettings,
  SsoSettingsChanges,
} from '../../../../common/contract/staff-identity.js';

export const useSettings = () =>
  useQuery({ queryKey: ['admin', 'settings'], queryFn: () => get<Settings>('/admin/settings') });
export function useSaveSettings() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (changes: SettingsChanges) => patch<Settings>('/admin/settings', changes),
    onSuccess: (s) => client.setQueryData(['admin', 'settings'], s),
  });
}

export const useBands = () =>
  useQuery({
    queryKey: ['admin', 'bands'],
    queryFn: () => get<ChargeBandList>('/admin/charge-bands'),
  });
export function useBandMutation<T>(fn: (input: T) => Promise<unknown>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => client.invalidateQueries({ queryKey: ['admin', 'bands'] }),
  });
}
export const createBand = (name: string) =>
  post<ChargeBand>('/admin/charge-bands', { name } satisfies NewChargeBand);
export const updateBand = (id: string, changes: ChargeBandChanges) =>
  patch<ChargeBand>(`/admin/charge-bands/${id}`, changes);
export const setOnlineAccess = (id: string, mode: OnlineAccessMode) =>
  put<OnlineAccessResult>(`/admin/charge-bands/${id}/online-access`, {
    mode,
  } satisfies OnlineAccessChange);

export const useUsers = () =>
  useQuery({ queryKey: ['admin', 'users'], queryFn: () => get<UserList>('/admin/users') });
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
export const createUser = (input: NewUser) => post<User>('/admin/users', input);
export const updateUser = (id: string, changes: UserChanges) =>
  patch<User>(`/admin/users/${id}`, changes);
/** Reset two-step verification: the user sets it up again (and is emailed). */
export const resetTwoStep = (id: string) => del<Ok>(`/admin/users/${id}/second-factors`);
export const createRole = (name: string) => post('/admin/roles', { name } satisfies RoleName);
export const renameRole = (id: string, name: string) =>
  patch(`/admin/roles/${id}`, { name } satisfies RoleName);
export const deleteRole = (id: string) => del(`/admin/roles/${id}`);

const integrationsKey = ['admin', 'integrations'];

export const useIntegrations = () =>
  useQuery({
    queryKey: integrationsKey,
    queryFn: () => get<IntegrationList>('/admin/integrations'),
  });

/** A new FHIR client: the answer carries its secret, shown once. */
export function useCreateIntegration() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: NewIntegrationClient) =>
      post<CreatedIntegrationClient>('/admin/integrations', input),
    onSuccess: () => void client.invalidateQueries({ queryKey: integrationsKey }),
  });
}

export function useRevokeIntegration() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => post(`/admin/integrations/${id}/revoke`),
    onSuccess: () => client.invalidateQueries({ queryKey: integrationsKey }),
  });
}

/** Message Topics (SPEC rule 9), with the role each routes to. */
export const useTopics = () =>
  useQuery({ queryKey: ['admin', 'topics'], queryFn: () => get<TopicList>('/admin/topics') });
/** A change to the topics: refreshes their list only (not the settings form beside it). */
export function useTopicMutation<T>(fn: (input: T) => Promise<unknown>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => client.invalidateQueries({ queryKey: ['admin', 'topics'] }),
  });
}
export const createTopic = (input: NewTopic) => post<Topic>('/admin/topics', input);
export const updateTopic = (id: string, changes: TopicChange) =>
  patch<Topic>(`/admin/topics/${id}`, changes);
export const deleteTopic = (id: string) => del(`/admin/topics/${id}`);

const ssoKey = ['admin', 'sso'];

/** Admin > Configuration > Security > Single sign-on (rule 19). */
export const useSso = () =>
  useQuery({ queryKey: ssoKey, queryFn: () => get<SsoSettings>('/admin/sso') });

/** Saves the provider (looked up before anything is saved) or removes single sign-on. */
export function useSsoMutation<T>(fn: (input: T) => Promise<SsoSettings | Ok>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => client.invalidateQueries({ queryKey: ssoKey }),
  });
}
export const saveSso = (changes: SsoSettingsChanges) => put<SsoSettings>('/admin/sso', changes);
export const removeSso = () => del<SsoSettings | Ok>('/admin/sso');
