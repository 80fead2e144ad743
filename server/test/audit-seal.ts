import { sql } from 'drizzle-orm';
import type { Db } from '../db/connect.js';
import { sealAuditEvents } from '../modules/audit/audit.repository.js';

/**
 * Runs the audit sealer, as the worker does, until every audit row of this database it can
 * link is linked (a row slipped in below its progress never is); answers the rows it linked. The sealer only links rows below the oldest
 * transaction still open in the whole PostgreSQL cluster, and other test files run their own
 * transactions meanwhile: it tries again until none is left (at most `timeoutMs`).
 */
export async function sealAllAudit(db: Db, timeoutMs = 15_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  let total = 0;
  for (;;) {
    total += await sealAuditEvents(db);
    const left = await db.execute<{ n: number }>(sql`
      select count(*)::int as n from audit_events e
       where e.xid >= (select coalesce(max(horizon), '1'::xid8) from audit_seal_runs)
         and not exists (select 1 from audit_seals s
                          where s.chamber_id = e.chamber_id and s.audit_event_id = e.id)`);
    if (Number(left.rows[0]?.n ?? 0) === 0) return total;
    if (Date.now() > until)
      throw new Error(`audit rows still unsealed after ${timeoutMs} ms: ${left.rows[0]?.n}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
