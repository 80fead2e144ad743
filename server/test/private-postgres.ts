import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './processes.js';

/**
 * A PostgreSQL 15 cluster of a test's own, for tests that stop, crash or restart the database
 * (the shared cluster on 5432 serves every other test at the same time and must never go down).
 * It listens on 127.0.0.1 only, on a free port, with scram passwords; its files live in a
 * fresh temporary folder that `destroy()` removes. Linux only (crash() reads /proc).
 */

const BIN = process.env.PORTAL_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const OS_USER = 'postgres';
const asRoot = process.getuid?.() === 0;
const RUNUSER = ['/usr/sbin/runuser', '/sbin/runuser'].find((p) => fs.existsSync(p));

export type StopMode = 'smart' | 'fast' | 'immediate';

export interface PrivatePostgres {
  /** The application's URL: its own login role (scram password) and its own database. */
  url: string;
  /** The superuser's URL, for set-up and inspection. */
  adminUrl: string;
  port: number;
  /** True from a successful start() to the next stop() or crash(). */
  readonly running: boolean;
  /** Starts the cluster again after stop(); resolves once it accepts connections. */
  start(): Promise<void>;
  /** `pg_ctl stop -m <mode>` (default fast); resolves once the postmaster is gone. */
  stop(mode?: StopMode): Promise<void>;
  restart(mode?: StopMode): Promise<void>;
  /**
   * `kill -9` of the postmaster and of every process of the cluster (backends, checkpointer,
   * WAL writer…): a crash, with no shutdown checkpoint. Resolves once they are all gone, with
   * how many processes were killed; start() then runs crash recovery.
   */
  crash(): Promise<number>;
  /** Stops the cluster (immediate) if it runs and removes its files; safe to call twice. */
  destroy(): Promise<void>;
  /** The server log so far, for failure messages. */
  log(): string;
}

/** Why a private cluster cannot be made here, or undefined when it can. */
export function privatePostgresUnavailable(): string | undefined {
  for (const tool of ['initdb', 'pg_ctl', 'postgres']) {
    if (!fs.existsSync(path.join(BIN, tool)))
      return `PostgreSQL 15 binaries are not installed (${path.join(BIN, tool)} is missing)`;
  }
  if (asRoot) {
    // initdb and postgres refuse to run as root: run them as the postgres OS user.
    try {
      execFileSync('id', ['-u', OS_USER], { stdio: 'ignore' });
    } catch {
      return `running as root and there is no "${OS_USER}" OS user to run PostgreSQL as`;
    }
    if (!RUNUSER) return 'running as root and runuser is missing';
  }
  return undefined;
}

