import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/connect.js';
import { hours, minutes } from '../../lib/clock.js';
import { hashToken, newToken } from '../../lib/tokens.js';
import { enqueueJob } from '../email-jobs/email-job.repository.js';
import { insertAccountToken, retireTokensOf, type AccountSubject } from './auth.repository.js';

/** Rule 8: a reset link lives 15 minutes, an invitation 24 hours. */
export const LINK_LIFETIME_MS = { reset: minutes(15), invitation: hours(24) } as const;

/**
 * Creates a single-use invitation or reset link and queues its email, in the caller's
 * transaction. The link's token is made by the email job when it sends, so the token itself is
 * never stored anywhere, only its hash.
 */
export async function createAccountLink(
  db: Db,
  input: {
    chamberId: string;
    subject: AccountSubject;
    purpose: 'invitation' | 'reset';
    now: Date;
  },
): Promise<void> {
  const { chamberId, subject, purpose, now } = input;
  await retireTokensOf(db, chamberId, subject, now);
  const id = randomUUID();
  await insertAccountToken(db, {
    chamberId,
    id,
    accountKind: 'userId' in subject ? 'staff' : 'patient',
    userId: 'userId' in subject ? subject.userId : null,
    patientId: 'patientId' in subject ? subject.patientId : null,
    purpose,
    // Replaced by the hash of the emailed token when the email is sent.
    tokenHash: hashToken(newToken()),
    expiresAt: new Date(now.getTime() + LINK_LIFETIME_MS[purpose]),
    createdAt: now,
  });
  await enqueueJob(db, {
    chamberId,
    kind: 'account_link_email',
    payload: { tokenId: id },
    runAt: now,
    now,
    maxAttempts: 6,
  });
}
