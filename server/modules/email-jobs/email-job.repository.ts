import { randomUUID } from 'node:crypto';
import { and, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { jobs } from '../../db/schema.js';

// Every query on the jobs table: the queue that modules enqueue into (in their own
// transaction), the worker's claims and outcomes, and the admins' list of troubled emails.

export type JobKind =
  | 'account_link_email'
  | 'shared_items_email'
  | 'conversation_escalation'
  | 'two_step_reset_email'
  | 'sign_up_attempt_email'
  | 'notification_fan_out';

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

type JobRow = typeof jobs.$inferSelect;

/** A job a worker claimed, with the lease it holds on it (`locked_until` as claimed). */
export type ClaimedJob = Pick<
  JobRow,
  'chamberId' | 'id' | 'kind' | 'payload' | 'attempts' | 'maxAttempts'
> & {
  lease: Date;
};

/**
 * Enqueues a durable job in the caller's transaction, so the job exists exactly when the change
 * that caused it is committed.
 */
export async function enqueueJob(db: Db, job: NewJob): Promise<void> {
  await enqueueJobStatement(db, job);
}

/** `enqueueJob` as a statement not yet sent (for `writeTogether`). */
export function enqueueJobStatement(db: Db, job: NewJob) {
  return db
    .insert(jobs)
    .values({
      chamberId: job.chamberId,
      id: randomUUID(),
      kind: job.kind,
      payload: job.payload,
      state: 'pending',
      dedupeKey: job.dedupeKey ?? null,
      attempts: 0,
      maxAttempts: job.maxAttempts ?? 8,
      runAt: job.runAt,
      createdAt: job.now,
      updatedAt: job.now,
    })
    .onConflictDoNothing({
      target: [jobs.chamberId, jobs.dedupeKey],
      where: sql`state = 'pending' and dedupe_key is not null`,
    });
}

/**
 * Claims up to `limit` due jobs (pending and due, or running with an expired lease) and counts
 * the attempt. FOR UPDATE SKIP LOCKED lets any number of workers share the queue without two
 * claiming the same job; the locked subquery is why this one is written in SQL.
 */
export async function claimDueJobs(
  db: Db,
  now: Date,
  lease: Date,
  limit: number,
): Promise<ClaimedJob[]> {
  const r = await db.execute<Omit<ClaimedJob, 'lease'>>(sql`
    update jobs j set state = 'running', attempts = j.attempts + 1,
           locked_until = ${lease.toISOString()}::timestamptz,
           updated_at = ${now.toISOString()}::timestamptz
      from (select chamber_id, id from jobs
             where (state = 'pending' and run_at <= ${now.toISOString()}::timestamptz)
                or (state = 'running' and locked_until < ${now.toISOString()}::timestamptz)
             order by run_at
             limit ${limit}
             for update skip locked) due
     where j.chamber_id = due.chamber_id and j.id = due.id
    returning j.chamber_id as "chamberId", j.id, j.kind, j.payload, j.attempts,
              j.max_attempts as "maxAttempts"`);
  return r.rows.map((row) => ({ ...row, lease }));
}

const isJob = (job: Pick<JobRow, 'chamberId' | 'id'>) =>
  and(eq(jobs.chamberId, job.chamberId), eq(jobs.id, job.id));

/** Records that the job is over: done (sent or rightly skipped) or failed for good. */
export async function finishJob(
  db: Db,
  job: Pick<JobRow, 'chamberId' | 'id'>,
  state: 'done' | 'failed',
  note: string | null,
  now: Date,
): Promise<void> {
  await db
    .update(jobs)
    .set({ state, lockedUntil: null, lastError: note, finishedAt: now, updatedAt: now })
    .where(isJob(job));
}

/**
 * Makes the job pending again, due at `runAt`. Fails on the pending-dedupe index when a newer
 * pending job has the same key.
 */
export async function retryJob(
  db: Db,
  job: Pick<JobRow, 'chamberId' | 'id'>,
  note: string,
  runAt: Date,
  now: Date,
): Promise<void> {
  await db
    .update(jobs)
    .set({ state: 'pending', lockedUntil: null, lastError: note, runAt, updatedAt: now })
    .where(isJob(job));
}

/**
 * Marks a claimed job done inside the transaction of its work, so the work and its end commit
 * together and a job run twice does its work once (`note`: what it did). False: the lease is no longer this
 * worker's (another claimed the job since), and the work must not be done.
 */
export async function completeClaimedJob(db: Db, job: ClaimedJob, note: string, now: Date) {
  const done = await db
    .update(jobs)
    .set({ state: 'done', lockedUntil: null, lastError: note, finishedAt: now, updatedAt: now })
    .where(and(isJob(job), eq(jobs.state, 'running'), eq(jobs.lockedUntil, job.lease)))
    .returning({ id: jobs.id });
  return done.length === 1;
}

/**
 * Gives a claimed job back, due now, its attempt not counted; only while the lease claimed is
 * still the job's (another worker may have claimed it since the lease ran out).
 */
export async function releaseJob(db: Db, job: ClaimedJob, now: Date): Promise<void> {
  await db
    .update(jobs)
    .set({
      state: 'pending',
      lockedUntil: null,
      attempts: sql`greatest(${jobs.attempts} - 1, 0)`,
      runAt: now,
      updatedAt: now,
    })
    .where(and(isJob(job), eq(jobs.state, 'running'), eq(jobs.lockedUntil, job.lease)));
}

/**
 * The chamber's latest jobs (200 at most) that failed for good, or that wait for a retry
 * (pending or running again after a failed attempt).
 */
export async function listTroubledJobs(db: Db, chamberId: string, state: 'failed' | 'pending') {
  return db
    .select({
      id: jobs.id,
      kind: jobs.kind,
      state: jobs.state,
      attempts: jobs.attempts,
      maxAttempts: jobs.maxAttempts,
      lastError: jobs.lastError,
      runAt: jobs.runAt,
      createdAt: jobs.createdAt,
      finishedAt: jobs.finishedAt,
    })
    .from(jobs)
    .where(
      and(
        eq(jobs.chamberId, chamberId),
        state === 'failed'
          ? eq(jobs.state, 'failed')
          : and(inArray(jobs.state, ['pending', 'running']), gt(jobs.attempts, 0)),
      ),
    )
    .orderBy(desc(jobs.createdAt))
    .limit(200);
}
