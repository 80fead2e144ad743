import { sql } from 'drizzle-orm';
import { fromPostgres } from '../server/db/connect.js';
import { HASH_THREAD_NICE, HASH_THREADS } from '../server/lib/passwords.js';
import { killOnExit, runBaselineProcess } from './lib/baseline-process.js';
import {
  BENCH_PASSWORD,
  datasetIds,
  openSessions,
  patientEmail,
  postgresDataset,
} from './lib/dataset.js';
import { lockWaitSampler, lockWaitText } from './lib/lock-waits.js';
import type { HttpRequestSpec } from './lib/measure.js';
import { productRound, startProduct } from './lib/product.js';
import {
  alternate,
  log,
  parseOptions,
  ratio,
  ratioText,
  sideRows,
  summarizeSides,
  writeReport,
  type Side,
  SIDE_HEAD,
} from './lib/scenario.js';

// Sign-in: patients sign in to the portal over HTTP (argon2id verification, session, audit row),
// against a bare Node process verifying the same argon2id hash at the same concurrency. Then the
// Inbox at a fixed modest rate, quiet and during a sign-in storm: the storm must not make the
// reads' p99 more than twice as slow.

/** Sign-ins in flight at once, on both sides: enough to keep every argon2 thread busy. */
const CONCURRENCY = 8;
/** Inbox opens per second while measuring reads, quiet and during the storm. */
const READ_RATE = 50;
/** Patients opening their Inbox (each its own session). */
const READERS = 50;

