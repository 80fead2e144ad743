import { useQueryClient, type QueryClient, type QueryKey } from '@tanstack/react-query';
import { useCallback, useEffect, useRef } from 'react';
import { forgetDrafts } from './drafts';

/**
 * After sign-out (or when another person signs in on this device): forget every cached answer,
 * pending change and unsent draft, and set the session. The session query itself is kept, not removed, so
 * the app frame watching it re-renders at once instead of at its next refetch.
 */
export function resetCache(client: QueryClient, session: unknown): void {
  forgetDrafts();
  void client.cancelQueries({ predicate: (q) => q.queryKey[0] !== 'session' });
  client.getMutationCache().clear();
  client.setQueryData(['session'], session);
  client.removeQueries({ predicate: (q) => q.queryKey[0] !== 'session' });
}

/** Marks the answers under each key stale, refetching those on screen; resolves when done. */
export function useInvalidate(): (...keys: QueryKey[]) => Promise<unknown> {
  const client = useQueryClient();
  return (...keys) => Promise.all(keys.map((queryKey) => client.invalidateQueries({ queryKey })));
}

/**
 * As useInvalidate, but gathers the keys asked for within `ms` and invalidates them once: a
 * burst of live events (a send and the change it caused) refetches a list once, at most `ms`
 * after the first event.
 */
export function useInvalidateSoon(ms = 300): (...keys: QueryKey[]) => void {
  const client = useQueryClient();
  const pending = useRef(new Map<string, QueryKey>());
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback(
    (...keys: QueryKey[]) => {
      for (const key of keys) pending.current.set(JSON.stringify(key), key);
      if (timer.current !== undefined) return;
      timer.current = setTimeout(() => {
        timer.current = undefined;
        const due = [...pending.current.values()];
        pending.current.clear();
        for (const queryKey of due) void client.invalidateQueries({ queryKey });
      }, ms);
    },
    [client, ms],
  );
}
