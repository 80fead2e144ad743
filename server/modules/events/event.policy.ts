import type { PatientActor, StaffActor } from '../auth/actor.js';
import type { MessageEventRow } from './event.repository.js';

/**
 * What one listener may hear of a new message (SPEC rule 4), or null: a staff user hears of
 * messages they wrote or that are shared with a role they hold now; a patient hears of
 * messages shared with them in their own conversations.
 */
export function eventFor(listener: StaffActor | PatientActor, m: MessageEventRow) {
  if (listener.kind === 'patient') {
    if (!m.sharedWithPatient || m.patientId !== listener.patientId) return null;
    return {
      conversationId: m.conversationId,
      messageId: m.messageId,
      createdAt: m.createdAt,
      fromClinic: m.authorKind === 'staff',
    };
  }
  const mine = m.authorUserId === listener.userId;
  if (!mine && !m.roleIds.some((r) => listener.roleIds.includes(r))) return null;
  const notificationId = m.notified.get(listener.userId);
  return {
    conversationId: m.conversationId,
    messageId: m.messageId,
    patientId: m.patientId,
    createdAt: m.createdAt,
    mine,
    notification: notificationId
      ? {
          id: notificationId,
          title: `New message from ${m.authorKind === 'patient' ? m.patientName : m.authorName}`,
          patientName: m.patientName,
        }
      : null,
  };
}
