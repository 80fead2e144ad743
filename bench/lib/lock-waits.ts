import fs from 'node:fs';
import pg from 'pg';
import { processCpuMs } from './measure.js';
import { databaseBackends } from './pg-backends.js';

/** How often pg_stat_activity is sampled. */
export const SAMPLE_MS = 100;

/** What the samples of one measured stretch saw. */
export interface LockWaits {
  /** Samples taken (one every SAMPLE_MS). */
  samples: number;
  /** Active client backends of the database, summed over the samples. */
  active: number;
  /** Of those, waiting on a heavyweight lock (wait_event_type 'Lock': advisory, relation, tuple, transactionid…). */
  locked: number;
  /** Of those, waiting on a lightweight lock (wait_event_type 'LWLock': WAL insertion, buffer mapping…). */
  lwlocked: number;
  /** Every `type:event` (or `running`) with its count, most frequent first. */
  events: [string, number][];
  /**
   * Client backends of the database idle inside a transaction, summed over the samples: each
   * holds a pooled connection while it waits for the product to send its next statement.
   */
  inTransaction: number;
}

/**
 * Samples pg_stat_activity of one database every SAMPLE_MS while `measure`d work runs: the
 * active client backends (the sampler's own left out) and what each waits on. Counts add up
 * over every `measure` until `take()`.
 */
export async function lockWaitSampler(url: string) {
  const client = new pg.Client({ connectionString: url });
  // A copy dropped under it (a benchmark stopped by a signal) ends the connection: not a crash.
  client.on('error', () => undefined);
  await client.connect();
  let samples = 0;
  let active = 0;
  let locked = 0;
  let lwlocked = 0;
  let inTransaction = 0;
  let events = new Map<string, number>();
  const sampleOnce = async () => {
    const rows = await client.query<{
      state: string;
      type: string | null;
      event: string | null;
    }>(
      `select state, wait_event_type as type, wait_event as event from pg_stat_activity
       where datname = current_database() and pid <> pg_backend_pid()
         and backend_type = 'client backend' and state in ('active', 'idle in transaction')`,
    );
    samples += 1;
    for (const row of rows.rows) {
      if (row.state !== 'active') {
        inTransaction += 1;
        continue;
      }
      active += 1;
      if (row.type === 'Lock') locked += 1;
      if (row.type === 'LWLock') lwlocked += 1;
      const key = row.type ? `${row.type}:${row.event}` : 'running';
      events.set(key, (events.get(key) ?? 0) + 1);
    }
  };
  return {
    /** Runs `work`, sampling until it settles. */
    async measure<T>(work: () => Promise<T>): Promise<T> {
      let sampling = true;
      const loop = (async () => {
        while (sampling) {
          await sampleOnce();
          await new Promise((r) => setTimeout(r, SAMPLE_MS));
        }
      })();
      try {
        return await work();
      } finally {
        sampling = false;
        await loop;
      }
    },
    /** The counts so far, then starts again from zero. */
    take(): LockWaits {
      const out: LockWaits = {
        samples,
        active,
        locked,
        lwlocked,
        events: [...events.entries()].sort((a, b) => b[1] - a[1]),
        inTransaction,
      };
      samples = active = locked = lwlocked = inTransaction = 0;
      events = new Map();
      return out;
    },
    close: () => client.end(),
  };
}

/** The share of sampled active backends waiting on a heavyweight lock, 0–1 (0 when none were active). */
export const lockShare = (w: LockWaits) => (w.active ? w.locked / w.active : 0);

/**
 * The sentence every load scenario's report carries: "active backends waiting on a lock: X % of
 * N sampled (every 100 ms; the top wait events)".
 */
export function lockWaitText(w: LockWaits): string {
  const top = w.events
    .slice(0, 4)
    .map(([k, v]) => `${k} ${((v / Math.max(1, w.active)) * 100).toFixed(0)} %`)
    .join(', ');
  const lw = w.lwlocked
    ? `; on a lightweight lock (LWLock) ${((w.lwlocked / w.active) * 100).toFixed(1)} %`
    : '';
  const per = (n: number) => (n / Math.max(1, w.samples)).toFixed(1);
  return `active backends waiting on a lock: ${w.active ? ((w.locked / w.active) * 100).toFixed(1) : '0'} % of ${w.active} sampled (every ${SAMPLE_MS} ms; ${top || 'none active'}${lw}); on average ${per(w.active)} backends active and ${per(w.inTransaction)} idle in a transaction (waiting on the product) at a sample`;
}

/** CPU ms every core of the machine spent busy so far (/proc/stat: all but idle and iowait). */
export function machineBusyMs(): number {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is inside user already).
  const busy = f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + (f[7] ?? 0);
  return busy * 10;
}

/** Cores busy over a measured stretch, by who: from CPU ms and the stretch's length. */
export interface CoresBusy {
  /** The product's processes (web and, where it runs, the worker). */
  product: number;
  /** The database's own backends (pg-backends.ts). */
  database: number;
  /** This benchmark process (the load generator). */
  generator: number;
  /** The whole machine, whoever used it (/proc/stat). */
  machine: number;
}

/**
 * Watches one stretch of load: cores busy (the product's processes, the database's backends,
 * the load generator, the whole machine) and the lock waits of the database's active backends.
 */
export async function watchLoad(url: string, productPids: number[]) {
  const sampler = await lockWaitSampler(url);
  const backends = await databaseBackends(url);
  return {
    async measure<T>(work: () => Promise<T>): Promise<{
      result: T;
      cores: CoresBusy;
      waits: LockWaits;
    }> {
      const node0 = productPids.reduce((a, pid) => a + processCpuMs(pid), 0);
      const self0 = process.cpuUsage();
      const machine0 = machineBusyMs();
      const pg0 = await backends.snapshot();
      const t0 = performance.now();
      const result = await sampler.measure(work);
      const ms = performance.now() - t0;
      const pgMs = await backends.since(pg0);
      const nodeMs = productPids.reduce((a, pid) => a + processCpuMs(pid), 0) - node0;
      const self = process.cpuUsage(self0);
      const machineMs = machineBusyMs() - machine0;
      return {
        result,
        cores: {
          product: nodeMs / ms,
          database: pgMs / ms,
          generator: (self.user + self.system) / 1000 / ms,
          machine: machineMs / ms,
        },
        waits: sampler.take(),
      };
    },
    async close() {
      await sampler.close();
      await backends.close();
    },
  };
}

/** "cores busy 1.23 (product 0.40 [web + worker], this database's backends 0.83; …)". */
export function coresText(c: CoresBusy, productLabel = 'product'): string {
  return `cores busy ${(c.product + c.database).toFixed(2)} (${productLabel} ${c.product.toFixed(2)}, this database's backends ${c.database.toFixed(2)}; the load generator another ${c.generator.toFixed(2)}; the whole machine ${c.machine.toFixed(2)})`;
}
