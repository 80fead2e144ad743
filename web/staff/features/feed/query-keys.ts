/**
 * The query keys of what a new message touches: its conversation, its patient's Feed and the
 * notifications. The Feed and the notifications both use them; without an id, a key names all
 * of its kind.
 */
export const staffKeys = {
  feed: (patientId?: string) => (patientId ? ['feed', patientId] : ['feed']),
  conversation: (id?: string) => (id ? ['conversation', id] : ['conversation']),
  notifications: ['notifications'],
};
