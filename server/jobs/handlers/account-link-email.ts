import { hashToken, newToken } from '../../lib/tokens.js';
import { accountLinkUrl, LINK_LIFETIME_MS } from '../../modules/auth/account-links.js';
import { findClinicOfChamber } from '../../modules/chambers/clinic-link.repository.js';
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
    const page = link.purpose === 'sign_up' ? 'confirm-email' : 'set-password';
    // A patient's link opens the clinic link's page: the clinic's name shown, its code filled in.
    const clinic = await findClinicOfChamber(db, job.chamberId);
    const url = accountLinkUrl(
      config.publicUrl,
      { forStaff, chamberKey: clinic?.key },
      page,
      token,
    );
    await mailer.send(
      accountLinkEmail(
        link.email,
        clinic?.name ?? 'your clinic',
        link.purpose,
        url,
        forStaff,
        clinic?.key,
      ),
    );
    return { result: 'sent' };
  },
});
