import { useQueryClient, type Query, type QueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { announce } from '../../../ui/after-send';
import type { PortalSession } from '../../../../common/contract/auth.js';
import {
  CHANGING_WRITE,
  isActingForChanged,
  onActingForRefused,
  QUIET_WRITE,
  useChooseActingFor,
} from './api';

type Patient = PortalSession['patient'];

/** Why the portal now shows another patient than the one the page was made for. */
export interface ActingForChange {
  /**
   * refused: a write was refused, the session acting for someone else now (another tab);
   * elsewhere: found changed in another tab; signedInAgain: signing in again chose the
   * account's own record; refusedSame: a write was refused, but the session acts for the
   * page's patient again already.
   */
  why: 'refused' | 'elsewhere' | 'signedInAgain' | 'refusedSame';
  /** The patient the page was made for. */
  was: Patient;
  /** The patient the session acts for now. */
  now: Patient;
  /** The account may still act for `was`. */
  canReturn: boolean;
  /** Where the page was: acting for `was` again goes back there (a conversation, a draft). */
  path: string;
  /** What did not happen, for a refused write: a message or file not sent, a change not made. */
  nothing: 'sent' | 'changed';
}

const CONVERSATION_PATH = /^\/inbox\/(?!new$)[^/]+$/;

const notSession = {
  predicate: (q: Query) => q.queryKey[0] !== 'session',
};

/**
 * Once the session acts for another patient, every answer cached for the one before is
 * forgotten before any page shows: a query cache listener runs before React renders.
 */
function forgetOnPatientChange(client: QueryClient, first: string): () => void {
  let current = first;
  return client.getQueryCache().subscribe((event) => {
    if (event.type !== 'updated' || event.action.type !== 'success') return;
    if (event.query.queryKey[0] !== 'session') return;
    const id = (event.query.state.data as PortalSession | null | undefined)?.patient?.id;
    if (!id || id === current) return;
    current = id;
    void client.cancelQueries(notSession);
    client.removeQueries(notSession);
  });
}

/**
 * Acting for (rule 18) in the portal frame: choosing another patient (the page's data is
 * forgotten and fetched again, a conversation of the patient before is left, the choice is
 * announced), and finding that the session acts for someone else without this tab choosing
 * it: a write refused with 409 `acting_for_changed`, another tab seen switched, or signing in
 * again. Then the page shows the patient acted for now and says why; what was being written
 * is kept (drafts are kept per patient) for when the person acts for the patient before again.
 */
export function useActingFor(s: PortalSession, expired: boolean) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const { pathname, search } = useLocation();
  const choose = useChooseActingFor();
  const [change, setChange] = useState<ActingForChange | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  /** The patient the pages are shown for. */
  const shown = useRef(s.patient);
  /** The patient this tab chose, until the session says so. */
  const chosenHere = useRef<string | null>(null);
  /** The page's patient when one of its writes was refused. */
  const refusedFor = useRef<string | null>(null);
  /** What that write would have done. */
  const nothing = useRef<ActingForChange['nothing']>('sent');

  useEffect(() => forgetOnPatientChange(client, shown.current.id), [client]);

  useEffect(() => {
    const refused = (key?: unknown) => {
      const page = shown.current;
      if (key === QUIET_WRITE) {
        void client.invalidateQueries({ queryKey: ['session'] });
        return;
      }
      refusedFor.current = page.id;
      nothing.current = key === CHANGING_WRITE ? 'changed' : 'sent';
      void client.invalidateQueries({ queryKey: ['session'] }).then(() => {
        const now = client.getQueryData<PortalSession | null>(['session'])?.patient.id;
        if (now !== page.id || refusedFor.current !== page.id) return;
        // Switched back meanwhile: the page stands, with what was written; it was not sent.
        refusedFor.current = null;
        setChange({
          why: 'refusedSame',
          was: page,
          now: page,
          canReturn: true,
          path: '',
          nothing: nothing.current,
        });
      });
    };
    const offMutations = client.getMutationCache().subscribe((event) => {
      if (
        event.type === 'updated' &&
        event.action.type === 'error' &&
        isActingForChanged(event.action.error)
      )
        refused(event.mutation.options.mutationKey?.[0]);
    });
    const offUploads = onActingForRefused(() => refused());
    return () => {
      offMutations();
      offUploads();
    };
  }, [client]);

  useEffect(() => {
    const was = shown.current;
    const now = s.patient;
    if (was.id === now.id) return;
    shown.current = now;
    if (chosenHere.current === now.id) {
      chosenHere.current = null;
      announce(`You are now acting for ${now.name}.`);
    } else {
      setChange({
        why: refusedFor.current === was.id ? 'refused' : expired ? 'signedInAgain' : 'elsewhere',
        was,
        now,
        canReturn: s.actingFor.some((p) => p.id === was.id),
        path: pathname + search,
        nothing: nothing.current,
      });
      // A conversation of the patient before is not this patient's: their Inbox instead.
      if (CONVERSATION_PATH.test(pathname)) void navigate('/', { replace: true });
    }
    refusedFor.current = null;
  }, [s.patient, s.actingFor, expired, pathname, search, navigate]);

  /** Acts for `patientId`, then shows `path` (else the page, or the Inbox for a conversation). */
  const actFor = async (patientId: string, path?: string) => {
    if (choose.isPending) return;
    setFailure(null);
    try {
      await choose.mutateAsync(patientId);
    } catch (error) {
      setFailure(error);
      // Whom the account may act for may have changed (a proxy removed): ask again.
      void client.invalidateQueries({ queryKey: ['session'] });
      return;
    }
    setChange(null);
    if (patientId === shown.current.id) {
      if (path) void navigate(path);
      return;
    }
    chosenHere.current = patientId;
    if (!path && CONVERSATION_PATH.test(pathname)) await navigate('/');
    await client.invalidateQueries({ queryKey: ['session'] });
    if (path) void navigate(path);
  };

  return {
    /** Acting for another patient, chosen in this tab. */
    actFor,
    /** The patient being chosen, while the choice is on its way. */
    choosing: choose.isPending ? choose.variables : undefined,
    /** The session acts for someone else than the page was made for, and why. */
    change,
    dismissChange: () => setChange(null),
    /** Choosing failed: the error. */
    failure,
    dismissFailure: () => setFailure(null),
  };
}
