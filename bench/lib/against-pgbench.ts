import type { Statement } from './capture.js';
import { coresText, lockWaitText, watchLoad } from './lock-waits.js';
import { sealerCaughtUp } from './sealer.js';
import type { HttpRequestSpec } from './measure.js';
import type { inProcessApp } from './product.js';
import { pgbenchRound, POOL_SIZE, productRound, scriptsFor, type startProduct } from './product.js';
import {
  alternate,
  log,
  ratio,
  ratioText,
  sideRows,
  summarizeSides,
  writeReport,
  type BenchOptions,
  type Report,
  SIDE_HEAD,
} from './scenario.js';

/** Node CPU (web and worker), PostgreSQL's, and the load generator's: pgbench, wrk or undici. */
const CPU_KEYS = ['node', 'postgres', 'client'];

export interface Request {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

type Recorder = Awaited<ReturnType<typeof inProcessApp>>;

/** Records the SQL of a request for each subject, for the pgbench baseline. */
export async function recordRequest(
  recorder: Recorder,
  subjects: number,
  request: (subject: number) => Request,
  expect: number,
): Promise<{ scripts: string[]; statements: Statement[] }> {
  const recorded = await scriptsFor(
    recorder,
    subjects,
    (i) => recorder.app.inject(request(i)),
    expect,
  );
  return recorded;
}

/**
 * The product over HTTP against pgbench replaying the product's own SQL: alternating rounds at
 * the pool's client count, then the product alone at half its maximum rate.
 */
export async function againstPgbench(options: {
  bench: BenchOptions;
  id: string;
  title: string;
  command: string;
  databaseUrl: string;
  server: Awaited<ReturnType<typeof startProduct>>;
  scripts: string[];
  statements: Statement[];
  request: (client: number) => Request;
  expect: number;
  /** Target: ratio at least this, and p99 at half rate at most this many ms. */
  minRatio: number;
  maxHalfP99: number;
  notes: string[];
  /**
   * Watch the half-rate round (cores busy, lock waits of the database's backends) and say so
   * in a note (default true); search.ts watches a further round of its own instead.
   */
  watchHalfRate?: boolean;
  /** A header that must be new in every request (an Idempotency-Key). */
  fresh?: string;
}): Promise<Report> {
  const { bench, server } = options;
  const next = (client: number): HttpRequestSpec => {
    const r = options.request(client);
    return {
      method: r.method,
      path: r.url,
      headers: r.headers,
      body: r.payload,
      expect: options.expect,
    };
  };
  log(`${options.id}: ${options.statements.length} SQL statements per request`);
  // With a worker, every round starts with the audit sealer caught up (bench/lib/sealer.ts).
  const sealed: number[] = [];
  const thenSealed = async <T>(round: Promise<T>): Promise<T> => {
    const result = await round;
    if (server.worker) sealed.push(await sealerCaughtUp(options.databaseUrl));
    return result;
  };
  const rounds = await alternate(
    bench,
    (seconds) =>
      thenSealed(
        pgbenchRound({
          url: options.databaseUrl,
          scripts: options.scripts,
          clients: POOL_SIZE,
          seconds,
        }),
      ),
    (seconds) =>
      thenSealed(
        productRound(server, {
          connections: POOL_SIZE,
          seconds,
          next,
          wrk: true,
          fresh: options.fresh,
        }),
      ),
  );
  const product = summarizeSides(rounds.product);
  const generator = rounds.product.every((p) => p.generator === 'wrk') ? 'wrk' : 'undici';
  const baseline = summarizeSides(rounds.baseline);
  const halfRate = Math.max(1, Math.round(product.perSecond / 2));
  log(`${options.id}: half load, ${halfRate}/s`);
  const halfRateRound = () =>
    productRound(server, { connections: POOL_SIZE, seconds: bench.seconds, rate: halfRate, next });
  let watched = '';
  let halfRound: Awaited<ReturnType<typeof halfRateRound>>;
  if (options.watchHalfRate === false) halfRound = await halfRateRound();
  else {
    const watch = await watchLoad(options.databaseUrl, server.pids);
    try {
      const w = await watch.measure(halfRateRound);
      halfRound = w.result;
      watched = `At the half rate (${halfRate}/s, ${halfRound.ops} answers): ${coresText(w.cores, server.worker ? 'product: web + worker' : 'product')}; ${lockWaitText(w.waits)}.`;
      log(`${options.id}: ${watched}`);
    } finally {
      await watch.close();
    }
  }
  const half = summarizeSides([halfRound]);
  const r = ratio(rounds);
  const met = r.median >= options.minRatio && half.p99 <= options.maxHalfP99;
  const peakRss = Math.max(halfRound.peakRssMb, ...rounds.product.map((p) => p.peakRssMb ?? 0));
  return writeReport({
    id: options.id,
    title: options.title,
    command: `${options.command}${bench.quick ? ' --quick' : ''}`,
    baseline: `pgbench replaying the handler's ${options.statements.length} statements as recorded from the product, ${POOL_SIZE} clients (the product's pool size)`,
    target: `≥ ${options.minRatio} of baseline; p99 ≤ ${options.maxHalfP99} ms at half of max rate`,
    table: {
      head: [...SIDE_HEAD, 'CPU ms/op load generator'],
      rows: [
        sideRows('pgbench baseline', baseline, CPU_KEYS),
        sideRows(`product, max rate (${generator})`, product, CPU_KEYS),
        sideRows(`product at half rate (${halfRate}/s, undici)`, half, CPU_KEYS),
      ],
    },
    verdict: `ratio ${ratioText(r)}; p99 at half rate ${half.p99.toFixed(1)} ms: ${met ? 'target met' : 'target missed'}`,
    notes: [
      `${bench.size.patients.toLocaleString('en-GB')} patients, ${bench.size.messages.toLocaleString('en-GB')} messages; ${bench.rounds} rounds × ${bench.seconds} s each side, alternating, after ${bench.warmupSeconds} s of warm-up each.`,
      `SQL statements per request: ${options.statements.length} (${options.statements.map((s) => s.text.trim().split(/\s+/)[0]!.toLowerCase()).join(', ')}).`,
      `Peak RSS of the product process: ${peakRss.toFixed(0)} MB.`,
      ...(server.worker
        ? [
            `A worker process (\`--role=worker\`: jobs and the audit sealer) runs beside the web process; its CPU counts in the product’s Node CPU. Every round starts with the sealer caught up (it also seals the audit rows the pgbench replay writes, which would otherwise land in the product's next round): ${(Math.max(0, ...sealed) / 1000).toFixed(1)} s at most between rounds.`,
          ]
        : []),
      ...(watched ? [watched] : []),
      ...options.notes,
    ],
    quick: bench.quick,
  });
}
