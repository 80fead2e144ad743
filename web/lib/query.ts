import { useQueryClient, type QueryClient, type QueryKey } from '@tanstack/react-query';

/**
 * After sign-out (or when another person signs in on this device): forget every cached answer
 * and pending change, and set the session. The session query itself is kept, not removed, so
 * the app frame watching it re-renders at once instead of at its next refetch.
 */
export function resetCache(client: QueryClient, session: unknown): void {
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
