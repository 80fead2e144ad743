/**
 * The query keys of what a new message or a change of a conversation touches: the
 * conversation, its patient's Feed, the notifications and the team inbox (Messages). The
 * Feed, the notifications and Messages all use them; without an id, a key names all of its
 * kind.
 */
export const staffKeys = {
  feed: (patientId?: string) => (patientId ? ['feed', patientId] : ['feed']),
  conversation: (id?: string) => (id ? ['conversation', id] : ['conversation']),
  /** Under its conversation: what refreshes the conversation refreshes who can see it. */
  assignees: (id?: string) => ['conversation', id, 'assignees'],
  notifications: ['notifications'],
  teamInbox: ['team-inbox'],
};
