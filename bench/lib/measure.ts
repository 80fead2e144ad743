import fs from 'node:fs';
import { Pool } from 'undici';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux). */
const TICK_MS = 10;

function statFields(pid: number | string): string[] | undefined {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: split after it.
    return raw.slice(raw.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** User + system CPU of one process so far, in ms. */
export function processCpuMs(pid: number): number {
  const f = statFields(pid);
  if (!f) return 0;
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

/** CPU of this process's children that have exited and been waited for (pgbench, wrk), in ms. */
export function childrenCpuMs(): number {
  const f = statFields('self');
  if (!f) return 0;
  return (Number(f[13]) + Number(f[14])) * TICK_MS;
}

/**
 * CPU used by every PostgreSQL process so far, in ms: the live ones plus what the postmaster
 * has collected from backends that already exited (its children's times).
 */
export function postgresCpuMs(): number {
  let total = 0;
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let comm: string;
    try {
      comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (comm !== 'postgres' && comm !== 'postmaster') continue;
    const f = statFields(pid);
    if (!f) continue;
    total += (Number(f[11]) + Number(f[12])) * TICK_MS;
    // Field 4 is the parent: the postmaster's parent is not a postgres process.
    const parent = f[1];
    const parentComm = (() => {
      try {
        return fs.readFileSync(`/proc/${parent}/comm`, 'utf8').trim();
      } catch {
        return '';
      }
    })();
    if (parentComm !== 'postgres') total += (Number(f[13]) + Number(f[14])) * TICK_MS;
  }
  return total;
}

/** Resident memory now and at its peak, in MB. */
export function memoryMb(pid: number): { rss: number; peak: number } {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return { rss: 0, peak: 0 };
  }
}

/** The p-th percentile (0–100) of the numbers, by nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

export interface HttpRequestSpec {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** The answer counts as a success only with this status (default 200). */
  expect?: number;
}

export interface LoadResult {
  ops: number;
  errors: number;
  seconds: number;
  latencies: number[];
  statuses: Record<string, number>;
}

/**
 * Drives HTTP load for `seconds`: `connections` clients, each sending its next request as soon
 * as the previous one answered (closed loop), or, with `rate`, requests started at that many
 * per second whatever the answers (open loop; latency includes waiting for a free client).
 * `next(client)` makes each request, so every client can be its own signed-in user.
 */
export async function httpLoad(options: {
  url: string;
  connections: number;
  seconds: number;
  rate?: number;
  next: (client: number) => HttpRequestSpec;
}): Promise<LoadResult> {
  const pool = new Pool(options.url, {
    connections: options.connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
  });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const started = performance.now();
  const until = started + options.seconds * 1000;
  const one = async (client: number, queuedAt: number) => {
    const spec = options.next(client);
    try {
      const res = await pool.request({
        method: spec.method,
        path: spec.path,
        headers: spec.headers,
        body: spec.body,
      });
      await res.body.dump();
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      if (res.statusCode !== (spec.expect ?? 200)) errors += 1;
    } catch (error) {
      statuses[String((error as Error).name)] = (statuses[(error as Error).name] ?? 0) + 1;
      errors += 1;
    }
    latencies.push(performance.now() - queuedAt);
  };
  if (options.rate) {
    const interval = 1000 / options.rate;
    const inflight = new Set<Promise<void>>();
    let i = 0;
    while (performance.now() < until) {
      const due = started + i * interval;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const p = one(i % options.connections, due).finally(() => inflight.delete(p));
      inflight.add(p);
      i += 1;
    }
    await Promise.all(inflight);
  } else {
    await Promise.all(
      Array.from({ length: options.connections }, async (_, client) => {
        while (performance.now() < until) await one(client, performance.now());
      }),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return { ops: latencies.length - errors, errors, seconds, latencies, statuses };
}
