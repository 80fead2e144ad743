import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createWorld } from '../test/factories.js';
import { migrateUpTo, openEmptyDatabase } from '../test/migrations.js';
import { freePort, startServerProcess } from '../test/processes.js';
import { buildTestApp, type TestApp } from '../test/test-app.js';
import { committedMigrations, grantAppRole, migrationState } from './migration-state.js';

// Issue 17, finding 2: the product runs as a database role that cannot change the schema nor
// touch audit rows. On PostgreSQL every server suite already runs as that role (openTestDatabase);
// this file checks what the role cannot do, and the start-up and `npm run migrate` paths.

const onPostgres = inject('engine') === 'postgres';
const root = path.resolve(import.meta.dirname, '..', '..');
const APP_ROLE = 'portal_app_test';
const newest = committedMigrations().at(-1)!.tag;
const beforeNewest = committedMigrations().at(-2)!.tag;

type Run = { code: number | null; output: string };

/** Runs a product entry point (`server/main.ts`, a CLI) to its end, with a clean environment. */
function run(script: string, args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', script, ...args],
      {
        cwd: root,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, PORTAL_LOG_LEVEL: 'warn', ...env },
        timeout: 60_000,
      },
      (error, stdout, stderr) =>
        resolve({
          code: error ? ((error as { code?: number }).code ?? 1) : 0,
          output: `${stdout}${stderr}`,
        }),
    );
  });
}

/** The error a statement fails with, or 'ok'. */
async function refusal(statement: Promise<unknown>): Promise<string> {
  try {
    await statement;
    return 'ok';
  } catch (error) {
    const e = error as { message?: string; cause?: { message?: string } };
    return e.cause?.message ?? e.message ?? String(error);
  }
}

