import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { childrenCpuMs, type HttpRequestSpec, type LoadResult } from './measure.js';

/**
 * Closed-loop HTTP load from `wrk` (Debian's `wrk` package), a load generator in C, as pgbench
 * is on the baseline's side. The Node load generator of measure.ts costs about half a
 * millisecond of CPU per request, on the same two cores as the product: more than the
 * product's PostgreSQL spends on an Inbox. The open-loop rounds (a fixed rate) stay in Node.
 */
let available: boolean | undefined;
export function wrkAvailable(): boolean {
  if (available === undefined) {
    try {
      execFileSync('wrk', ['--version'], { stdio: 'ignore' });
      available = true;
    } catch (error) {
      // wrk --version prints its version and exits 1.
      available = (error as { status?: number }).status === 1;
    }
  }
  return available;
}

const lua = (s: string) => JSON.stringify(s);

/**
 * The wrk script: the requests `next` makes for each client (`cycle` per client, made
 * beforehand), sent in turn by whichever connection is free, as pgbench's clients pick a
 * subject at random per transaction; a header named in `fresh` gets a new value per request
 * (an Idempotency-Key). Each thread counts the answers by status; `done` prints them and the
 * latency histogram (µs) for the caller to read.
 */
function script(
  connections: number,
  cycle: number,
  next: (client: number) => HttpRequestSpec,
  fresh: string | undefined,
): { text: string; expect: number } {
  const specs = Array.from({ length: cycle }, () =>
    Array.from({ length: connections }, (_, c) => next(c)),
  ).flat();
  const expect = specs[0]!.expect ?? 200;
  const entry = (s: HttpRequestSpec) => {
    const headers = Object.entries(s.headers ?? {})
      .filter(([name]) => name !== fresh)
      .map(([k, v]) => `[${lua(k)}] = ${lua(v)}`)
      .join(', ');
    return `{ method = ${lua(s.method)}, path = ${lua(s.path)}, headers = { ${headers} }, body = ${s.body === undefined ? 'nil' : lua(s.body)} }`;
  };
  const freshHeader = fresh
    ? `s.headers[${lua(fresh)}] = string.format("wrk-%d-%d-%d", id, n, math.random(0, 2147483647))`
    : '';
  const text = `
local specs = { ${specs.map(entry).join(',\n')} }
local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end
statuses, n = {}, 0
function init(args)
  math.randomseed(id * 7919 + os.time())
end
function request()
  n = n + 1
  local s = specs[(n - 1) % #specs + 1]
  ${freshHeader}
  return wrk.format(s.method, s.path, s.headers, s.body)
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local all = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do all[status] = (all[status] or 0) + count end
  end
  for status, count in pairs(all) do io.write("status ", status, " ", count, "\\n") end
  local e = summary.errors
  io.write("errors ", e.connect + e.read + e.write + e.timeout, "\\n")
  io.write("duration ", summary.duration, "\\n")
  for i = 1, #latency do
    local value, count = latency(i)
    if count and count > 0 then io.write("latency ", value, " ", count, "\\n") end
  end
end
`;
  return { text, expect };
}

/**
 * Drives closed-loop load with wrk for `seconds`: `connections` connections on one thread,
 * each its own client of `next`. Answers the result as httpLoad does, and the CPU wrk used.
 */
export async function wrkLoad(options: {
  url: string;
  connections: number;
  seconds: number;
  next: (client: number) => HttpRequestSpec;
  /** A header given a new value for every request. */
  fresh?: string;
}): Promise<LoadResult & { cpuMs: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-wrk-'));
  try {
    const { text, expect } = script(options.connections, 4, options.next, options.fresh);
    const file = path.join(dir, 'load.lua');
    fs.writeFileSync(file, text);
    const children0 = childrenCpuMs();
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        'wrk',
        [
          '-t1',
          `-c${options.connections}`,
          `-d${options.seconds}s`,
          '--timeout',
          '10s',
          '-s',
          file,
          options.url,
        ],
        { maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) =>
          error ? reject(new Error(`wrk: ${stderr || error.message}`)) : resolve(stdout),
      ),
    );
    const cpuMs = childrenCpuMs() - children0;
    const statuses: Record<string, number> = {};
    const latencies: number[] = [];
    let errors = 0;
    let seconds = options.seconds;
    for (const line of out.split('\n')) {
      const [kind, a, b] = line.split(' ');
      if (kind === 'status') statuses[a!] = Number(b);
      else if (kind === 'errors') errors += Number(a);
      else if (kind === 'duration') seconds = Number(a) / 1e6;
      else if (kind === 'latency')
        for (let i = 0; i < Number(b); i += 1) latencies.push(Number(a) / 1000);
    }
    const answered = Object.values(statuses).reduce((x, y) => x + y, 0);
    const ok = statuses[String(expect)] ?? 0;
    return { ops: ok, errors: errors + answered - ok, seconds, latencies, statuses, cpuMs };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
