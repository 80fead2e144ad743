import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  log: () => string;
}

interface ProductOptions {
  role?: 'web' | 'worker' | 'all';
  env?: Record<string, string>;
  /**
   * Run a built bundle instead of the sources: `true` is `dist/server/main.js` (`npm run
   * build:server`, as `npm start` does); a string is the path of another bundle's main.js.
   */
  built?: boolean | string;
  /** More command-line arguments, e.g. `--demo`. */
  args?: string[];
  /** How long to wait for the health check (default 30 s). */
  startTimeoutMs?: number;
}

/** Spawns the product with a clean environment; its output is collected for failure messages. */
function spawnProduct(
  databaseUrl: string | undefined,
  dataDir: string,
  options: ProductOptions,
): Pick<ServerProcess, 'child' | 'exited' | 'log'> {
  let output = '';
  const child = spawn(
    process.execPath,
    [
      ...(typeof options.built === 'string'
        ? [options.built]
        : options.built
          ? ['dist/server/main.js']
          : ['--import', 'tsx', 'server/main.ts']),
      `--role=${options.role ?? 'all'}`,
      ...(options.args ?? []),
    ],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
        DATA_DIR: dataDir,
        PORTAL_LOG_LEVEL: 'warn',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, log: () => output };
}

/**
 * Starts `server/main.ts` as a real process of its own on a free loopback port and waits
 * (at most 30 s, or `startTimeoutMs`) until it answers its health check.
 */
export async function startServerProcess(
  /** Empty or undefined: the embedded database in `dataDir`. */
  databaseUrl: string | undefined,
  dataDir: string,
  options: ProductOptions = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const { child, exited, log } = spawnProduct(databaseUrl, dataDir, {
    ...options,
    env: { PORT: String(port), HOST: '127.0.0.1', ...options.env },
  });
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + (options.startTimeoutMs ?? 30_000);
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`server exited: ${log()}`);
    try {
      if ((await fetch(`${url}/api/v1/health`)).ok) return { child, url, exited, log };
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`server did not start: ${log()}`);
}

/** What a worker prints once its worker is polling (main.ts prints it after `worker.start()`). */
export const WORKER_READY = 'Patient Portal Online Messaging (worker)';

/**
 * Starts the product as a jobs worker (`--role=worker`) in a process of its own. It serves no
 * HTTP, so it is ready once its output contains `ready` (default: the start-up line it prints
 * after its worker started polling); gives up after 30 s. `url` is empty.
 */
export async function startWorkerProcess(
  databaseUrl: string | undefined,
  dataDir: string,
  options: Omit<ProductOptions, 'role'> & { ready?: string | ((output: string) => boolean) } = {},
): Promise<ServerProcess> {
  const { ready = WORKER_READY, ...rest } = options;
  const isReady = typeof ready === 'string' ? (output: string) => output.includes(ready) : ready;
  const started = spawnProduct(databaseUrl, dataDir, { ...rest, role: 'worker' });
  const { child, log } = started;
  const until = Date.now() + 30_000;
  while (!isReady(log())) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`worker exited: ${log()}`);
    if (Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`worker did not start: ${log()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { ...started, url: '' };
}

/** Stops the processes a test started (SIGTERM) and waits until each has exited. */
export async function stopProcesses(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );
}
