import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/connect.js';
import { hours, minutes } from '../../lib/clock.js';
import { hashToken, newToken } from '../../lib/tokens.js';
import { enqueueJob } from '../email-jobs/email-job.repository.js';
import { insertAccountToken, retireTokensOf, type AccountSubject } from './auth.repository.js';

/** Rule 8: a reset link lives 15 minutes, an invitation 24 hours; rule 17: a sign-up link 24 hours. */
export const LINK_LIFETIME_MS = {
  reset: minutes(15),
  invitation: hours(24),
  sign_up: hours(24),
} as const;

/**
 * A clinic link, `<PORTAL_PUBLIC_URL>/portal/c/<clinic code>/<page>`: the portal opens on that
 * clinic's sign-in with its name shown and its code filled in, and comes back to it after a
 * sign-out. Every portal email links this way.
 */
export function portalClinicLink(
  publicUrl: string,
  chamberKey: string | undefined,
  page = '',
): string {
  // Without a clinic (none found), the portal's own page: its sign-in asks for the code.
  return chamberKey
    ? `${publicUrl}/portal/c/${encodeURIComponent(chamberKey)}/${page}`
    : `${publicUrl}/portal/${page}`;
}

/**
 * The link of an account email (rule 8): the portal's page under the clinic link, or the staff
 * app's. The token rides in the fragment, which browsers never send to a server.
 */
export function accountLinkUrl(
  publicUrl: string,
  account: { forStaff: boolean; chamberKey: string | undefined },
  page: string,
  token: string,
): string {
  const url = account.forStaff
    ? `${publicUrl}/staff/${page}`
    : portalClinicLink(publicUrl, account.chamberKey, page);
  return `${url}#token=${token}`;
}

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
    purpose: 'invitation' | 'reset' | 'sign_up';
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
    accountId: 'accountId' in subject ? subject.accountId : null,
    patientId: 'accountId' in subject ? subject.patientId : null,
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
