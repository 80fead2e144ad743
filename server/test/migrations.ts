import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { inject } from 'vitest';
import { fromPglite, fromPostgres, migrationsFolder, type Database } from '../db/connect.js';

/**
 * An empty database (no migration applied) of the engine this project runs on; on PostgreSQL
 * `ownerUrl` and `appUrl` reach it as the test role and as the restricted role.
 */
export async function openEmptyDatabase(): Promise<
  Database & { ownerUrl?: string; appUrl?: string }
> {
  if (inject('engine') === 'pglite') return fromPglite(await PGlite.create());
  const name = `portal_empty_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: inject('postgresUrl') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(inject('postgresUrl'));
  url.pathname = `/${name}`;
  const database = fromPostgres(url.toString(), 2);
  const appUrl = new URL(inject('postgresAppUrl'));
  appUrl.pathname = `/${name}`;
  return {
    ...database,
    ownerUrl: url.toString(),
    appUrl: appUrl.toString(),
    close: async () => {
      await database.close().catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/**
 * Applies the migrations up to and including `lastTag` (a copy of the folder with its journal
 * cut there), so a test can write rows as an older version did and then migrate the rest.
 */
export async function migrateUpTo(database: Database, lastTag: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-migrations-'));
  fs.cpSync(migrationsFolder, dir, { recursive: true });
  const journalFile = path.join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(fs.readFileSync(journalFile, 'utf8')) as {
    entries: { tag: string }[];
  };
  const cut = journal.entries.findIndex((e) => e.tag === lastTag);
  if (cut < 0) throw new Error(`no migration ${lastTag}`);
  journal.entries = journal.entries.slice(0, cut + 1);
  fs.writeFileSync(journalFile, JSON.stringify(journal));
  try {
    if (database.engine === 'pglite')
      await migratePglite(database.db as unknown as Parameters<typeof migratePglite>[0], {
        migrationsFolder: dir,
      });
    else
      await migratePg(database.db as unknown as Parameters<typeof migratePg>[0], {
        migrationsFolder: dir,
      });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
