import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { inject } from 'vitest';
import { buildApp } from '../app.js';
import { loadConfig, type Config } from '../config.js';
import { fromPglite, fromPostgres, type Database, type Db } from '../db/connect.js';
import { manualClock } from '../lib/clock.js';
import { createSignals, type ServiceContext } from '../lib/context.js';
import type { Mailer, OutgoingEmail } from '../jobs/mailer.js';
import { createWorker } from '../jobs/worker.js';

/** A test database: the product's connection, and the owner's for what the product may not do. */
export type TestDatabase = Database & {
  /** PostgreSQL: the restricted role's URL, for server processes started by a test. */
  url?: string;
  /** PostgreSQL: the owner's URL (DDL, triggers, tampering with audit rows). */
  ownerUrl?: string;
  /** The tables' owner (on PGlite the one connection): for tests that play the attacker. */
  owner(): Db;
};

/**
 * A fresh, migrated database of the engine this project runs on (PGlite or PostgreSQL). On
 * PostgreSQL the product connects as the restricted role of docs/operations.md (it cannot run
 * DDL nor change or remove audit rows); `url` lets other processes connect to it as that role.
 */
export async function openTestDatabase(): Promise<TestDatabase> {
  if (inject('engine') === 'pglite') {
    const dump = fs.readFileSync(inject('pgliteDump'));
    const client = await PGlite.create({ loadDataDir: new Blob([dump]) });
    const database = fromPglite(client);
    return { ...database, owner: () => database.db };
  }
  const url = inject('postgresUrl');
  const name = `portal_test_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  for (let attempt = 0; ; attempt += 1) {
    try {
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('postgresTemplate')}`);
      break;
    } catch (error) {
      // Two files cloning the template at the same moment: wait and try again.
      if (attempt > 20 || !String(error).includes('being accessed')) throw error;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  const ownerUrl = new URL(url);
  ownerUrl.pathname = `/${name}`;
  const appUrl = new URL(inject('postgresAppUrl'));
  appUrl.pathname = `/${name}`;
  const database = fromPostgres(appUrl.toString(), 5);
  let owner: Database | undefined;
  return {
    ...database,
    url: appUrl.toString(),
    ownerUrl: ownerUrl.toString(),
    owner: () => (owner ??= fromPostgres(ownerUrl.toString(), 2)).db,
    close: async () => {
      await database.close();
      await owner?.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Collects email in memory for factories and flow tests; SMTP tests use a real server instead. */
export function memoryMailer(): Mailer & { outbox: OutgoingEmail[] } {
  const outbox: OutgoingEmail[] = [];
  return {
    outbox,
    async send(email) {
      outbox.push(email);
    },
    close() {},
    describe: () => 'memory',
  };
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({
      DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'portal-data-')),
      PORTAL_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    }),
    signInRateLimitPerMinute: 100_000,
    ...overrides,
  };
}

/** A full app on its own database with a clock the test moves, and a worker it runs by hand. */
export async function buildTestApp(options: { config?: Partial<Config> } = {}) {
  const database = await openTestDatabase();
  const config = testConfig(options.config);
  const clock = manualClock();
  const signals = createSignals();
  const app = await buildApp({ config, database, clock, signals, checkResponses: true });
  const ctx: ServiceContext = { db: database.db, clock, config, signals };
  const mailer = memoryMailer();
  const worker = createWorker(ctx, mailer);
  return {
    app,
    db: database.db,
    /** The tables' owner, for tests that tamper as a database administrator could. */
    ownerDb: () => database.owner(),
    engine: database.engine,
    /** PostgreSQL: the restricted role's URL of this app's database. */
    url: database.url,
    clock,
    config,
    ctx,
    services: app.services,
    outbox: mailer.outbox,
    /** Runs the email worker once, as the background worker would. */
    deliverMail: () => worker.runDue(),
    async close() {
      await app.close();
      await database.close();
      fs.rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}

export type TestApp = Awaited<ReturnType<typeof buildTestApp>>;
