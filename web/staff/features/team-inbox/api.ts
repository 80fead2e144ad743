import { useInfiniteQuery, useMutation, useQuery } from '@tanstack/react-query';
import { get, pagedList, patch } from '../../../lib/api';
import { usePollInterval } from '../../../lib/live';
import { useInvalidate } from '../../../lib/query';
import { staffKeys } from '../feed/query-keys';
import type {
  ConversationChange,
  TeamInbox,
  TeamInboxView,
} from '../../../../common/contract/messaging.js';
import type { TopicList } from '../../../../common/contract/topics.js';

/** What Messages shows: a view and the role and topic filters. */
export interface TeamInboxFilters {
  view: TeamInboxView;
  roleId: string | null;
  topicId: string | null;
}

/**
 * The team inbox (GET /inbox), a page at a time with "Load more". Live events refetch it
 * (useFeedLiveEvents); polling is the safety net.
 */
export function useTeamInbox(filters: TeamInboxFilters) {
  const query = new URLSearchParams({ view: filters.view });
  if (filters.roleId) query.set('roleId', filters.roleId);
  if (filters.topicId) query.set('topicId', filters.topicId);
  return useInfiniteQuery({
    queryKey: [...staffKeys.teamInbox, filters.view, filters.roleId, filters.topicId],
    ...pagedList<TeamInbox>(`/inbox?${query.toString()}`),
    refetchInterval: usePollInterval(),
  });
}

/** The chamber's topics to filter by (GET /topics): active ones first, then inactive ones. */
export function useTopicOptions() {
  return useQuery({
    queryKey: ['topics'],
    queryFn: () => get<TopicList>('/topics'),
    staleTime: 60_000,
    select: (list) =>
      [...list.topics]
        .sort((a, b) => Number(b.active) - Number(a.active) || a.name.localeCompare(b.name))
        .map((t) => ({ value: t.id, label: t.active ? t.name : `${t.name} (inactive)` })),
  });
}

/** Closes several conversations at once (one PATCH each); resolves to how many were closed. */
export function useCloseConversations() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: async (ids: string[]) => {
      const results = await Promise.allSettled(
        ids.map((id) =>
          patch(`/conversations/${id}`, { status: 'closed' } satisfies ConversationChange),
        ),
      );
      const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      return { closed: ids.length - failed.length, failed };
    },
    onSettled: () => invalidate(staffKeys.teamInbox, staffKeys.conversation(), staffKeys.feed()),
  });
}
