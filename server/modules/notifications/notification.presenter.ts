import type { NotificationKind } from '../../../common/contract/notifications.js';

/**
 * A conversation's notification title (rule 10): "New message from Alice Archer" for one
 * message, "3 new messages from Alice Archer" for several of the patient's; a colleague's
 * message is "New message from Nora Nurse", several with a colleague's among them "3 new
 * messages about Alice Archer"; an overdue conversation "Overdue: message from Alice Archer"
 * (rule 12). A conversation with a red flag says so first (rule 14). An access change is the
 * sentence stored with it ("Ada Admin joined Nurses").
 */
export function notificationTitle(
  kind: NotificationKind,
  count: number,
  patientName: string,
  latestAuthorName: string | null,
  redFlag = false,
  detail: string | null = null,
): string {
  if (kind === 'access_change') return detail ?? 'Access to internal notes changed';
  const title = plainTitle(kind, count, patientName, latestAuthorName);
  return redFlag ? `Red flag: ${title}` : title;
}

function plainTitle(
  kind: NotificationKind,
  count: number,
  patientName: string,
  latestAuthorName: string | null,
): string {
  if (kind === 'overdue') return `Overdue: message from ${patientName}`;
  if (kind === 'patient_message') {
    return count > 1
      ? `${count} new messages from ${patientName}`
      : `New message from ${patientName}`;
  }
  return count > 1
    ? `${count} new messages about ${patientName}`
    : `New message from ${latestAuthorName ?? 'a colleague'}`;
}
