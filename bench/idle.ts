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

// Idle streams: 10,000 connected, idle event streams; the product's memory (target ≤ 200 MB
// RSS) and what its heartbeats cost, against a raw Node SSE server holding as many streams.

const options = parseOptions();
const arg = (name: string, fallback: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : fallback;
};
const CLIENTS = arg('clients', options.quick ? 1000 : 10_000);
const HEARTBEAT_MS = arg('heartbeat', options.quick ? 1000 : 5000);
/** Heartbeat rounds the CPU and statements are measured over. */
const WINDOW = arg('heartbeats', options.quick ? 2 : 3);
const TARGET_MB = 200;

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
  const rssBeforeMb = memoryMb(pid).rss;
  log(`${name}: opening ${CLIENTS} streams (RSS before ${rssBeforeMb.toFixed(0)} MB)`);
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
  // With fewer streams than the target's 10,000 (quick mode), the verdict is on the RSS that
  // 10,000 would take at the measured cost per stream.
  const at10k = p.rssBeforeMb + (perStream(p) * 10_000) / 1024;
  const judged = CLIENTS >= 10_000 ? p.rssMb : at10k;
  const met = p.open === CLIENTS && judged <= TARGET_MB;
  writeReport({
    id: 'idle',
    title: `Idle streams: ${CLIENTS.toLocaleString('en-GB')} connected clients`,
    command: `npm run bench -- idle${options.quick ? ' --quick' : ''}`,
    baseline: `bench/baselines/sse-server.mjs, a raw Node SSE server holding the same ${CLIENTS.toLocaleString('en-GB')} streams with the same heartbeat`,
    target: `${CLIENTS >= 10_000 ? '10,000' : CLIENTS.toLocaleString('en-GB')} connected clients ≤ ${TARGET_MB} MB RSS`,
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
    verdict: `product RSS ${p.rssMb.toFixed(0)} MB (peak ${p.peakMb.toFixed(0)} MB) with ${p.open.toLocaleString('en-GB')} streams, raw SSE server ${b.rssMb.toFixed(0)} MB${CLIENTS < 10_000 ? `; at 10,000 streams the product would need about ${at10k.toFixed(0)} MB` : ''}: ${met ? 'target met' : 'target missed'}`,
    notes: [
      `${CLIENTS.toLocaleString('en-GB')} staff streams (${Math.ceil(CLIENTS / LIVE_STAFF)} session${CLIENTS > LIVE_STAFF ? 's' : ''} for each of ${Math.min(CLIENTS, LIVE_STAFF).toLocaleString('en-GB')} users), opened 100 at a time; heartbeat every ${HEARTBEAT_MS / 1000} s (PORTAL_EVENTS_HEARTBEAT_MS) on both sides; CPU measured over ${p.rounds} heartbeat rounds once every stream had had one; the product's safety-net poll was set to 5 minutes to keep it out of that window.`,
      `SQL statements per heartbeat round (all ${p.open.toLocaleString('en-GB')} sessions re-checked): ${stmtsPerRound.toFixed(1)}${statements.byKind.length ? ` (${statements.byKind.map(([k, v]) => `\`${k.slice(0, 40)}\` ${v}`).join(', ')})` : ''}.`,
      `Open-files limit of the benchmark process: ${limit === Infinity ? 'unlimited' : limit} (it holds every client socket; the scenario stops early if the limit is below the stream count + 500; raise it with \`ulimit -n\`).`,
      `Memory: the product takes ${p.rssBeforeMb.toFixed(0)} MB before any stream (the raw server ${b.rssBeforeMb.toFixed(0)} MB), which leaves ${(((TARGET_MB - p.rssBeforeMb) * 1024) / 10_000).toFixed(1)} KB for each of 10,000 streams within ${TARGET_MB} MB; a stream costs the raw server ${perStream(b).toFixed(1)} KB (Node's own socket, request and response) and the product ${perStream(p).toFixed(1)} KB.`,
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
