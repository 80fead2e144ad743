import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { buildApp } from '../../server/app.js';
import { fromPostgres, migrateDatabase, type Database } from '../../server/db/connect.js';
import { startServerProcess, type ServerProcess } from '../../server/test/processes.js';
import { testConfig } from '../../server/test/test-app.js';
import { recordStatements, type Statement } from './capture.js';
import { killOnExit, onStopSignal } from './children.js';
import {
  httpLoad,
  memoryMb,
  postgresCpuMs,
  processCpuMs,
  childrenCpuMs,
  type HttpRequestSpec,
  type LoadResult,
} from './measure.js';
import { pgbenchScriptOfSubjects, runPgbench } from './pgbench.js';
import { root, type Side } from './scenario.js';
import { startWorkerProcess } from './worker-process.js';
import { wrkAvailable, wrkLoad } from './wrk.js';
import { cpuProfileEnv } from './statements.js';

/** The product's pool size, which is also the baselines' client count. */
export const POOL_SIZE = 10;

let built = false;

/** Builds the server bundle `npm start` runs, once per benchmark process. */
export function buildServer(): void {
  if (built) return;
  execFileSync('npm', ['run', '--silent', 'build:server'], { cwd: root, stdio: 'inherit' });
  built = true;
}

/** A build of the product to run: the bundle's main.js and what it was built from. */
export interface ProductBuild {
  /** Path of the built bundle's main.js (`dist/server/main.js` of this checkout by default). */
  mainJs: string;
  /** How the reports name it, e.g. "this build" or "21dcf26 (the build before issue 18)". */
  label: string;
}

/** The product process(es) a scenario drives, with the ids whose CPU counts as the product's. */
export type ProductProcess = ServerProcess & {
  dataDir: string;
  /** The web process and, when started with one, the worker: their CPU is the product's. */
  pids: number[];
  /** The worker beside the web process, when asked for. */
  worker?: Awaited<ReturnType<typeof startWorkerProcess>>;
  stop: () => Promise<void>;
};

/**
 * The product as its own process, the way it is deployed (`npm start`: the built bundle, not
 * the TypeScript sources), with its CPU and memory readable. With `worker`, a `--role=worker`
 * process beside it on the same database (it runs the jobs and the audit sealer, whose CPU is
 * part of what the product costs); with `build`, another build's bundle (bench/lib/build-at-ref.ts).
 */
