/**
 * What a conversation list shows as a conversation's title (SPEC rule 9): its subject, else
 * its topic, else the start of the first message the viewer may see (the line's preview).
 */
export function conversationTitle(c: {
  subject: string | null;
  topic: { name: string } | null;
  lastMessage?: { preview: string };
}): string {
  return c.subject ?? c.topic?.name ?? c.lastMessage?.preview ?? 'Conversation';
}
