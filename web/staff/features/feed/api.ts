import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef } from 'react';
import { get, newIdempotencyKey, post } from '../../../lib/api';
import type { Role } from '../session/api';

export interface Author {
  kind: 'patient' | 'staff';
  name: string;
  role: string | null;
  userId?: string | null;
}
export interface StaffMessage {
  id: string;
  conversationId: string;
  text: string;
  createdAt: string;
  author: Author;
  sharedWithPatient: boolean;
  roles: Role[];
  internalNote: boolean;
  mine: boolean;
}
export interface FeedLine {
  id: string;
  createdAt: string;
  awaitingReply: boolean;
  unreadCount: number;
  lastMessage: {
    id: string;
    author: Author;
    createdAt: string;
    preview: string;
    internalNote: boolean;
  };
}
export interface ConversationView {
  conversation: {
    id: string;
    patient: { id: string; name: string };
    awaitingReply: boolean;
    patientCanSee: boolean;
  };
  messages: StaffMessage[];
  nextCursor: string | null;
  canReply: boolean;
  shareWithPatientByDefault: boolean;
}
export interface Audience {
  shareWithPatient: boolean;
  roleIds: string[];
}

export function useFeed(patientId: string) {
  return useInfiniteQuery({
    queryKey: ['feed', patientId],
    queryFn: ({ pageParam }) =>
      get<{
        patient: { id: string; name: string };
        conversations: FeedLine[];
        nextCursor: string | null;
      }>(
        `/patients/${patientId}/feed${pageParam ? `?cursor=${encodeURIComponent(pageParam)}` : ''}`,
      ),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: 30_000,
  });
}

export function useConversation(id: string | undefined) {
  return useQuery({
    queryKey: ['conversation', id],
    queryFn: () => get<ConversationView>(`/conversations/${id}`),
    enabled: Boolean(id),
    refetchInterval: 30_000,
  });
}

export function useMarkConversationRead() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => post(`/conversations/${id}/read`),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['notifications'] });
      void client.invalidateQueries({ queryKey: ['feed'] });
    },
  });
}

/**
 * A reply to a conversation, a new conversation with a patient, or a reply from a
 * notification; one Idempotency-Key per draft.
 */
export function useStaffSend(
  target: { conversationId: string } | { patientId: string } | { notificationId: string },
) {
  const client = useQueryClient();
  const key = useRef(newIdempotencyKey());
  const path =
    'conversationId' in target
      ? `/conversations/${target.conversationId}/messages`
      : 'patientId' in target
        ? `/patients/${target.patientId}/conversations`
        : `/notifications/${target.notificationId}/reply`;
  return useMutation({
    mutationFn: (input: { text: string } & Audience) =>
      post<{ conversation: { id: string }; message: StaffMessage }>(path, input, {
        'idempotency-key': key.current,
      }),
    onSuccess: async (result) => {
      key.current = newIdempotencyKey();
      await Promise.all([
        client.invalidateQueries({ queryKey: ['conversation', result.conversation.id] }),
        client.invalidateQueries({ queryKey: ['feed'] }),
        client.invalidateQueries({ queryKey: ['notifications'] }),
      ]);
    },
  });
}
