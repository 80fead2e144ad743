import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import * as schema from './schema.js';

export type Schema = typeof schema;

/** Raw queries answer `{ rows }` on both drivers. */
export interface Rows<T> {
  rows: T[];
}
export interface RowsResultHKT extends PgQueryResultHKT {
  type: Rows<this['row']>;
}

/** A database handle or an open transaction: both drivers share this interface. */
export type Db = PgDatabase<RowsResultHKT, Schema>;

export interface Database {
  db: Db;
  engine: 'pglite' | 'postgres';
  /**
   * Calls `onNotify` for every NOTIFY on the channel, from any process on the same database;
   * `onReconnect` after the listening connection was lost and came back (notifications may
   * have been missed meanwhile). Resolves to a function that stops listening.
   */
  listen(
    channel: string,
    onNotify: (payload: string) => void,
    onReconnect?: () => void,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export const migrationsFolder = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'migrations',
);

/** Applies the committed SQL migrations; safe to run at every start. */
export async function migrateDatabase(database: Database): Promise<void> {
  if (database.engine === 'pglite') {
    await migratePglite(database.db as unknown as Parameters<typeof migratePglite>[0], {
      migrationsFolder,
    });
  } else {
    await migratePg(database.db as unknown as Parameters<typeof migratePg>[0], {
      migrationsFolder,
    });
  }
}

/** Wraps an open PGlite instance. */
export function fromPglite(client: PGlite): Database {
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    engine: 'pglite',
    listen: async (channel, onNotify) => {
      const stop = await client.listen(channel, onNotify);
      return () => stop();
    },
    close: () => client.close(),
  };
}

/**
 * Opening a connection gives up after this: a database that does not answer makes requests
 * fail with "database unavailable" instead of hanging.
 */
export const CONNECT_TIMEOUT_MS = 3_000;
/** Waiting for a free connection of the pool gives up after this, so nothing waits forever. */
const POOL_WAIT_TIMEOUT_MS = 10_000;

const statementNames = new Map<string, string>();

