import { findChamberName } from '../../modules/chambers/chamber.repository.js';
import { findUser } from '../../modules/users/user.repository.js';
import { twoStepResetEmail } from '../emails.js';
import type { JobHandlerFactory } from '../job-handler.js';

/** `two_step_reset_email`: tells a staff user an administrator reset their two-step verification. */
export const twoStepResetEmailHandler: JobHandlerFactory = ({ db, config }, mailer) => ({
  async run(job, payload) {
    const user = await findUser(db, job.chamberId, String(payload.userId));
    if (!user) return { result: 'skipped', note: 'user no longer exists' };
    const chamberName = (await findChamberName(db, job.chamberId)) ?? 'your clinic';
    await mailer.send(
      twoStepResetEmail(
        user.email,
        chamberName,
        String(payload.adminName ?? 'An administrator'),
        `${config.publicUrl}/staff/`,
      ),
    );
    return { result: 'sent' };
  },
});
