import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { isDatabaseUnavailable } from '../db/connect.js';
import { LINK_LIFETIME_MS } from '../modules/auth/account-links.js';
import {
  deleteIdempotencyKeysBefore,
  IDEMPOTENCY_KEY_LIFETIME_MS,
} from '../modules/messaging/idempotency.repository.js';
import type { ServiceContext } from '../lib/context.js';
import { hashToken, newToken } from '../lib/tokens.js';
import {
  sharedItemsEmailsWanted,
  sharedItemsEmailWanted,
  type SharedItemsEmailTarget,
} from '../modules/notifications/shared-items.repository.js';
import { accountLinkEmail, sharedItemsEmail } from './emails.js';
import { MailError, SMTP_MAX_CONNECTIONS, type Mailer } from './mailer.js';

/** A job claimed by this worker is someone else's to retry if not finished in this time. */
const LEASE_MS = 5 * 60_000;
const BATCH = 100;
/**
 * Jobs of a batch run at once: four per SMTP connection the mailer keeps, so that each
 * connection has the next emails waiting while jobs are at the database. (Draining 10,000
 * emails, two per connection and batches of 50 reached 0.55 of a bare nodemailer loop; four
 * and batches of 100, 0.8: bench/email.ts.)
 */
export const WORKER_CONCURRENCY = 4 * SMTP_MAX_CONNECTIONS;

/** Retry delay after the n-th failed attempt: 30 s, 1 min, 2 min ... capped at 1 hour. */
export function backoffMs(attempt: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempt - 1), 3_600_000);
}

type ClaimedJob = {
  /** The lease this worker holds on the job (`locked_until` as claimed). */
  lease: string;
  chamber_id: string;
  id: string;
  kind: string;
  payload: Record<string, unknown> | string;
  attempts: number;
  max_attempts: number;
  /** For a shared-items email, whom to send it to, looked up with the rest of its batch (null: not wanted). */
  wanted?: SharedItemsEmailTarget | null;
};

const payloadOf = (job: ClaimedJob): Record<string, unknown> =>
  typeof job.payload === 'string'
    ? (JSON.parse(job.payload) as Record<string, unknown>)
    : job.payload;

type Outcome = { result: 'sent' | 'skipped'; note?: string };

export interface WorkerStats {
  done: number;
  retried: number;
  failed: number;
}

/** How often the worker deletes expired Idempotency-Key results, and how many per statement. */
const SWEEP_EVERY_MS = 3_600_000;
const SWEEP_BATCH = 5_000;

/**
 * Delivers durable jobs after their transaction committed: claims due rows with
 * FOR UPDATE SKIP LOCKED, so any number of workers share the queue without sending twice.
 */
