import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext } from 'react';
import { api, ApiError, get, put } from '../../../lib/api';
import type { Ok } from '../../../../common/contract/common.js';
import type { ActingFor, ProxyList } from '../../../../common/contract/proxies.js';

/**
 * The patient the page on screen was made for (rule 18): the patient the session acted for
 * when the page was shown. Every portal write says so, and the server refuses it with 409
 * `acting_for_changed` when the session acts for someone else now (a second tab switched).
 */
export const PagePatientContext = createContext<PagePatient | undefined>(undefined);

/** The patient a page was made for. */
export interface PagePatient {
  id: string;
  name: string;
  /** Not the account's own record: the account acts for them as a proxy. */
  other: boolean;
}

/** The patient the page on screen was made for; undefined outside a signed-in page. */
export const usePagePatient = (): string | undefined => useContext(PagePatientContext)?.id;

/** The patient the page on screen was made for, with their name. */
export const usePagePatientInfo = (): PagePatient | undefined => useContext(PagePatientContext);

/**
 * The page is another patient's than the account's own (a proxy's view): the patient's side of
 * a conversation is shown by name ("Carol Carter for Charlie Carter"), not as "You".
 */
export const useActingForOther = (): boolean => useContext(PagePatientContext)?.other ?? false;

/** The header a portal write without a JSON `patientId` carries: the patient it was made for. */
export function actingForHeader(patientId: string | undefined): Record<string, string> {
  return patientId ? { 'x-acting-for': patientId } : {};
}

/** Whether a write was refused because the session acts for another patient now. */
export function isActingForChanged(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'acting_for_changed';
}

/**
 * The mutation key of a write the person did not ask for in words (a read mark): refused as
 * made for another patient, the page changes patient without saying "Nothing was sent".
 */
export const QUIET_WRITE = 'quiet-write';

/** The mutation key of a write that changes something rather than sends (Remove Proxy). */
export const CHANGING_WRITE = 'changing-write';

type RefusalListener = () => void;
const refusalListeners = new Set<RefusalListener>();

/**
 * Tells the portal frame a write was refused as made for another patient, so it finds out
 * whom the session acts for now. Mutations are heard by the frame itself; uploads (not a
 * mutation) report here. Any other error is ignored.
 */
export function reportIfActingForChanged(error: unknown): void {
  if (isActingForChanged(error)) refusalListeners.forEach((l) => l());
}

/** Hears writes refused as made for another patient; answers the function that stops it. */
export function onActingForRefused(listener: RefusalListener): () => void {
  refusalListeners.add(listener);
  return () => refusalListeners.delete(listener);
}

/** Acting for: the session acts for another patient the account may act for. */
export function useChooseActingFor() {
  return useMutation({
    mutationFn: (patientId: string) => put<ActingFor>('/portal/acting-for', { patientId }),
  });
}

const proxiesKey = ['portal', 'proxies'];

/** The proxies who may act for the signed-in patient (GET /portal/proxies). */
export function usePortalProxies(enabled: boolean) {
  return useQuery({
    queryKey: proxiesKey,
    queryFn: () => get<ProxyList>('/portal/proxies'),
    enabled,
  });
}

/** Remove Proxy: one of the patient's proxies loses access at once. */
export function useRemoveProxy() {
  const client = useQueryClient();
  const patientId = usePagePatient();
  return useMutation({
    mutationKey: [CHANGING_WRITE],
    mutationFn: (proxyId: string) =>
      api<Ok>('DELETE', `/portal/proxies/${proxyId}`, undefined, actingForHeader(patientId)),
    onSettled: () => client.invalidateQueries({ queryKey: proxiesKey }),
  });
}
