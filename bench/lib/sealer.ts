import pg from 'pg';
import { log } from './scenario.js';

/** How long a round waits at most for the sealer to catch up before going on regardless. */
const MAX_WAIT_MS = 60_000;

/**
 * Waits until the worker's audit sealer has linked every audit row committed so far, and says
 * how long that took. Between the rounds of a scenario with a worker: the pgbench replay writes
 * its requests' audit rows (at its higher rate, some 25,000 a round) with no sealer of its own,
 * and the worker would otherwise seal them during the product's next round, on the same two
 * cores. Each product round then carries the sealing of its own rows, as a deployment does, and
 * no pgbench round carries any.
 */
export async function sealerCaughtUp(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const started = performance.now();
  try {
    for (;;) {
      const { rows } = await client.query<{ waiting: boolean }>(
        `select exists (
           select 1 from audit_events e
            where e.xid >= (select coalesce(max(r.horizon), '1'::xid8) from audit_seal_runs r)
              and not exists (select 1 from audit_seals s
                               where s.chamber_id = e.chamber_id and s.audit_event_id = e.id)
         ) as waiting`,
      );
      const waited = performance.now() - started;
      if (!rows[0]!.waiting) return waited;
      if (waited > MAX_WAIT_MS) {
        log(`the audit sealer had not caught up after ${(waited / 1000).toFixed(0)} s; going on`);
        return waited;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await client.end();
  }
}