/** A name per statement text, the same in every process (prepared statements are per connection). */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `q_${createHash('sha1').update(text).digest('hex')}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * A pg client that gives up connecting after CONNECT_TIMEOUT_MS, whatever its pool waits, and
 * prepares every statement that has parameters: PostgreSQL parses and plans each of the
 * product's queries once per connection, then only binds and runs it (half the database CPU
 * of a read, BENCHMARKS.md). Statements without parameters (BEGIN, migrations) go as they are.
 */
class BoundedClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super({
      ...(typeof config === 'string' ? { connectionString: config } : config),
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(config: any, values?: any, callback?: any): any {
    if (typeof config === 'string' && Array.isArray(values) && values.length > 0) {
      return super.query({ text: config, values, name: statementName(config) }, callback);
    }
    if (
      config &&
      typeof config === 'object' &&
      typeof config.text === 'string' &&
      !config.name &&
      typeof config.submit !== 'function' &&
      ((Array.isArray(config.values) && config.values.length > 0) ||
        (Array.isArray(values) && values.length > 0))
    ) {
      return super.query({ ...config, name: statementName(config.text) }, values, callback);
    }
    return super.query(config, values, callback);
  }
}

/** Error codes of a database that cannot be reached or is going away, not of a bad query. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01', // admin_shutdown: the server is stopping (pg_ctl stop -m fast)
  '57P02', // crash_shutdown: another backend crashed (pg_ctl stop -m immediate)
  '57P03', // cannot_connect_now: starting up, shutting down or recovering
  '53300', // too_many_connections
]);
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'not queryable',
  'timeout exceeded when trying to connect', // pg-pool: no free connection in time
  'timeout expired', // pg: connecting took longer than CONNECT_TIMEOUT_MS
];

/**
 * True when an error (or what caused it, e.g. inside a Drizzle query error) says the database
 * cannot be reached right now: refused or lost connections, a server shutting down or starting
 * up, SQLSTATE class 08. Such a request may be retried as is; nothing about it was wrong.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const e = queue.shift();
    if (e === null || typeof e !== 'object' || seen.has(e) || seen.size > 10) continue;
    seen.add(e);
    const { code, message, cause, errors } = e as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08')))
      return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => message.includes(m)))
      return true;
    queue.push(cause);
    if (Array.isArray(errors)) queue.push(...(errors as unknown[]));
  }
  return false;
}

/**
 * Session settings of the product's connections. JIT compilation is off: it is made for long
 * analytic queries, and PostgreSQL starts it from a plan's estimated cost alone, so a short
 * search whose estimate crossed `jit_above_cost` (measured: a rare word's search on the
 * benchmark data set, before `ANALYZE` had seen a new column) spent 28 ms compiling for 0.3 ms
 * of work, on every run. An `options` in DATABASE_URL replaces this.
 */
export const SESSION_OPTIONS = '-c jit=off';

/** Opens a PostgreSQL pool. */
export function fromPostgres(url: string, poolSize: number): Database {
  const pool = new pg.Pool({
    connectionString: url,
    options: SESSION_OPTIONS,
    max: poolSize,
    Client: BoundedClient,
    connectionTimeoutMillis: POOL_WAIT_TIMEOUT_MS,
    keepAlive: true,
  });
  // An idle client that loses its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  // Nor one in use (a transaction between two queries): pg emits 'error' on it, and an
  // EventEmitter without a listener throws. The query in flight fails on its own; the pool drops
  // the broken client when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  const listeners = new Set<{ stop: () => Promise<void> }>();
  return {
    db,
    engine: 'postgres',
    listen: async (channel, onNotify, onReconnect) => {
      const handle = listenOnPostgres(url, channel, onNotify, onReconnect);
      listeners.add(handle);
      await handle.ready;
      return async () => {
        listeners.delete(handle);
        await handle.stop();
      };
    },
    close: async () => {
      await Promise.all([...listeners].map((l) => l.stop()));
      await pool.end();
    },
  };
}

/**
 * One dedicated connection that LISTENs on a channel and comes back by itself (0.25 s, 0.5 s,
 * 1 s, then every 2 s) when the database goes away, telling the caller it may have missed some.
 */
function listenOnPostgres(
  url: string,
  channel: string,
  onNotify: (payload: string) => void,
  onReconnect?: () => void,
): { ready: Promise<void>; stop: () => Promise<void> } {
  let client: pg.Client | undefined;
  let stopped = false;
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;
  const retry = () => {
    if (stopped || timer) return;
    client = undefined;
    const delay = Math.min(2_000, 250 * 2 ** attempt);
    attempt += 1;
    timer = setTimeout(() => {
      timer = undefined;
      connect().then(
        () => onReconnect?.(),
        () => retry(),
      );
    }, delay);
  };
  const connect = async (): Promise<void> => {
    const c = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
    });
    c.on('notification', (n) => {
      if (n.channel === channel) onNotify(n.payload ?? '');
    });
    c.on('error', () => undefined);
    c.on('end', () => {
      if (client === c) retry();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      await c.end().catch(() => undefined);
      throw error;
    }
    if (stopped) {
      await c.end();
      return;
    }
    client = c;
    attempt = 0;
  };
  return {
    ready: connect(),
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}

/** Opens PostgreSQL when a URL is given, otherwise the embedded database in `dataDir`. */
export async function openDatabase(options: {
  databaseUrl: string | undefined;
  dataDir: string;
  poolSize: number;
}): Promise<Database> {
  if (options.databaseUrl) return fromPostgres(options.databaseUrl, options.poolSize);
  const dir = path.join(options.dataDir, 'pglite');
  fs.mkdirSync(dir, { recursive: true });
  return fromPglite(await PGlite.create(dir));
}
