import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../../server/app.js';
import { fromPostgres, migrateDatabase, type Database } from '../../server/db/connect.js';
import { startServerProcess, type ServerProcess } from '../../server/test/processes.js';
import { testConfig } from '../../server/test/test-app.js';
import { recordStatements, type Statement } from './capture.js';
import {
  httpLoad,
  memoryMb,
  postgresCpuMs,
  processCpuMs,
  type HttpRequestSpec,
} from './measure.js';
import { pgbenchScript, runPgbench } from './pgbench.js';
import { root, type Side } from './scenario.js';

/** The product's pool size, which is also the baselines' client count. */
export const POOL_SIZE = 10;

let built = false;

/** Builds the server bundle `npm start` runs, once per benchmark process. */
export function buildServer(): void {
  if (built) return;
  execFileSync('npm', ['run', '--silent', 'build:server'], { cwd: root, stdio: 'inherit' });
  built = true;
}

/**
 * The product as its own process, the way it is deployed (`npm start`: the built bundle, not
 * the TypeScript sources), with its CPU and memory readable.
 */
export async function startProduct(
  databaseUrl: string,
  env: Record<string, string> = {},
  /** The embedded database's DATA_DIR (then `databaseUrl` is empty); kept when stopping. */
  embeddedDataDir?: string,
): Promise<ServerProcess & { dataDir: string; stop: () => Promise<void> }> {
  const dataDir = embeddedDataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'portal-bench-'));
  buildServer();
  const server = await startServerProcess(databaseUrl, dataDir, {
    role: 'web',
    built: true,
    env: {
      PORTAL_DATABASE_POOL_SIZE: String(POOL_SIZE),
      PORTAL_SIGN_IN_RATE_LIMIT: '100000',
      PORTAL_LOG_LEVEL: 'error',
      ...env,
    },
  });
  return {
    ...server,
    dataDir,
    stop: async () => {
      server.child.kill('SIGTERM');
      await server.exited;
      if (!embeddedDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One closed-loop (or fixed-rate) HTTP round against the product process, with its CPU. */
export async function productRound(
  server: { url: string; child: { pid?: number } },
  options: {
    connections: number;
    seconds: number;
    rate?: number;
    next: (client: number) => HttpRequestSpec;
  },
): Promise<Side & { peakRssMb: number }> {
  const pid = server.child.pid!;
  const node0 = processCpuMs(pid);
  const pg0 = postgresCpuMs();
  const result = await httpLoad({ url: server.url, ...options });
  return {
    ...result,
    cpu: { node: processCpuMs(pid) - node0, postgres: postgresCpuMs() - pg0 },
    peakRssMb: memoryMb(pid).peak,
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
  const r = await runPgbench(options);
  return {
    ops: r.transactions,
    errors: r.failed,
    seconds: r.seconds,
    latencies: r.latencies,
    cpu: { postgres: postgresCpuMs() - pg0 },
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

/** Records a request twice per subject and makes one pgbench script per subject. */
export async function scriptsFor(
  recorder: Awaited<ReturnType<typeof inProcessApp>>,
  subjects: number,
  inject: (subject: number) => Promise<{ statusCode: number; body: string }>,
  expect: number,
): Promise<{ scripts: string[]; statements: Statement[] }> {
  const scripts: string[] = [];
  let statements: Statement[] = [];
  for (let i = 0; i < subjects; i += 1) {
    const first = await recorder.record(() => inject(i), expect);
    const second = await recorder.record(() => inject(i), expect);
    scripts.push(pgbenchScript(first, second));
    if (process.env.BENCH_SHOW_SCRIPT && i === 0) console.log(scripts[0]);
    if (i === 0) statements = first;
  }
  return { scripts, statements };
}
