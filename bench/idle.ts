import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { datasetIds, LIVE_STAFF, openSessions, postgresDataset } from './lib/dataset.js';
import { killOnExit, onStopSignal } from './lib/children.js';
import { closeSessions } from './lib/sessions.js';
import { fromPostgres } from '../server/db/connect.js';
import { memoryMb, processCpuMs } from './lib/measure.js';
import { databaseBackends } from './lib/pg-backends.js';
import { startProduct } from './lib/product.js';
import { log, parseOptions, writeReport } from './lib/scenario.js';
import { openSseClients, startSseBaseline, type SseClients } from './lib/sse-load.js';
import {
  cpuProfileEnv,
  readStatementCounts,
  statementCounterEnv,
  statementDelta,
} from './lib/statements.js';

// Idle streams: 10,000 connected, idle event streams; the product's memory (targets: ≤ 100 MB
// RSS before any stream, and per stream ≤ 1.2 × the raw server's) and what its heartbeats cost,
// against a raw Node SSE server holding as many streams.

const options = parseOptions();
const arg = (name: string, fallback: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : fallback;
};
const CLIENTS = arg('clients', options.quick ? 1000 : 10_000);
const HEARTBEAT_MS = arg('heartbeat', options.quick ? 1000 : 5000);
/** Heartbeat rounds the CPU and statements are measured over. */
const WINDOW = arg('heartbeats', options.quick ? 2 : 3);
/**
 * Seconds each side idles after starting before its streams open (default 0: at once). V8 may
 * give back start-up garbage and shrink its young generation once a process has been quiet for
 * a while (some 30 s where it did), so `--settle=40` shows whether "before" still held any.
 */
const SETTLE_S = arg('settle', 0);
const BEFORE_TARGET_MB = 100;
const PER_STREAM_TARGET = 1.2;

