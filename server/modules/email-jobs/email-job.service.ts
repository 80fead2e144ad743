import { sql } from 'drizzle-orm';
import type { ServiceContext } from '../../lib/context.js';
import type { StaffActor } from '../auth/actor.js';

const KIND_LABEL: Record<string, string> = {
  shared_items_email: 'New shared items email',
  account_link_email: 'Invitation or password link',
};

/** Email jobs of the chamber for admins: what failed, and what waits for a retry. */
export function createEmailJobService(ctx: ServiceContext) {
  return {
    async list(actor: StaffActor, state: 'failed' | 'pending') {
      const r = await ctx.db.execute<{
        id: string;
        kind: string;
        state: string;
        attempts: number;
        max_attempts: number;
        last_error: string | null;
        run_at: Date | string;
        created_at: Date | string;
        finished_at: Date | string | null;
      }>(sql`
        select id, kind, state, attempts, max_attempts, last_error, run_at, created_at, finished_at from jobs
         where chamber_id = ${actor.chamberId}::uuid
           and ${state === 'failed' ? sql`state = 'failed'` : sql`state in ('pending', 'running') and attempts > 0`}
         order by created_at desc limit 200`);
      return {
        jobs: r.rows.map((j) => ({
          id: j.id,
          kind: j.kind,
          label: KIND_LABEL[j.kind] ?? j.kind,
          state: j.state,
          attempts: Number(j.attempts),
          maxAttempts: Number(j.max_attempts),
          lastError: j.last_error,
          nextAttemptAt: j.state === 'failed' ? null : new Date(j.run_at).toISOString(),
          createdAt: new Date(j.created_at).toISOString(),
          finishedAt: j.finished_at ? new Date(j.finished_at).toISOString() : null,
        })),
      };
    },
  };
}

export type EmailJobService = ReturnType<typeof createEmailJobService>;