const options = parseOptions();
const data = await postgresDataset(options.size, log);
try {
  const database = fromPostgres(data.url, 2);
  let readTokens: string[];
  let hash: string;
  try {
    const ids = await datasetIds(database.db, Math.min(READERS, options.size.patients));
    readTokens = await openSessions(database.db, ids.chamberId, 'patient', ids.patientIds);
    const r = await database.db.execute<{ password_hash: string }>(
      sql`select password_hash from portal_accounts where email = ${patientEmail(1)}`,
    );
    hash = r.rows[0]!.password_hash;
  } finally {
    await database.close();
  }

  const server = await startProduct(data.url);
  killOnExit(server.child);
  try {
    let signIns = 0;
    const signIn = (): HttpRequestSpec => {
      // Every sign-in is another patient's, round the whole data set.
      signIns += 1;
      return {
        method: 'POST',
        path: '/api/v1/portal/session',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          chamber: 'demo',
          email: patientEmail(1 + (signIns % options.size.patients)),
          password: BENCH_PASSWORD,
        }),
      };
    };
    let reads = 0;
    const read = (): HttpRequestSpec => ({
      method: 'GET',
      path: '/api/v1/portal/conversations',
      headers: { cookie: `portal_session=${readTokens[reads++ % readTokens.length]}` },
    });
    const signInRound = (seconds: number) =>
      productRound(server, { connections: CONCURRENCY, seconds, next: signIn });
    const readRound = (seconds: number) =>
      productRound(server, { connections: 10, seconds, rate: READ_RATE, next: read });

    const baselineRound = async (seconds: number): Promise<Side> => {
      const r = await runBaselineProcess<{
        ops: number;
        errors: number;
        seconds: number;
        latencies: number[];
        cpuMs: number;
      }>(
        'bench/baselines/argon2-loop.ts',
        { hash, password: BENCH_PASSWORD, concurrency: CONCURRENCY, seconds },
        { timeoutMs: seconds * 1000 + 30_000 },
      );
      return { ...r, cpu: { node: r.cpuMs } };
    };

    const rounds = await alternate(options, baselineRound, signInRound);
    const product = summarizeSides(rounds.product);
    const baseline = summarizeSides(rounds.baseline);
    const r = ratio(rounds);

    log(`Inbox at ${READ_RATE}/s: quiet, then during a sign-in storm (${CONCURRENCY} clients)`);
    const quietRound = await readRound(options.seconds);
    // The database's active backends sampled during the storm (sign-ins and reads together).
    const waits = await lockWaitSampler(data.url);
    const [stormRead, stormSignIn] = await waits
      .measure(() => Promise.all([readRound(options.seconds), signInRound(options.seconds)]))
      .finally(() => waits.close());
    const stormWaits = waits.take();
    const quiet = summarizeSides([quietRound]);
    // The CPU of the storm round belongs to both loads: shown once, on the sign-in row.
    const storm = summarizeSides([{ ...stormRead, cpu: {} }]);
    const stormSignIns = summarizeSides([stormSignIn]);
    const factor = storm.p99 / quiet.p99;
    log(
      `reads p99 quiet ${quiet.p99.toFixed(1)} ms, storm ${storm.p99.toFixed(1)} ms (× ${factor.toFixed(2)})`,
    );
    const met = r.median >= 0.8 && factor <= 2;
    const cpuKeys = ['node', 'postgres'];
    writeReport({
      id: 'sign-in',
      title: 'Sign-in, and reads during a sign-in storm',
      command: `npm run bench -- sign-in${options.quick ? ' --quick' : ''}`,
      baseline: `a bare Node process verifying the same argon2id hash (same parameters, @node-rs/argon2) in a closed loop, ${CONCURRENCY} at once`,
      target: "≥ 0.8 of baseline; reads' p99 during a sign-in storm ≤ 2 × quiet",
      table: {
        head: SIDE_HEAD,
        rows: [
          sideRows('argon2id verify loop (baseline)', baseline, cpuKeys),
          sideRows('product: portal sign-in', product, cpuKeys),
          sideRows(`Inbox at ${READ_RATE}/s, quiet`, quiet, cpuKeys),
          sideRows(`Inbox at ${READ_RATE}/s, during the storm`, storm, cpuKeys),
          sideRows('sign-ins during the storm', stormSignIns, cpuKeys),
        ],
      },
      verdict: `ratio ${ratioText(r)}; reads' p99 ${quiet.p99.toFixed(1)} ms quiet, ${storm.p99.toFixed(1)} ms during the storm (× ${factor.toFixed(2)}): ${met ? 'target met' : 'target missed'}`,
      notes: [
        `${options.size.patients.toLocaleString('en-GB')} patients; ${options.rounds} rounds × ${options.seconds} s each side, alternating; ${CONCURRENCY} sign-ins in flight on both sides, each sign-in another patient's account.`,
        `During the storm, ${lockWaitText(stormWaits)}.`,
        `A sign-in is POST /api/v1/portal/session: the chamber and account looked up, the password verified (argon2id, 19 MiB, 2 passes, 1 lane), a session and an audit row written in one transaction, the signed-in patient described: 7 SQL statements (server/plugins/statement-count.test.ts).`,
        `The product hashes in ${HASH_THREADS} thread${HASH_THREADS === 1 ? '' : 's'} of its own at nice ${HASH_THREAD_NICE} (one per core but one), so a storm of sign-ins leaves a core to requests and PostgreSQL; the baseline uses libuv's 4 threads at normal priority, as much of the machine as argon2 can take. The ratio is bounded by that choice and by a sign-in's own work besides the hash (its Node and PostgreSQL CPU per sign-in, in the table).`,
        `Reads: GET /api/v1/portal/conversations for ${READERS} signed-in patients at a fixed ${READ_RATE}/s (open loop: latency counts from when each request was due), ${options.seconds} s quiet, then ${options.seconds} s together with the storm.`,
        "Product changes this row led to: hashing moved out of libuv's pool (at normal priority, 4 hashes on 2 cores starved the event loop: Inbox p50 during the storm went from 4 ms to 12 ms and beyond) into its own lower-priority threads, one core left free; patient sign-in down from 10 to 7 statements (no session read back, the chamber not read twice, no failure-count reset when it is 0).",
        `Peak RSS of the product process: ${Math.max(...rounds.product.map((p) => (p as { peakRssMb?: number }).peakRssMb ?? 0)).toFixed(0)} MB.`,
      ],
      quick: options.quick,
    });
  } finally {
    await server.stop();
  }
} finally {
  await data.drop();
}
