import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { migrateDatabase, migrationsFolder, type Database, type Db } from './connect.js';

/** One committed migration, as the journal lists it. */
interface JournalEntry {
  tag: string;
  when: number;
}

/** The committed migrations, oldest first. */
export function committedMigrations(): JournalEntry[] {
  const journal = JSON.parse(
    fs.readFileSync(path.join(migrationsFolder, 'meta', '_journal.json'), 'utf8'),
  ) as { entries: JournalEntry[] };
  return journal.entries.map(({ tag, when }) => ({ tag, when }));
}

/** Where the database stands against the committed migrations. */
export interface MigrationState {
  /** Committed migrations the database has not applied, oldest first. */
  pending: string[];
  /** The database was migrated by a newer version of the product than this one. */
  newer: boolean;
}

/**
 * Compares the database's migration record with the committed migrations, reading only (a role
 * without DDL rights can run it): a migration is applied when the record holds one of its time
 * or later, as Drizzle's migrator decides.
 */
export async function migrationState(db: Db): Promise<MigrationState> {
  const committed = committedMigrations();
  const present = await db.execute<{ present: boolean }>(
    sql`select to_regclass('drizzle.__drizzle_migrations') is not null as present`,
  );
  if (!present.rows[0]?.present) return { pending: committed.map((m) => m.tag), newer: false };
  const last = await db.execute<{ last: string | number | null }>(
    sql`select max(created_at) as last from drizzle.__drizzle_migrations`,
  );
  const lastWhen = Number(last.rows[0]?.last ?? 0);
  return {
    pending: committed.filter((m) => m.when > lastWhen).map((m) => m.tag),
    newer: lastWhen > Math.max(0, ...committed.map((m) => m.when)),
  };
}

/** Raised at start-up when the schema is behind and this process may not or cannot migrate it. */
export class SchemaBehindError extends Error {
  constructor(
    readonly pending: string[],
    why: string,
  ) {
    super(
      `The database schema is behind this version of the product: ${pending.length} migration(s) not applied (${pending.join(', ')}). ${why} Run \`npm run migrate\` with DATABASE_URL of the role that owns the tables, then start the product again (docs/operations.md, "The database role").`,
    );
  }
}

/**
 * Brings the schema up to date at start-up when it is behind and `migrate` allows; never runs
 * DDL when it is current, so a role without DDL rights starts on an up-to-date database.
 */
export async function migrateOnStart(
  database: Database,
  migrate: boolean,
): Promise<{ applied: string[]; newer: boolean }> {
  const state = await migrationState(database.db);
  if (state.pending.length === 0) return { applied: [], newer: state.newer };
  if (!migrate) {
    throw new SchemaBehindError(
      state.pending,
      'PORTAL_MIGRATE=false: this process does not migrate.',
    );
  }
  try {
    await migrateDatabase(database);
  } catch (error) {
    const code =
      (error as { code?: string; cause?: { code?: string } }).cause?.code ??
      (error as { code?: string }).code;
    // 42501: insufficient privilege, the restricted role of docs/operations.md.
    if (code === '42501') {
      throw new SchemaBehindError(
        state.pending,
        'This database role may not change the schema (it is the restricted role, as it should be).',
      );
    }
    throw error;
  }
  return { applied: state.pending, newer: false };
}

/**
 * The rights of the product's restricted database role (PostgreSQL): read and write every
 * table, but only read and add audit rows and their chain's links; no DDL, no TRUNCATE, no trigger control (which
 * needs ownership). Run by `npm run migrate -- --grant <role>` after every migration, so new
 * tables are covered.
 */
export async function grantAppRole(db: Db, role: string): Promise<void> {
  const r = sql.raw(pg.escapeIdentifier(role));
  const exists = await db.execute<{ n: number }>(
    sql`select count(*)::int as n from pg_roles where rolname = ${role}`,
  );
  if (exists.rows[0]?.n !== 1) throw new Error(`There is no database role "${role}".`);
  const owner = await db.execute<{ owner: boolean }>(sql`
    select pg_has_role(${role}, tableowner, 'USAGE')
           or (select rolsuper from pg_roles where rolname = ${role}) as owner
      from pg_tables where schemaname = 'public' and tablename = 'audit_events'`);
  if (owner.rows[0]?.owner) {
    throw new Error(
      `The role "${role}" owns the tables, is a member of their owner or is a superuser: the product's role must be another one, or it could disable the audit log's guard.`,
    );
  }
  await db.transaction(async (tx) => {
    await tx.execute(sql`GRANT USAGE ON SCHEMA public TO ${r}`);
    await tx.execute(
      sql`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${r}`,
    );
    // The audit log and its chain's links and runs (those of a schema not yet at 0019: the log).
    const present = await tx.execute<{ name: string }>(sql`
      select t as name from unnest(array['audit_events', 'audit_seals', 'audit_seal_runs']) t
       where to_regclass('public.' || t) is not null`);
    const auditTables = sql.raw(
      present.rows.map((row) => pg.escapeIdentifier(row.name)).join(', '),
    );
    await tx.execute(
      sql`REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ${auditTables} FROM ${r}`,
    );
    await tx.execute(sql`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${r}`);
    await tx.execute(sql`GRANT USAGE ON SCHEMA drizzle TO ${r}`);
    await tx.execute(sql`GRANT SELECT ON drizzle.__drizzle_migrations TO ${r}`);
  });
}
