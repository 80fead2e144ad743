import { hashToken, newToken } from '../../lib/tokens.js';
import { LINK_LIFETIME_MS } from '../../modules/auth/account-links.js';
import { findChamberName } from '../../modules/chambers/chamber.repository.js';
import { findUnusedAccountLink, reissueAccountLink } from '../account-link.repository.js';
import { accountLinkEmail } from '../emails.js';
import type { JobHandlerFactory } from '../job-handler.js';

/** `account_link_email`: emails an invitation or password-reset link (rule 8). */
export const accountLinkEmailHandler: JobHandlerFactory = ({ db, clock, config }, mailer) => ({
  async run(job, payload) {
    const now = clock();
    const tokenId = String(payload.tokenId);
    const link = await findUnusedAccountLink(db, job.chamberId, tokenId);
    if (!link?.email) return { result: 'skipped', note: 'link already used or replaced' };
    // The emailed token is made now and only its hash kept; the lifetime counts from sending.
    const token = newToken();
    await reissueAccountLink(
      db,
      job.chamberId,
      tokenId,
      hashToken(token),
      new Date(now.getTime() + LINK_LIFETIME_MS[link.purpose]),
    );
    const forStaff = link.accountKind === 'staff';
    const url = `${config.publicUrl}/${forStaff ? 'staff' : 'portal'}/set-password#token=${token}`;
    const chamberName = (await findChamberName(db, job.chamberId)) ?? 'your clinic';
    await mailer.send(accountLinkEmail(link.email, chamberName, link.purpose, url, forStaff));
    return { result: 'sent' };
  },
});
