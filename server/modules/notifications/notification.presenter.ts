import type { NotificationKind } from '../../../common/contract/notifications.js';

/**
 * A conversation's notification title (rule 10): "New message from Alice Archer" for one
 * message, "3 new messages from Alice Archer" for several of the patient's; a colleague's
 * message is "New message from Nora Nurse", several with a colleague's among them "3 new
 * messages about Alice Archer".
 */
export function notificationTitle(
  kind: NotificationKind,
  count: number,
  patientName: string,
  latestAuthorName: string | null,
): string {
  if (kind === 'patient_message') {
    return count > 1
      ? `${count} new messages from ${patientName}`
      : `New message from ${patientName}`;
  }
  return count > 1
    ? `${count} new messages about ${patientName}`
    : `New message from ${latestAuthorName ?? 'a colleague'}`;
}
