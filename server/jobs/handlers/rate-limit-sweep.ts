import type { Db } from '../../db/connect.js';
import { deleteEndedWindows } from '../../lib/rate-limit-store.js';

/** How often the worker deletes the counters of ended rate-limit windows, and how many per statement. */
const SWEEP_EVERY_MS = 60_000;
const SWEEP_BATCH = 5_000;

/**
 * The worker's sweep of `rate_limit_counters`: windows that have ended count nothing any more
 * and are deleted, so the table holds about one minute of sign-in attempts. Called every round;
 * does its work at most once a minute.
 */
export function rateLimitSweep(db: Db): (now: Date) => Promise<void> {
  let lastSweep = -Infinity;
  return async (now) => {
    if (now.getTime() - lastSweep < SWEEP_EVERY_MS) return;
    while ((await deleteEndedWindows(db, now, SWEEP_BATCH)) === SWEEP_BATCH);
    lastSweep = now.getTime();
  };
}
