import { useInfiniteQuery } from '@tanstack/react-query';
import { pagedList } from '../../../lib/api';
import type { SearchQuery, SearchResults } from '../../../../common/contract/search.js';

/** What Search messages asks: the words, and optionally one patient and a range of days. */
export type MessageSearch = Omit<SearchQuery, 'cursor'>;

/**
 * Search messages (GET /search, rule 16), a page at a time with "Load more". Each search is
 * audited, so it runs when asked for, not again when the window regains focus.
 */
export function useMessageSearch(search: MessageSearch | null) {
  const query = new URLSearchParams();
  if (search) {
    query.set('q', search.q);
    if (search.patientId) query.set('patientId', search.patientId);
    if (search.from) query.set('from', search.from);
    if (search.to) query.set('to', search.to);
  }
  return useInfiniteQuery({
    queryKey: ['search', search?.q, search?.patientId, search?.from, search?.to],
    ...pagedList<SearchResults>(`/search?${query.toString()}`),
    enabled: search !== null,
    staleTime: 60_000,
    refetchOnWindowFocus: false,
  });
}
