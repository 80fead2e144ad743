import type { FastifyBaseLogger } from 'fastify';
import { isDatabaseUnavailable } from '../db/connect.js';
import type { ServiceContext } from '../lib/context.js';
import {
  claimDueJobs,
  finishJob,
  releaseJob,
  retryJob,
  type ClaimedJob,
  type JobKind,
} from '../modules/email-jobs/email-job.repository.js';
import { accountLinkEmailHandler } from './handlers/account-link-email.js';
import { conversationEscalationHandler } from './handlers/conversation-escalation.js';
import { idempotencyKeySweep } from './handlers/idempotency-key-sweep.js';
import { rateLimitSweep } from './handlers/rate-limit-sweep.js';
import { sharedItemsEmailHandler } from './handlers/shared-items-email.js';
import { signUpAttemptEmailHandler } from './handlers/sign-up-attempt-email.js';
import { twoStepResetEmailHandler } from './handlers/two-step-reset-email.js';
import { authChallengeSweep } from './handlers/auth-challenge-sweep.js';
import { auditSeal } from './handlers/audit-seal.js';
import { notificationFanOutHandler } from './handlers/notification-fan-out.js';
import {
  payloadOf,
  type JobHandler,
  type JobHandlerFactory,
  type JobOutcome,
} from './job-handler.js';
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

/** The handler of each job kind, one file each under jobs/handlers/. */
const JOB_HANDLERS: Record<JobKind, JobHandlerFactory> = {
  account_link_email: accountLinkEmailHandler,
  shared_items_email: sharedItemsEmailHandler,
  conversation_escalation: conversationEscalationHandler,
  two_step_reset_email: twoStepResetEmailHandler,
  sign_up_attempt_email: signUpAttemptEmailHandler,
  notification_fan_out: notificationFanOutHandler,
};

/** Retry delay after the n-th failed attempt: 30 s, 1 min, 2 min ... capped at 1 hour. */
export function backoffMs(attempt: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempt - 1), 3_600_000);
}

export interface WorkerStats {
  done: number;
  retried: number;
  failed: number;
}

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
  const handlers = new Map<string, JobHandler>(
    Object.entries(JOB_HANDLERS).map(([kind, make]) => [kind, make(ctx, mailer)]),
  );
  const sweeps = [
    auditSeal(db),
    idempotencyKeySweep(db),
    rateLimitSweep(db),
    authChallengeSweep(db),
  ];

  const finish = (job: ClaimedJob, state: 'done' | 'failed', note: string | null) =>
    finishJob(db, job, state, note, clock());

  async function retry(job: ClaimedJob, note: string) {
    const now = clock();
    try {
      await retryJob(db, job, note, new Date(now.getTime() + backoffMs(job.attempts)), now);
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
  const release = (job: ClaimedJob) => releaseJob(db, job, clock());

  /** Writes about a job; if the database is away, keeps the write for the next round. */
  async function settle(job: ClaimedJob, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (isDatabaseUnavailable(error)) unsettled.set(`${job.chamberId}/${job.id}`, write);
      throw error;
    }
  }

  /** Lets each kind's handler look up at once what its jobs of the batch need. */
  async function prepare(jobs: ClaimedJob[]): Promise<void> {
    for (const [kind, handler] of handlers) {
      const ofKind = jobs.filter((job) => job.kind === kind);
      if (ofKind.length > 0) await handler.prepare?.(ofKind);
    }
  }

  async function runOne(job: ClaimedJob): Promise<'done' | 'retried' | 'failed'> {
    const payload = payloadOf(job);
    let outcome: JobOutcome;
    try {
      const handler = handlers.get(job.kind);
      if (!handler) throw new MailError(`unknown job kind ${job.kind}`, true);
      outcome = await handler.run(job, payload);
    } catch (error) {
      // A mail server that cannot be reached is the job's failure; the database's is not.
      if (!(error instanceof MailError) && isDatabaseUnavailable(error)) {
        await settle(job, () => release(job));
        throw error;
      }
      const permanent = error instanceof MailError && error.permanent;
      const note = error instanceof Error ? error.message.slice(0, 500) : 'failed';
      if (permanent || job.attempts >= job.maxAttempts) {
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
    if (!outcome.settled) await settle(job, () => finish(job, 'done', outcome.note ?? null));
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

  /** Runs every due job once (tests call this directly with their own clock). */
  async function runDue(): Promise<WorkerStats> {
    const stats: WorkerStats = { done: 0, retried: 0, failed: 0 };
    await settleLeftovers();
    for (const sweep of sweeps) await sweep(clock());
    for (;;) {
      const now = clock();
      const jobs = await claimDueJobs(db, now, new Date(now.getTime() + LEASE_MS), BATCH);
      if (jobs.length === 0) return stats;
      await prepare(jobs);
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
          unsettled.set(`${rest.chamberId}/${rest.id}`, () => release(rest));
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
