import type { Db } from '../../db/connect.js';
import { enqueueJob } from '../email-jobs/email-job.repository.js';
import { sharedItemsEmailWanted } from './shared-items.repository.js';

/**
 * Queues the "something new in your portal" email for a patient, in the caller's transaction.
 * Items shared while one is pending join it, so items within the delay make one email.
 * Returns whether an email is (or already was) queued.
 */
export async function queueSharedItemsEmail(
  db: Db,
  chamberId: string,
  patientId: string,
  now: Date,
  delaySeconds: number,
): Promise<boolean> {
  if (!(await sharedItemsEmailWanted(db, chamberId, patientId, now))) return false;
  await enqueueJob(db, {
    chamberId,
    kind: 'shared_items_email',
    payload: { patientId },
    runAt: new Date(now.getTime() + delaySeconds * 1000),
    now,
    dedupeKey: `shared-items:${patientId}`,
  });
  return true;
}
