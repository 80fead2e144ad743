import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/connect.js';

export type JobKind = 'account_link_email' | 'shared_items_email';

export interface NewJob {
  chamberId: string;
  kind: JobKind;
  payload: Record<string, unknown>;
  runAt: Date;
  now: Date;
  /** While a pending job has this key, another enqueue with it is absorbed (coalescing). */
  dedupeKey?: string;
  maxAttempts?: number;
}

/**
 * Enqueues a durable job in the caller's transaction, so the job exists exactly when the change
 * that caused it is committed.
 */
export async function enqueueJob(db: Db, job: NewJob): Promise<void> {
  await db.execute(sql`
    insert into jobs (chamber_id, id, kind, payload, state, dedupe_key, attempts, max_attempts,
                      run_at, created_at, updated_at)
    values (${job.chamberId}, ${randomUUID()}, ${job.kind}, ${JSON.stringify(job.payload)}::jsonb,
            'pending', ${job.dedupeKey ?? null}, 0, ${job.maxAttempts ?? 8}, ${job.runAt.toISOString()}::timestamptz,
            ${job.now.toISOString()}::timestamptz, ${job.now.toISOString()}::timestamptz)
    on conflict (chamber_id, dedupe_key) where state = 'pending' and dedupe_key is not null
    do nothing`);
}
