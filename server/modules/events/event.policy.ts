import type { PatientMessageEvent, StaffMessageEvent } from '../../../common/contract/events.js';
import type { PatientActor, StaffActor } from '../auth/actor.js';
import { maySee, readerOf } from '../messaging/visibility.policy.js';
import type { MessageEventRow } from './event.repository.js';

/**
 * What one listener may hear of a new message, or null: exactly the messages SPEC rule 4 lets
 * them see (`maySee`, the predicate the lists use in SQL), staff with the roles they hold now.
 */
export function eventFor(
  listener: StaffActor | PatientActor,
  m: MessageEventRow,
): PatientMessageEvent | StaffMessageEvent | null {
  if (!maySee(readerOf(listener), m)) return null;
  if (listener.kind === 'patient') {
    return {
      conversationId: m.conversationId,
      messageId: m.messageId,
      createdAt: m.createdAt,
      fromClinic: m.authorKind === 'staff',
    };
  }
  const notificationId = m.notified.get(listener.userId);
  return {
    conversationId: m.conversationId,
    messageId: m.messageId,
    patientId: m.patientId,
    createdAt: m.createdAt,
    mine: m.authorUserId === listener.userId,
    notification: notificationId
      ? {
          id: notificationId,
          title: `New message from ${m.authorKind === 'patient' ? m.patientName : m.authorName}`,
          patientName: m.patientName,
        }
      : null,
  };
}