/** Runs a PostgreSQL binary, as the postgres OS user when we are root. */
function run(tool: string, args: string[], cwd: string, timeoutMs = 60_000): Promise<string> {
  const file = path.join(BIN, tool);
  const [cmd, argv] = asRoot ? [RUNUSER!, ['-u', OS_USER, '--', file, ...args]] : [file, args];
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      argv,
      { cwd, timeout: timeoutMs, env: { PATH: process.env.PATH } },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`${tool} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A process's state letter (R, S, T, Z…) and parent, or undefined once it is gone. */
function procStat(pid: number): { state: string; ppid: number } | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses.
  const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: state!, ppid: Number(ppid) };
}

/** Ended: gone, or a zombie (it holds no memory, no shared memory and no files any more). */
const dead = (pid: number) => {
  const state = procStat(pid)?.state;
  return state === undefined || state === 'Z' || state === 'X';
};

/** The processes whose working directory is `dir` (PostgreSQL's all run in its data directory). */
function processesIn(dir: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        return fs.readlinkSync(`/proc/${name}/cwd`) === dir;
      } catch {
        return false; // Gone, a zombie, or not ours to see.
      }
    })
    .map(Number);
}

/**
 * kill -9 of a cluster's postmaster and of every process it started (they all run in the data
 * directory); answers how many there were. Several passes: a backend forked just before the
 * postmaster died is caught by the next one.
 */
async function killCluster(postmaster: number, dataDir: string): Promise<number> {
  const killed = new Set<number>();
  const until = Date.now() + 10_000;
  for (let pass = [postmaster, ...processesIn(dataDir)]; ; pass = processesIn(dataDir)) {
    for (const pid of pass) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.add(pid);
      } catch {
        // Gone already.
      }
    }
    // The postmaster must also be reaped (its parent, see start(), does it at once): while its
    // zombie is there, a new postmaster takes the stale postmaster.pid for a live server.
    if ([...killed].every(dead) && procStat(postmaster) === undefined && pass.length === 0)
      return killed.size;
    if (Date.now() > until)
      throw new Error(`processes of the cluster survived kill -9: ${[...killed].join(', ')}`);
    await sleep(5);
  }
}

/** Makes, configures and starts a new cluster with an application role and database. */
export async function startPrivatePostgres(
  options: { settings?: Record<string, string | number> } = {},
): Promise<PrivatePostgres> {
  const why = privatePostgresUnavailable();
  if (why) throw new Error(`cannot start a private PostgreSQL: ${why}`);
  // As root, under /tmp: the postgres user must be able to reach the folder (TMPDIR may not).
  const dir = fs.mkdtempSync(path.join(asRoot ? '/tmp' : os.tmpdir(), 'portal-pg-'));
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  let running = false;
  let destroyed = false;

  // The last resort if the test process ends without destroy(): no cluster is left running.
  const onExit = () => {
    if (!running) return;
    try {
      execFileSync(
        asRoot ? RUNUSER! : path.join(BIN, 'pg_ctl'),
        [
          ...(asRoot ? ['-u', OS_USER, '--', path.join(BIN, 'pg_ctl')] : []),
          'stop',
          '-D',
          dataDir,
          '-m',
          'immediate',
        ],
        { cwd: dir, stdio: 'ignore', timeout: 10_000 },
      );
    } catch {
      // Nothing more can be done while exiting.
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const superPassword = randomBytes(18).toString('hex');
  const appPassword = randomBytes(18).toString('hex');
  let port = 0;

  const pgCtl = (args: string[], timeoutMs?: number) =>
    run('pg_ctl', ['-D', dataDir, ...args], dir, timeoutMs);

  const readLog = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const readPidFile = () => {
    try {
      return fs.readFileSync(pidFile, 'utf8');
    } catch {
      return ''; // Not there (yet), or being replaced: a starting postmaster removes a stale one.
    }
  };
  // The postmaster runs as a child of this process (or of runuser, which waits for it), not
  // daemonized by `pg_ctl start`: a killed postmaster is then reaped at once. An orphan waits for
  // init to reap it (more than a second here), and while its zombie is there a new postmaster
  // takes the stale postmaster.pid for a live server and refuses to start.
  const start = async () => {
    const logged = readLog().length;
    const stale = readPidFile().split('\n')[0];
    const out = fs.openSync(logFile, 'a');
    const postgres = path.join(BIN, 'postgres');
    const child = spawn(
      asRoot ? RUNUSER! : postgres,
      [...(asRoot ? ['-u', OS_USER, '--', postgres] : []), '-D', dataDir],
      { cwd: dir, stdio: ['ignore', out, out], env: { PATH: process.env.PATH } },
    );
    fs.closeSync(out);
    child.unref();
    let exited = false;
    child.once('exit', () => (exited = true));
    const until = Date.now() + 60_000;
    for (;;) {
      // postmaster.pid: pid, data directory, start time, port, socket directory, listen
      // address, shared memory key, status ("ready" once it accepts connections).
      const lines = readPidFile().split('\n');
      if (lines[0] && lines[0] !== stale && lines[7]?.trim() === 'ready') break;
      if (exited || Date.now() > until) {
        if (!exited) child.kill('SIGKILL');
        throw new Error(
          `PostgreSQL did not start${exited ? '' : ' within 60 s'}; server log:\n${readLog().slice(logged)}`,
        );
      }
      await sleep(20);
    }
    running = true;
  };
  const stop = async (mode: StopMode = 'fast') => {
    await pgCtl(['stop', '-w', '-t', '60', '-m', mode], 70_000);
    running = false;
  };
  const crash = async () => {
    if (!running) throw new Error('the cluster is not running');
    const pidFile = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8');
    const killed = await killCluster(Number(pidFile.split('\n')[0]), fs.realpathSync(dataDir));
    running = false;
    return killed;
  };
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    process.removeListener('exit', onExit);
    if (running) await stop('immediate').catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    if (asRoot) {
      const uid = Number(execFileSync('id', ['-u', OS_USER], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', OS_USER], { encoding: 'utf8' }).trim());
      fs.chownSync(dir, uid, gid);
    }
    fs.chmodSync(dir, 0o700);
    const pwFile = path.join(dir, 'pw');
    fs.writeFileSync(pwFile, superPassword, { mode: 0o600 });
    if (asRoot) {
      const stat = fs.statSync(dir);
      fs.chownSync(pwFile, stat.uid, stat.gid);
    }
    await run(
      'initdb',
      [
        '-D',
        dataDir,
        '-U',
        'postgres',
        '--pwfile',
        pwFile,
        '--auth-local=scram-sha-256',
        '--auth-host=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
        '--no-sync',
      ],
      dir,
    );
    fs.rmSync(pwFile);

    // Another process may take the free port between the check and the start: try another.
    for (let attempt = 0; ; attempt += 1) {
      port = await freePort();
      const settings: Record<string, string | number> = {
        listen_addresses: "'127.0.0.1'",
        port,
        unix_socket_directories: `'${dir}'`,
        max_connections: 40,
        shared_buffers: "'32MB'",
        password_encryption: "'scram-sha-256'",
        ...options.settings,
      };
      fs.writeFileSync(
        path.join(dataDir, 'postgresql.auto.conf'),
        Object.entries(settings)
          .map(([k, v]) => `${k} = ${v}\n`)
          .join(''),
      );
      try {
        await start();
        break;
      } catch (error) {
        const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
        if (attempt >= 2 || !/could not (bind|create listen)/i.test(log)) throw error;
      }
    }

    const adminUrl = `postgres://postgres:${superPassword}@127.0.0.1:${port}/postgres`;
    const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE portal_app LOGIN PASSWORD '${appPassword}'`);
      await admin.query('CREATE DATABASE portal OWNER portal_app');
    } finally {
      await admin.end();
    }

    return {
      url: `postgres://portal_app:${appPassword}@127.0.0.1:${port}/portal`,
      adminUrl,
      port,
      get running() {
        return running;
      },
      start,
      stop,
      restart: async (mode) => {
        await stop(mode);
        await start();
      },
      crash,
      destroy,
      log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''),
    };
  } catch (error) {
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
    await destroy();
    throw new Error(`${String(error)}\n${log}`);
  }
}