/** The open-files limit of this process (the client sockets count against it). */
function openFilesLimit(): number {
  const limits = fs.readFileSync('/proc/self/limits', 'utf8');
  const m = /Max open files\s+(\d+|unlimited)/.exec(limits);
  return !m || m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

interface Measured {
  connectMs: number;
  open: number;
  failures: Record<string, number>;
  /** RSS as the side had just started. */
  rssStartMb: number;
  /** RSS just before the streams opened (after `--settle`). */
  rssBeforeMb: number;
  rssMb: number;
  peakMb: number;
  /** Heartbeat rounds seen during the window (heartbeats received / streams). */
  rounds: number;
  /** Streams that got no heartbeat in the window. */
  silent: number;
  cpuMsPerRound: number;
  pgCpuMsPerRound?: number;
}

/** Opens the streams, waits for them to settle, then watches WINDOW heartbeat rounds. */
async function hold(
  name: string,
  url: string,
  streamPath: string,
  pid: number,
  headers: (i: number) => Record<string, string>,
  backends: Awaited<ReturnType<typeof databaseBackends>> | undefined,
  onWindow?: (phase: 'start' | 'end') => Promise<void>,
): Promise<Measured> {
  const rssStartMb = memoryMb(pid).rss;
  if (SETTLE_S > 0) await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
  const rssBeforeMb = memoryMb(pid).rss;
  log(
    `${name}: opening ${CLIENTS} streams (RSS before ${rssBeforeMb.toFixed(0)} MB${SETTLE_S > 0 ? `, ${rssStartMb.toFixed(0)} MB when started` : ''})`,
  );
  let clients: SseClients | undefined;
  try {
    clients = await openSseClients({
      url,
      path: streamPath,
      count: CLIENTS,
      headers,
      concurrency: 100,
      progress: (n) => {
        if (n % 5000 === 0) log(`${name}: ${n} streams open`);
      },
    });
    const c = clients;
    log(
      `${name}: ${c.open()} of ${CLIENTS} streams open in ${(c.connectMs / 1000).toFixed(1)} s${c.failed() ? `; failed ${JSON.stringify(c.failures())}` : ''}`,
    );
    // Settle: every stream has had a heartbeat (so every stream was written to once more).
    await c.waitUntil(() => c.heartbeats().every((h) => h > 0), HEARTBEAT_MS * 2 + 2000);
    const before = Int32Array.from(c.heartbeats());
    await onWindow?.('start');
    const cpu0 = processCpuMs(pid);
    const pg0 = await backends?.snapshot();
    await new Promise((r) => setTimeout(r, HEARTBEAT_MS * WINDOW + HEARTBEAT_MS / 2));
    const cpu = processCpuMs(pid) - cpu0;
    const pg = pg0 ? await backends!.since(pg0) : 0;
    await onWindow?.('end');
    const after = c.heartbeats();
    let got = 0;
    let silent = 0;
    for (let i = 0; i < CLIENTS; i += 1) {
      const d = after[i]! - before[i]!;
      got += d;
      if (d === 0) silent += 1;
    }
    const rounds = Math.max(1, Math.round(got / Math.max(1, c.open())));
    const mem = memoryMb(pid);
    return {
      connectMs: c.connectMs,
      open: c.open(),
      failures: c.failures(),
      rssStartMb,
      rssBeforeMb,
      rssMb: mem.rss,
      peakMb: mem.peak,
      rounds,
      silent,
      cpuMsPerRound: cpu / rounds,
      pgCpuMsPerRound: backends ? pg / rounds : undefined,
    };
  } finally {
    clients?.close();
  }
}

const limit = openFilesLimit();
if (limit < CLIENTS + 500) {
  throw new Error(
    `open-files limit ${limit} is too low for ${CLIENTS} client sockets: run \`ulimit -n ${CLIENTS + 1000}\` first`,
  );
}

const data = await postgresDataset(options.size, log);
onStopSignal(() => data.drop());
const statsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-bench-idle-'));
const cleanups: (() => unknown)[] = [];
try {
  const database = fromPostgres(data.url, 2);
  cleanups.push(() => database.close());
  const ids = await datasetIds(database.db, 1);
  // 10 sessions for each of the 1,000 live staff (a user with several devices and tabs),
  // deleted at the end: `npm run bench` shares the data set with the next scenarios.
  const subjects = Array.from({ length: CLIENTS }, (_, i) => ids.liveStaffIds[i % LIVE_STAFF]!);
  const tokens = await openSessions(database.db, ids.chamberId, 'staff', subjects);
  cleanups.push(() => closeSessions(database.db, tokens));

  // Baseline first, then the product, one at a time: each holds CLIENTS sockets of this process.
  const baseline = await startSseBaseline({ HEARTBEAT_MS: String(HEARTBEAT_MS) });
  let b: Measured;
  try {
    b = await hold('baseline', baseline.url, '/events', baseline.child.pid!, () => ({}), undefined);
  } finally {
    await baseline.stop();
  }

  const counter = statementCounterEnv(statsDir);
  const server = await startProduct(data.url, {
    ...counter.env,
    ...cpuProfileEnv(counter.env),
    PORTAL_EVENTS_HEARTBEAT_MS: String(HEARTBEAT_MS),
    // The safety-net poll (one query per chamber, whatever the number of streams) is pushed
    // out of the window, so that what the window sees is the heartbeats alone.
    PORTAL_EVENTS_POLL_MS: '300000',
  });
  killOnExit(server.child);
  cleanups.push(() => server.stop());
  const backends = await databaseBackends(data.url);
  cleanups.push(() => backends.close());
  let statementsBefore = await readStatementCounts(counter.file, server.child.pid!);
  let statements: ReturnType<typeof statementDelta> = { total: 0, byKind: [] };
  const p = await hold(
    'product',
    server.url,
    '/api/v1/events',
    server.child.pid!,
    (i) => ({ Cookie: `staff_session=${tokens[i]}` }),
    backends,
    async (phase) => {
      if (phase === 'start')
        statementsBefore = await readStatementCounts(counter.file, server.child.pid!);
      else
        statements = statementDelta(
          statementsBefore,
          await readStatementCounts(counter.file, server.child.pid!),
        );
    },
  );

  const perStream = (m: Measured) => ((m.rssMb - m.rssBeforeMb) * 1024) / Math.max(1, m.open);
  const row = (label: string, m: Measured) => [
    label,
    `${m.open.toLocaleString('en-GB')} / ${CLIENTS.toLocaleString('en-GB')}`,
    m.connectMs / 1000,
    m.rssBeforeMb,
    m.rssMb,
    m.peakMb,
    perStream(m),
    m.cpuMsPerRound,
    m.pgCpuMsPerRound === undefined ? '–' : m.pgCpuMsPerRound,
    m.silent,
  ];
  const stmtsPerRound = statements.total / p.rounds;
  const at10k = p.rssBeforeMb + (perStream(p) * 10_000) / 1024;
  const ratio = perStream(p) / perStream(b);
  const beforeMet = p.rssBeforeMb <= BEFORE_TARGET_MB;
  const perStreamMet = ratio <= PER_STREAM_TARGET;
  const met = p.open === CLIENTS && b.open === CLIENTS && beforeMet && perStreamMet;
  writeReport({
    id: 'idle',
    title: `Idle streams: ${CLIENTS.toLocaleString('en-GB')} connected clients`,
    command: `npm run bench -- idle${options.quick ? ' --quick' : ''}`,
    baseline: `bench/baselines/sse-server.mjs, a raw Node SSE server holding the same ${CLIENTS.toLocaleString('en-GB')} streams with the same heartbeat`,
    target: `the product ≤ ${BEFORE_TARGET_MB} MB RSS before any stream, and per stream ≤ ${PER_STREAM_TARGET} × the raw server's (${CLIENTS.toLocaleString('en-GB')} streams)`,
    table: {
      head: [
        'side',
        'streams open',
        'connect all, s',
        'RSS before MB',
        'RSS with streams MB',
        'peak RSS MB',
        'KB per stream',
        'CPU ms per heartbeat round',
        'PostgreSQL CPU ms per heartbeat round (the database’s backends)',
        'streams without a heartbeat',
      ],
      rows: [row('raw SSE server', b), row('product', p)],
    },
    verdict: `product ${p.rssBeforeMb.toFixed(0)} MB before any stream (${beforeMet ? 'met' : 'missed'}); ${perStream(p).toFixed(1)} KB per stream, × ${ratio.toFixed(2)} of the raw server's ${perStream(b).toFixed(1)} KB (${perStreamMet ? 'met' : 'missed'}); RSS ${p.rssMb.toFixed(0)} MB (peak ${p.peakMb.toFixed(0)} MB) with ${p.open.toLocaleString('en-GB')} streams, raw SSE server ${b.rssMb.toFixed(0)} MB${CLIENTS < 10_000 ? `; at 10,000 streams the product would need about ${at10k.toFixed(0)} MB` : ''}: ${met ? 'target met' : 'target missed'}`,
    notes: [
      `${CLIENTS.toLocaleString('en-GB')} staff streams (${Math.ceil(CLIENTS / LIVE_STAFF)} session${CLIENTS > LIVE_STAFF ? 's' : ''} for each of ${Math.min(CLIENTS, LIVE_STAFF).toLocaleString('en-GB')} users), opened 100 at a time; heartbeat every ${HEARTBEAT_MS / 1000} s (PORTAL_EVENTS_HEARTBEAT_MS) on both sides; CPU measured over ${p.rounds} heartbeat rounds once every stream had had one; the product's safety-net poll was set to 5 minutes to keep it out of that window.`,
      `SQL statements per heartbeat round (all ${p.open.toLocaleString('en-GB')} sessions re-checked): ${stmtsPerRound.toFixed(1)}${statements.byKind.length ? ` (${statements.byKind.map(([k, v]) => `\`${k.slice(0, 40)}\` ${v}`).join(', ')})` : ''}.`,
      `Open-files limit of the benchmark process: ${limit === Infinity ? 'unlimited' : limit} (it holds every client socket; the scenario stops early if the limit is below the stream count + 500; raise it with \`ulimit -n\`).`,
      `Memory: the product takes ${p.rssBeforeMb.toFixed(0)} MB before any stream (the raw server ${b.rssBeforeMb.toFixed(0)} MB)${SETTLE_S > 0 ? `, measured after idling ${SETTLE_S} s (when started: product ${p.rssStartMb.toFixed(0)} MB, raw server ${b.rssStartMb.toFixed(0)} MB)` : ', measured as soon as it answered'}; a stream costs the raw server ${perStream(b).toFixed(1)} KB (Node's own socket, request and response) and the product ${perStream(p).toFixed(1)} KB. Per stream is (RSS with streams − RSS before) / streams: it also takes whatever the heap grew by while the streams opened (V8's young generation, garbage not yet collected), so it moves by about 1 KB from run to run.`,
      `Streams lost: baseline ${JSON.stringify(b.failures)}, product ${JSON.stringify(p.failures)}.`,
    ],
    quick: options.quick,
  });
} finally {
  for (const c of cleanups.reverse()) {
    try {
      await c();
    } catch (error) {
      log(`cleanup: ${(error as Error).message}`);
    }
  }
  fs.rmSync(statsDir, { recursive: true, force: true });
  await data.drop();
}
