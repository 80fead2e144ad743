import type { Db } from '../../db/connect.js';
import {
  deleteIdempotencyKeysBefore,
  IDEMPOTENCY_KEY_LIFETIME_MS,
} from '../../modules/messaging/idempotency.repository.js';

/** How often the worker deletes expired Idempotency-Key results, and how many per statement. */
const SWEEP_EVERY_MS = 3_600_000;
const SWEEP_BATCH = 5_000;

/**
 * The worker's hourly sweep: stored send results older than their lifetime (24 h) are deleted,
 * so the Idempotency-Key table holds one day of sends, not all of them. Called every round;
 * does its work at most once an hour.
 */
export function idempotencyKeySweep(db: Db): (now: Date) => Promise<void> {
  let lastSweep = -Infinity;
  return async (now) => {
    if (now.getTime() - lastSweep < SWEEP_EVERY_MS) return;
    const before = new Date(now.getTime() - IDEMPOTENCY_KEY_LIFETIME_MS);
    while ((await deleteIdempotencyKeysBefore(db, before, SWEEP_BATCH)) === SWEEP_BATCH);
    lastSweep = now.getTime();
  };
}
