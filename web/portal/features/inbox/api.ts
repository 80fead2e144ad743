import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef } from 'react';
import { get, newIdempotencyKey, post } from '../../../lib/api';

export interface Author {
  kind: 'patient' | 'staff';
  name: string;
  role: string | null;
}
export interface Summary {
  id: string;
  createdAt: string;
  unreadCount: number;
  lastMessage: { id: string; author: Author; createdAt: string; preview: string };
}
export interface Message {
  id: string;
  conversationId: string;
  text: string;
  createdAt: string;
  author: Author;
  mine: boolean;
}

export function useInbox() {
  return useInfiniteQuery({
    queryKey: ['inbox'],
    queryFn: ({ pageParam }) =>
      get<{ conversations: Summary[]; nextCursor: string | null }>(
        `/portal/conversations${pageParam ? `?cursor=${encodeURIComponent(pageParam)}` : ''}`,
      ),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: 30_000,
  });
}

export function useConversation(id: string) {
  return useQuery({
    queryKey: ['conversation', id],
    queryFn: () =>
      get<{
        conversation: { id: string };
        messages: Message[];
        nextCursor: string | null;
        canReply: boolean;
      }>(`/portal/conversations/${id}`),
    refetchInterval: 30_000,
  });
}

export function useMarkRead(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => post(`/portal/conversations/${id}/read`),
    onSuccess: () => client.invalidateQueries({ queryKey: ['inbox'] }),
  });
}

/**
 * Sends a new message or a reply. One Idempotency-Key per draft: pressing Send again after a
 * lost answer cannot store the message twice.
 */
export function useSend(conversationId?: string) {
  const client = useQueryClient();
  const key = useRef(newIdempotencyKey());
  return useMutation({
    mutationFn: (text: string) =>
      post<{ conversation: { id: string }; message: Message }>(
        conversationId
          ? `/portal/conversations/${conversationId}/messages`
          : '/portal/conversations',
        { text },
        { 'idempotency-key': key.current },
      ),
    onSuccess: async (result) => {
      key.current = newIdempotencyKey();
      await client.invalidateQueries({ queryKey: ['inbox'] });
      await client.invalidateQueries({ queryKey: ['conversation', result.conversation.id] });
    },
  });
}
