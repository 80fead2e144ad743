import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { fromPglite, fromPostgres, migrateDatabase } from '../db/connect.js';
import { grantAppRole } from '../db/migration-state.js';

declare module 'vitest' {
  export interface ProvidedContext {
    engine: 'pglite' | 'postgres';
    pgliteDump: string;
    postgresUrl: string;
    /** The same server as `postgresUrl`, as the product's restricted role. */
    postgresAppUrl: string;
    postgresTemplate: string;
    /** The server bundled for this run (`main.js`), for tests that start it many times. */
    serverBundle: string;
  }
}

const DEFAULT_URL = 'postgres://portal_test:portal_test@127.0.0.1:5432/postgres';

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * On a developer machine with the Debian PostgreSQL cluster installed but stopped, start it and
 * make the test role, as `.ci/run` does; with TEST_DATABASE_URL set, only that server is used.
 */
export async function ensureLocalPostgres(url: string, explicit: boolean): Promise<void> {
  if (await canConnect(url)) return;
  const fail = (why: string) =>
    new Error(
      `PostgreSQL is not reachable at ${url.replace(/:[^:@/]+@/, ':***@')} (${why}). Start it, or set TEST_DATABASE_URL; .ci/run shows how.`,
    );
  if (explicit || !fs.existsSync('/usr/bin/pg_ctlcluster') || process.getuid?.() !== 0)
    throw fail('not running');
  try {
    execFileSync('pg_ctlcluster', ['15', 'main', 'start'], { stdio: 'ignore' });
  } catch {
    // Already running, or another version: the checks below tell.
  }
  const psql = (q: string) =>
    execFileSync('su', ['postgres', '-c', `psql -tAc "${q}"`], {
      cwd: '/',
      encoding: 'utf8',
    }).trim();
  for (let i = 0; i < 30; i += 1) {
    try {
      psql('select 1');
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  if (psql("SELECT 1 FROM pg_roles WHERE rolname='portal_test'") !== '1') {
    psql("CREATE ROLE portal_test LOGIN SUPERUSER PASSWORD 'portal_test'");
  }
  if (!(await canConnect(url))) throw fail('could not start it');
}

/** The restricted role the server suites run the product as on PostgreSQL. */
const APP_ROLE = 'portal_app_test';

/** The test server's URL with the restricted role's credentials. */
function appUrl(url: string): string {
  const u = new URL(url);
  u.username = APP_ROLE;
  u.password = APP_ROLE;
  return u.toString();
}

/** Makes the restricted role once per cluster (two runs at once may both try). */
async function ensureAppRole(admin: pg.Client): Promise<void> {
  const found = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [APP_ROLE]);
  // Many test databases share this cluster: with pg_read_all_stats, live events and the audit
  // sealer of one do not wait for another's transactions (write_horizon(), docs/operations.md).
  const readStats = async () => {
    await admin.query(`GRANT pg_read_all_stats TO ${APP_ROLE}`).catch(() => undefined);
  };
  if (found.rowCount) return readStats();
  try {
    await admin.query(
      `CREATE ROLE ${APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '${APP_ROLE}'`,
    );
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== '42710' && code !== '23505') {
      throw new Error(
        `The server suites run the product as the restricted role ${APP_ROLE}, which could not be made (${String(error)}): the test role needs CREATEROLE, or make ${APP_ROLE} yourself (LOGIN, password ${APP_ROLE}).`,
      );
    }
  }
  await readStats();
}

/**
 * Bundles the server once per project run, as `npm start` runs it, for the tests that restart a
 * server many times (kill -9 rounds): it starts in about a third of the time the sources take.
 */
function buildServerBundle(project: string): { main: string; remove: () => void } {
  const root = path.resolve(import.meta.dirname, '..', '..');
  const dir = path.join('dist', 'test-bundles', `${project}-${process.pid}`);
  execFileSync(process.execPath, ['scripts/build-server.mjs', '--out', dir], {
    cwd: root,
    stdio: 'inherit',
  });
  return {
    main: path.join(root, dir, 'main.js'),
    remove: () => fs.rmSync(path.join(root, dir), { recursive: true, force: true }),
  };
}

/** Migrates once per run: a PGlite data dump, or a PostgreSQL template database. */
export default async function setup(project: TestProject) {
  const engine = project.config.provide.engine as 'pglite' | 'postgres';
  const bundle =
    project.name === 'e2e'
      ? { main: '', remove: () => undefined }
      : buildServerBundle(project.name);
  project.provide('serverBundle', bundle.main);
  if (engine === 'pglite') {
    const client = await PGlite.create();
    await migrateDatabase(fromPglite(client));
    const dump = await client.dumpDataDir('none');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'portal-test-')), 'migrated.tar');
    fs.writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
    await client.close();
    project.provide('pgliteDump', file);
    return () => {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
      bundle.remove();
    };
  }
  const url = process.env.TEST_DATABASE_URL || DEFAULT_URL;
  await ensureLocalPostgres(url, Boolean(process.env.TEST_DATABASE_URL));
  const template = `portal_template_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  const target = new URL(url);
  target.pathname = `/${template}`;
  const database = fromPostgres(target.toString(), 2);
  await migrateDatabase(database);
  // The product runs as the restricted role of docs/operations.md; its grants are copied with
  // the template into every test database.
  await ensureAppRole(admin);
  await grantAppRole(database.db, APP_ROLE);
  await database.close();
  project.provide('postgresUrl', url);
  project.provide('postgresAppUrl', appUrl(url));
  project.provide('postgresTemplate', template);
  return async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await admin.end();
    bundle.remove();
  };
}