export function createWorker(ctx: ServiceContext, mailer: Mailer, log?: FastifyBaseLogger) {
  const { db, clock, config } = ctx;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;
  let again = false;
  /**
   * What this worker still has to write about jobs it claimed when the database went away: the
   * job's outcome (an email that was sent must not be sent again) or its release (it was
   * interrupted before sending, and is due again at once, not when its lease runs out).
   * Written first thing in the next round.
   */
  const unsettled = new Map<string, () => Promise<void>>();

  async function claim(now: Date): Promise<ClaimedJob[]> {
    const lease = new Date(now.getTime() + LEASE_MS).toISOString();
    const r = await db.execute<Omit<ClaimedJob, 'lease'>>(sql`
      update jobs j set state = 'running', attempts = j.attempts + 1,
             locked_until = ${lease}::timestamptz,
             updated_at = ${now.toISOString()}::timestamptz
        from (select chamber_id, id from jobs
               where (state = 'pending' and run_at <= ${now.toISOString()}::timestamptz)
                  or (state = 'running' and locked_until < ${now.toISOString()}::timestamptz)
               order by run_at
               limit ${BATCH}
               for update skip locked) due
       where j.chamber_id = due.chamber_id and j.id = due.id
      returning j.chamber_id, j.id, j.kind, j.payload, j.attempts, j.max_attempts`);
    return r.rows.map((row) => ({ ...row, lease }));
  }

  async function chamberName(chamberId: string): Promise<string> {
    const r = await db.execute<{ name: string }>(
      sql`select name from chambers where id = ${chamberId}::uuid`,
    );
    return r.rows[0]?.name ?? 'your clinic';
  }

  async function accountLink(job: ClaimedJob, payload: Record<string, unknown>): Promise<Outcome> {
    const now = clock();
    const tokenId = String(payload.tokenId);
    const r = await db.execute<{
      purpose: keyof typeof LINK_LIFETIME_MS;
      account_kind: 'staff' | 'patient';
      email: string | null;
    }>(sql`
      select t.purpose, t.account_kind, coalesce(a.email, u.email) as email
        from account_tokens t
        left join portal_accounts a on a.chamber_id = t.chamber_id and a.patient_id = t.patient_id
        left join users u on u.chamber_id = t.chamber_id and u.id = t.user_id
       where t.chamber_id = ${job.chamber_id}::uuid and t.id = ${tokenId}::uuid and t.used_at is null`);
    const row = r.rows[0];
    if (!row?.email) return { result: 'skipped', note: 'link already used or replaced' };
    // The emailed token is made now and only its hash kept; the lifetime counts from sending.
    const token = newToken();
    await db.execute(sql`
      update account_tokens set token_hash = ${hashToken(token)},
             expires_at = ${new Date(now.getTime() + LINK_LIFETIME_MS[row.purpose]).toISOString()}::timestamptz
       where chamber_id = ${job.chamber_id}::uuid and id = ${tokenId}::uuid and used_at is null`);
    const forStaff = row.account_kind === 'staff';
    const link = `${config.publicUrl}/${forStaff ? 'staff' : 'portal'}/set-password#token=${token}`;
    await mailer.send(
      accountLinkEmail(row.email, await chamberName(job.chamber_id), row.purpose, link, forStaff),
    );
    return { result: 'sent' };
  }

  async function sharedItems(job: ClaimedJob, payload: Record<string, unknown>): Promise<Outcome> {
    // Checked again at sending: consent or the setting may have changed since the item was shared.
    const wanted =
      job.wanted !== undefined
        ? job.wanted
        : await sharedItemsEmailWanted(db, job.chamber_id, String(payload.patientId));
    if (!wanted)
      return {
        result: 'skipped',
        note: 'email no longer wanted (setting, consent or account changed)',
      };
    await mailer.send(
      sharedItemsEmail(wanted.email, wanted.chamberName, `${config.publicUrl}/portal/`),
    );
    return { result: 'sent' };
  }

  async function finish(job: ClaimedJob, state: 'done' | 'failed', note: string | null) {
    const now = clock();
    await db.execute(sql`
      update jobs set state = ${state}, locked_until = null, last_error = ${note},
             finished_at = ${now.toISOString()}::timestamptz, updated_at = ${now.toISOString()}::timestamptz
       where chamber_id = ${job.chamber_id}::uuid and id = ${job.id}::uuid`);
  }

  async function retry(job: ClaimedJob, note: string) {
    const now = clock();
    try {
      await db.execute(sql`
        update jobs set state = 'pending', locked_until = null, last_error = ${note},
               run_at = ${new Date(now.getTime() + backoffMs(job.attempts)).toISOString()}::timestamptz,
               updated_at = ${now.toISOString()}::timestamptz
         where chamber_id = ${job.chamber_id}::uuid and id = ${job.id}::uuid`);
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw error;
      // A newer pending job with the same key exists (an item shared meanwhile): it sends the one email.
      await finish(job, 'done', `absorbed by a newer job after: ${note}`);
    }
  }

  /**
   * Gives back a job whose run the database's going away cut short, before any email left: due
   * at once, and the attempt not counted (the job did nothing wrong). Only while this worker
   * still holds the lease it claimed.
   */
  async function release(job: ClaimedJob) {
    const now = clock();
    await db.execute(sql`
      update jobs set state = 'pending', locked_until = null,
             attempts = greatest(attempts - 1, 0),
             run_at = ${now.toISOString()}::timestamptz, updated_at = ${now.toISOString()}::timestamptz
       where chamber_id = ${job.chamber_id}::uuid and id = ${job.id}::uuid
         and state = 'running' and locked_until = ${job.lease}::timestamptz`);
  }

  /** Writes about a job; if the database is away, keeps the write for the next round. */
  async function settle(job: ClaimedJob, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (isDatabaseUnavailable(error)) unsettled.set(`${job.chamber_id}/${job.id}`, write);
      throw error;
    }
  }

  /**
   * Looks up whom the shared-items emails of a batch go to in one query per chamber, instead of
   * one query per job, just before sending them. Should it fail, each job looks itself up.
   */
  async function lookUpSharedItems(jobs: ClaimedJob[]): Promise<void> {
    const byChamber = new Map<string, ClaimedJob[]>();
    for (const job of jobs)
      if (job.kind === 'shared_items_email')
        byChamber.set(job.chamber_id, [...(byChamber.get(job.chamber_id) ?? []), job]);
    for (const [chamberId, list] of byChamber) {
      try {
        const patientOf = (job: ClaimedJob) => String(payloadOf(job).patientId);
        const answers = await sharedItemsEmailsWanted(db, chamberId, list.map(patientOf));
        for (const job of list) job.wanted = answers.get(patientOf(job));
      } catch {
        // A payload or a database that fails here fails the job itself, in runOne.
      }
    }
  }

  async function runOne(job: ClaimedJob): Promise<'done' | 'retried' | 'failed'> {
    const payload = payloadOf(job);
    let outcome: Outcome;
    try {
      outcome =
        job.kind === 'account_link_email'
          ? await accountLink(job, payload)
          : job.kind === 'shared_items_email'
            ? await sharedItems(job, payload)
            : (() => {
                throw new MailError(`unknown job kind ${job.kind}`, true);
              })();
    } catch (error) {
      // A mail server that cannot be reached is the job's failure; the database's is not.
      if (!(error instanceof MailError) && isDatabaseUnavailable(error)) {
        await settle(job, () => release(job));
        throw error;
      }
      const permanent = error instanceof MailError && error.permanent;
      const note = error instanceof Error ? error.message.slice(0, 500) : 'failed';
      if (permanent || job.attempts >= job.max_attempts) {
        log?.error(
          { jobId: job.id, kind: job.kind, attempts: job.attempts },
          'job failed permanently',
        );
        await settle(job, () => finish(job, 'failed', note));
        return 'failed';
      }
      log?.warn(
        { jobId: job.id, kind: job.kind, attempts: job.attempts },
        'job failed, will retry',
      );
      await settle(job, () => retry(job, note));
      return 'retried';
    }
    // Sent (or rightly skipped): from here on the job must never be sent again.
    await settle(job, () => finish(job, 'done', outcome.note ?? null));
    return 'done';
  }

  /** Writes what the last rounds could not; throws while the database is still away. */
  async function settleLeftovers(): Promise<void> {
    for (const [key, write] of unsettled) {
      try {
        await write();
      } catch (error) {
        if (isDatabaseUnavailable(error)) throw error;
        log?.error({ err: error }, 'could not record what became of a job');
      }
      unsettled.delete(key);
    }
  }

  let lastSweep = -Infinity;

  /**
   * Once an hour: stored send results older than their lifetime (24 h) are deleted, so the
   * Idempotency-Key table holds one day of sends, not all of them.
   */
  async function sweep(now: Date): Promise<void> {
    if (now.getTime() - lastSweep < SWEEP_EVERY_MS) return;
    const before = new Date(now.getTime() - IDEMPOTENCY_KEY_LIFETIME_MS);
    while ((await deleteIdempotencyKeysBefore(db, before, SWEEP_BATCH)) === SWEEP_BATCH);
    lastSweep = now.getTime();
  }

  /** Runs every due job once (tests call this directly with their own clock). */
  async function runDue(): Promise<WorkerStats> {
    const stats: WorkerStats = { done: 0, retried: 0, failed: 0 };
    await settleLeftovers();
    await sweep(clock());
    for (;;) {
      const jobs = await claim(clock());
      if (jobs.length === 0) return stats;
      await lookUpSharedItems(jobs);
      // Several jobs of the batch at a time: one by one, every email waited for the previous
      // one's round trips to the database and the mail server.
      let next = 0;
      let failure: { error: unknown } | undefined;
      await Promise.all(
        Array.from({ length: Math.min(WORKER_CONCURRENCY, jobs.length) }, async () => {
          while (!failure && next < jobs.length) {
            const job = jobs[next++]!;
            try {
              stats[await runOne(job)] += 1;
            } catch (error) {
              failure ??= { error };
            }
          }
        }),
      );
      if (failure) {
        // The round ends here: the jobs of the batch not yet started are given back (those
        // already started have settled their own outcome).
        for (const rest of jobs.slice(next))
          unsettled.set(`${rest.chamber_id}/${rest.id}`, () => release(rest));
        throw failure.error;
      }
      if (jobs.length < BATCH) return stats;
    }
  }

  function schedule(delay: number) {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(tick, delay);
  }

  function tick() {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = runDue()
      .catch((error: unknown) => log?.error({ err: error }, 'worker round failed'))
      .finally(() => {
        running = undefined;
        schedule(again ? 0 : config.workerPollMs);
        again = false;
      });
  }

  const wake = () => schedule(0);

  return {
    runDue,
    /** Polls, and wakes at once when a job is enqueued in this process. */
    start() {
      stopped = false;
      ctx.signals.on('jobs', wake);
      schedule(0);
    },
    /** Stops polling and waits for the round in progress. */
    async stop() {
      stopped = true;
      clearTimeout(timer);
      ctx.signals.off('jobs', wake);
      await running;
    },
  };
}

export type Worker = ReturnType<typeof createWorker>;
