import type { Db } from '../../db/connect.js';
import { deleteExpiredChallenges } from '../../modules/staff-identity/second-factor.repository.js';

const SWEEP_EVERY_MS = 60_000;

/**
 * The worker's sweep of `auth_challenges`: sign-in and enrolment steps nobody finished are
 * deleted once expired (they could not be used anyway). At most once a minute.
 */
export function authChallengeSweep(db: Db): (now: Date) => Promise<void> {
  let lastSweep = -Infinity;
  return async (now) => {
    if (now.getTime() - lastSweep < SWEEP_EVERY_MS) return;
    await deleteExpiredChallenges(db, now);
    lastSweep = now.getTime();
  };
}
