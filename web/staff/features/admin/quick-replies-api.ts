import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { del, get, patch, post } from '../../../lib/api';
import type {
  NewQuickReply,
  QuickReply,
  QuickReplyChange,
  QuickReplyList,
} from '../../../../common/contract/quick-replies.js';

const key = ['admin', 'quick-replies'];

/** Admin > Configuration > Quick Replies (SPEC rule 15). */
export const useQuickReplies = () =>
  useQuery({ queryKey: key, queryFn: () => get<QuickReplyList>('/admin/quick-replies') });

/** A change to the quick replies: refreshes the admin list and every composer's menu. */
export function useQuickReplyMutation<T>(fn: (input: T) => Promise<unknown>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: key });
      await client.invalidateQueries({ queryKey: ['quick-replies'] });
    },
  });
}
export const createQuickReply = (input: NewQuickReply) =>
  post<QuickReply>('/admin/quick-replies', input);
export const updateQuickReply = (id: string, changes: QuickReplyChange) =>
  patch<QuickReply>(`/admin/quick-replies/${id}`, changes);
export const deleteQuickReply = (id: string) => del(`/admin/quick-replies/${id}`);