describe.skipIf(!onPostgres)('the restricted role the product runs as (PostgreSQL)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildTestApp();
    await createWorld(t);
  });
  afterAll(() => t?.close());

  it('is the role of the product’s connection, and not the tables’ owner', async () => {
    const who = await t.db.execute<{ user: string; owner: string; superuser: boolean }>(sql`
      select current_user as user, tableowner as owner,
             (select rolsuper from pg_roles where rolname = current_user) as superuser
        from pg_tables where tablename = 'audit_events'`);
    expect(who.rows[0]).toMatchObject({ user: APP_ROLE, superuser: false });
    expect(who.rows[0]!.owner).not.toBe(APP_ROLE);
  });

  it('cannot update, delete or truncate audit rows, nor switch their guard off', async () => {
    const rows = await t.db.execute<{ n: number }>(
      sql`select count(*)::int as n from audit_events`,
    );
    expect(rows.rows[0]!.n).toBeGreaterThan(0);
    expect(await refusal(t.db.execute(sql`update audit_events set action = 'x'`))).toMatch(
      /permission denied/,
    );
    expect(await refusal(t.db.execute(sql`delete from audit_events`))).toMatch(/permission denied/);
    expect(await refusal(t.db.execute(sql`truncate audit_events`))).toMatch(/permission denied/);
    expect(await refusal(t.db.execute(sql`alter table audit_events disable trigger user`))).toMatch(
      /must be owner/,
    );
    expect(await refusal(t.db.execute(sql`alter table audit_events disable trigger all`))).toMatch(
      /must be owner/,
    );
    expect(await refusal(t.db.execute(sql`drop table audit_events`))).toMatch(/must be owner/);
    expect(await refusal(t.db.execute(sql`set session_replication_role = replica`))).toMatch(
      /permission denied/,
    );
    expect(await refusal(t.db.execute(sql`create schema drizzle_x`))).toMatch(/permission denied/);
    expect(await refusal(t.db.execute(sql`create table public.x (id int)`))).toMatch(
      /permission denied/,
    );
    const after = await t.db.execute<{ n: number }>(
      sql`select count(*)::int as n from audit_events`,
    );
    expect(after.rows[0]!.n).toBe(rows.rows[0]!.n);
  });

  it('reads the migration record, and finds the schema up to date', async () => {
    expect(await migrationState(t.db)).toEqual({ pending: [], newer: false });
  });

  it('is never granted to the owner or a superuser', async () => {
    await expect(grantAppRole(t.ownerDb(), 'portal_test')).rejects.toThrow(/superuser/);
    await expect(grantAppRole(t.ownerDb(), 'no_such_role_x')).rejects.toThrow(/no database role/);
  });

  it('a schema behind: the restricted role refuses to start and says what to run; npm run migrate as the owner brings it up; then it starts', async () => {
    const empty = await openEmptyDatabase();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-privilege-'));
    try {
      await migrateUpTo(empty, beforeNewest);
      await grantAppRole(empty.db, APP_ROLE);

      const refused = await run('server/main.ts', ['--role=web'], {
        DATABASE_URL: empty.appUrl!,
        DATA_DIR: dataDir,
        PORT: String(await freePort()),
      });
      expect(refused.code).toBe(2);
      expect(refused.output).toContain(`1 migration(s) not applied (${newest})`);
      expect(refused.output).toContain('npm run migrate');
      expect(refused.output).toMatch(/may not change the schema/);

      // The owner, without PORTAL_MIGRATE, would migrate; with PORTAL_MIGRATE=false it refuses.
      const ownerRefused = await run('server/main.ts', ['--role=web'], {
        DATABASE_URL: empty.ownerUrl!,
        DATA_DIR: dataDir,
        PORT: String(await freePort()),
        PORTAL_MIGRATE: 'false',
      });
      expect(ownerRefused.code).toBe(2);
      expect(ownerRefused.output).toContain('PORTAL_MIGRATE=false');

      const asApp = await run('server/cli/migrate.ts', [], {
        DATABASE_URL: empty.appUrl!,
        DATA_DIR: dataDir,
      });
      expect(asApp.code).toBe(1);
      expect(asApp.output).toMatch(/may not change the schema/);
      expect((await migrationState(empty.db)).pending).toEqual([newest]);

      const migrated = await run('server/cli/migrate.ts', ['--grant', APP_ROLE], {
        DATABASE_URL: empty.ownerUrl!,
        DATA_DIR: dataDir,
      });
      expect(migrated.output).toContain(`Applied 1 migration(s): ${newest}.`);
      expect(migrated.output).toContain(`Granted "${APP_ROLE}"`);
      expect(migrated.code).toBe(0);

      const again = await run('server/cli/migrate.ts', [], {
        DATABASE_URL: empty.ownerUrl!,
        DATA_DIR: dataDir,
      });
      expect(again).toMatchObject({ code: 0 });
      expect(again.output).toContain('already up to date');

      const server = await startServerProcess(empty.appUrl!, dataDir, {
        role: 'web',
        env: { PORTAL_MIGRATE: 'false' },
      });
      try {
        const health = await fetch(`${server.url}/api/v1/health`);
        expect(health.status).toBe(200);
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    } finally {
      await empty.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe.skipIf(onPostgres)('migrating the embedded database', () => {
  it('PORTAL_MIGRATE=false on a new data folder refuses to start; npm run migrate makes it', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-privilege-'));
    try {
      const refused = await run('server/main.ts', ['--role=web'], {
        DATA_DIR: dataDir,
        PORT: String(await freePort()),
        PORTAL_MIGRATE: 'false',
      });
      expect(refused.code).toBe(2);
      expect(refused.output).toContain(
        `${committedMigrations().length} migration(s) not applied (`,
      );
      const grant = await run('server/cli/migrate.ts', ['--grant', 'someone'], {
        DATA_DIR: dataDir,
      });
      expect(grant.code).toBe(2);
      expect(grant.output).toContain('--grant needs DATABASE_URL');
      const migrated = await run('server/cli/migrate.ts', [], { DATA_DIR: dataDir });
      expect(migrated.code).toBe(0);
      expect(migrated.output).toContain(`Applied ${committedMigrations().length} migration(s)`);
      const server = await startServerProcess(undefined, dataDir, {
        role: 'web',
        env: { PORTAL_MIGRATE: 'false' },
      });
      try {
        expect((await fetch(`${server.url}/api/v1/health`)).status).toBe(200);
      } finally {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
