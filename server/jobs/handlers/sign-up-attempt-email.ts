import { portalClinicLink } from '../../modules/auth/account-links.js';
import { findAccountContact } from '../../modules/sign-up/sign-up.repository.js';
import { signUpAttemptEmail } from '../emails.js';
import type { JobHandlerFactory } from '../job-handler.js';

/** `sign_up_attempt_email`: tells an account's holder someone signed up with their email (rule 17). */
export const signUpAttemptEmailHandler: JobHandlerFactory = ({ db, config }, mailer) => ({
  async run(job, payload) {
    const contact = await findAccountContact(db, job.chamberId, String(payload.accountId));
    if (!contact) return { result: 'skipped', note: 'account no longer exists' };
    await mailer.send(
      signUpAttemptEmail(
        contact.email,
        contact.chamberName,
        portalClinicLink(config.publicUrl, contact.chamberKey),
        portalClinicLink(config.publicUrl, contact.chamberKey, 'forgotten-password'),
      ),
    );
    return { result: 'sent' };
  },
});