export async function startProduct(
  databaseUrl: string,
  env: Record<string, string> = {},
  /** The embedded database's DATA_DIR (then `databaseUrl` is empty); kept when stopping. */
  embeddedDataDir?: string,
  options: { worker?: boolean; build?: ProductBuild } = {},
): Promise<ProductProcess> {
  const dataDir = embeddedDataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'portal-bench-'));
  if (!options.build) buildServer();
  const productEnv: Record<string, string> = {
    PORTAL_DATABASE_POOL_SIZE: String(POOL_SIZE),
    PORTAL_SIGN_IN_RATE_LIMIT: '100000',
    PORTAL_LOG_LEVEL: 'error',
    ...env,
  };
  // BENCH_CPU_PROF=<dir>: a CPU profile of the web process, unless the caller asked already.
  if (!productEnv.BENCH_CPU_PROF_DIR) Object.assign(productEnv, cpuProfileEnv(productEnv));
  let server: ServerProcess;
  try {
    server = await startServerProcess(databaseUrl, dataDir, {
      role: 'web',
      built: options.build?.mainJs ?? true,
      env: productEnv,
    });
  } catch (error) {
    if (!embeddedDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  killOnExit(server.child);
  if (!embeddedDataDir)
    onStopSignal(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
  const stopWeb = async () => {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    if (!embeddedDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  };
  let worker: Awaited<ReturnType<typeof startWorkerProcess>> | undefined;
  if (options.worker) {
    try {
      // Started after the web process, which has migrated the copy if it had to. The
      // instrumentation preloads (statement counter, CPU profile) are the web process's only.
      const { NODE_OPTIONS: _, BENCH_STATEMENTS_FILE: __, ...workerEnv } = productEnv;
      worker = await startWorkerProcess(databaseUrl, workerEnv, options.build?.mainJs);
    } catch (error) {
      await stopWeb();
      throw error;
    }
  }
  return {
    ...server,
    dataDir,
    pids: [server.child.pid!, ...(worker ? [worker.child.pid!] : [])],
    worker,
    stop: async () => {
      await worker?.stop();
      await stopWeb();
    },
  };
}

/** CPU ms so far of the product's processes (web, and the worker when there is one). */
export function productCpuMs(server: { child: { pid?: number }; pids?: number[] }): number {
  return (server.pids ?? [server.child.pid!]).reduce((a, pid) => a + processCpuMs(pid), 0);
}

/** One closed-loop (or fixed-rate) HTTP round against the product process, with its CPU. */
export async function productRound(
  server: { url: string; child: { pid?: number }; pids?: number[] },
  options: {
    connections: number;
    seconds: number;
    rate?: number;
    next: (client: number) => HttpRequestSpec;
    /**
     * Closed-loop rounds (no `rate`) from wrk, a load generator in C as pgbench is, when it is
     * installed; else, and for a fixed rate, from this process (undici).
     */
    wrk?: boolean;
    /** A header wrk gives a new value for every request (an Idempotency-Key). */
    fresh?: string;
  },
): Promise<Side & { peakRssMb: number; generator: 'wrk' | 'node' }> {
  const node0 = productCpuMs(server);
  const pg0 = postgresCpuMs();
  const useWrk = options.wrk === true && options.rate === undefined && wrkAvailable();
  const own0 = process.cpuUsage();
  let result: LoadResult;
  let client: number;
  if (useWrk) {
    const { cpuMs, ...rest } = await wrkLoad({ url: server.url, ...options });
    result = rest;
    client = cpuMs;
  } else {
    result = await httpLoad({ url: server.url, ...options });
    const own = process.cpuUsage(own0);
    client = (own.user + own.system) / 1000;
  }
  return {
    ...result,
    cpu: {
      node: productCpuMs(server) - node0,
      postgres: postgresCpuMs() - pg0,
      client,
    },
    peakRssMb: memoryMb(server.child.pid!).peak,
    generator: useWrk ? 'wrk' : 'node',
  };
}

/** One pgbench round of the recorded scripts, with PostgreSQL's CPU. */
export async function pgbenchRound(options: {
  url: string;
  scripts: string[];
  clients: number;
  seconds: number;
  rate?: number;
}): Promise<Side> {
  const pg0 = postgresCpuMs();
  const client0 = childrenCpuMs();
  const r = await runPgbench(options);
  return {
    ops: r.transactions,
    errors: r.failed,
    seconds: r.seconds,
    latencies: r.latencies,
    // pgbench's own CPU, counted when it exits.
    cpu: { postgres: postgresCpuMs() - pg0, client: childrenCpuMs() - client0 },
  };
}

/**
 * The product in this process, for recording what SQL a request sends. Live-event polling
 * is off so that only the request's own statements are recorded.
 */
export async function inProcessApp(databaseUrl: string) {
  const database: Database = fromPostgres(databaseUrl, POOL_SIZE);
  await migrateDatabase(database);
  const config = testConfig({ eventsPollMs: 3_600_000, eventsHeartbeatMs: 3_600_000 });
  const app = await buildApp({ config, database });
  return {
    app,
    database,
    /** The statements of one request (LISTEN of the live-event hub left out). */
    async record(
      inject: () => Promise<{ statusCode: number; body: string }>,
      expect: number,
    ): Promise<Statement[]> {
      const { result, statements } = await recordStatements(inject);
      if (result.statusCode !== expect)
        throw new Error(`recording: expected ${expect}, got ${result.statusCode}: ${result.body}`);
      return statements.filter((s) => !/^\s*LISTEN\b/i.test(s.text));
    },
    async close() {
      await app.close();
      await database.close();
      fs.rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}

let subjectTables = 0;

/**
 * Records a request twice per subject and makes its pgbench script: one for every subject, its
 * values read from a table written here (`pgbenchScriptOfSubjects`), or one per subject when
 * their SQL differs in more than its values.
 */
export async function scriptsFor(
  recorder: Awaited<ReturnType<typeof inProcessApp>>,
  subjects: number,
  inject: (subject: number) => Promise<{ statusCode: number; body: string }>,
  expect: number,
): Promise<{ scripts: string[]; statements: Statement[] }> {
  const recordings: { first: Statement[]; twice: Statement[] }[] = [];
  for (let i = 0; i < subjects; i += 1) {
    const first = await recorder.record(() => inject(i), expect);
    const twice = await recorder.record(() => inject(i), expect);
    recordings.push({ first, twice });
  }
  subjectTables += 1;
  const table = `bench_subjects_${subjectTables}`;
  const { scripts, subjects: values } = pgbenchScriptOfSubjects(recordings, table);
  if (values) {
    const db = recorder.database.db;
    await db.execute(sql`drop table if exists ${sql.identifier(table)}`);
    await db.execute(
      sql`create unlogged table ${sql.identifier(table)} (subject int primary key, ${sql.join(
        values.columns.map((c) => sql`${sql.identifier(c)} text`),
        sql`, `,
      )})`,
    );
    for (const [i, row] of values.rows.entries()) {
      await db.execute(
        sql`insert into ${sql.identifier(table)} values (${i + 1}, ${sql.join(
          row.map((v) => sql`${v}`),
          sql`, `,
        )})`,
      );
    }
    await db.execute(sql`analyze ${sql.identifier(table)}`);
  }
  if (process.env.BENCH_SHOW_SCRIPT) console.log(scripts[0]);
  return { scripts, statements: recordings[0]?.first ?? [] };
}
