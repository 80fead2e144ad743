import type { ServiceContext } from '../lib/context.js';
import type { ClaimedJob } from '../modules/email-jobs/email-job.repository.js';
import type { Mailer } from './mailer.js';

/** What became of a job that ran to its end: its email sent, or rightly not sent (and why). */
export interface JobOutcome {
  result: 'sent' | 'skipped';
  note?: string;
  /**
   * The handler ended the job itself, in the transaction of its work (or found it another
   * worker's): the worker writes nothing more about it.
   */
  settled?: boolean;
}

/**
 * Runs the jobs of one kind. Throwing a MailError fails the attempt (retried unless
 * permanent); a database that went away gives the job back to the queue.
 */
export interface JobHandler {
  /** Looks up at once what a claimed batch of this kind needs, before its jobs run. */
  prepare?(jobs: ClaimedJob[]): Promise<void>;
  run(job: ClaimedJob, payload: Record<string, unknown>): Promise<JobOutcome>;
}

/** Makes a kind's handler for a worker. */
export type JobHandlerFactory = (ctx: ServiceContext, mailer: Mailer) => JobHandler;

/** The job's payload as an object (a driver may answer jsonb as text). */
export const payloadOf = (job: ClaimedJob): Record<string, unknown> =>
  typeof job.payload === 'string'
    ? (JSON.parse(job.payload) as Record<string, unknown>)
    : (job.payload as Record<string, unknown>);
