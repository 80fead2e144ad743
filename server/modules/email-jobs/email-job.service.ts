import type { ServiceContext } from '../../lib/context.js';
import type { StaffActor } from '../auth/actor.js';
import { listTroubledJobs } from './email-job.repository.js';

const KIND_LABEL: Record<string, string> = {
  shared_items_email: 'New shared items email',
  account_link_email: 'Invitation or password link',
};

/** Email jobs of the chamber for admins: what failed, and what waits for a retry. */
export function createEmailJobService(ctx: ServiceContext) {
  return {
    async list(actor: StaffActor, state: 'failed' | 'pending') {
      const rows = await listTroubledJobs(ctx.db, actor.chamberId, state);
      return {
        jobs: rows.map((j) => ({
          id: j.id,
          kind: j.kind,
          label: KIND_LABEL[j.kind] ?? j.kind,
          state: j.state,
          attempts: j.attempts,
          maxAttempts: j.maxAttempts,
          lastError: j.lastError,
          nextAttemptAt: j.state === 'failed' ? null : j.runAt.toISOString(),
          createdAt: j.createdAt.toISOString(),
          finishedAt: j.finishedAt ? j.finishedAt.toISOString() : null,
        })),
      };
    },
  };
}

export type EmailJobService = ReturnType<typeof createEmailJobService>;
