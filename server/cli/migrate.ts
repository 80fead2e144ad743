import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { migrateDatabase, openDatabase } from '../db/connect.js';
import { grantAppRole, migrationState } from '../db/migration-state.js';

const USAGE = `Applies the product's pending database migrations, then (PostgreSQL) gives the product's
restricted role its rights on every table, new ones included.

  npm run migrate [-- --grant <role>]

Run it as the role that owns the tables (DATABASE_URL of the owner), before starting a new
version. --grant names the role the product runs as (e.g. portal_app; PORTAL_APP_ROLE also
works): it may read and write every table but only read and add audit rows (docs/operations.md,
"The database role"). Start the product as that role with PORTAL_MIGRATE=false.

Uses DATABASE_URL / DATA_DIR like the server. With the embedded database, stop the server first.
Exit code 0: up to date; 1: a migration or grant failed; 2: wrong arguments or settings.`;

/** The owner's migration step of an upgrade (docs/operations.md). */
async function main(): Promise<void> {
  let values: { grant?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { grant: { type: 'string' }, help: { type: 'boolean' } },
    }));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  let config;
  try {
    config = loadConfig(process.env, []);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const grant = (values.grant ?? process.env.PORTAL_APP_ROLE ?? '').trim();
  if ((values.grant !== undefined || process.env.PORTAL_APP_ROLE) && grant === '') {
    console.error(`--grant needs a role name.\n\n${USAGE}`);
    process.exit(2);
  }
  if (grant !== '' && !config.databaseUrl) {
    console.error(
      '--grant needs DATABASE_URL: the embedded database has one role and nothing to grant.',
    );
    process.exit(2);
  }
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: 1,
  });
  try {
    const before = await migrationState(database.db);
    await migrateDatabase(database);
    console.log(
      before.pending.length === 0
        ? 'The database schema was already up to date.'
        : `Applied ${before.pending.length} migration(s): ${before.pending.join(', ')}.`,
    );
    if (before.newer) {
      console.warn('The database was migrated by a newer version of the product than this one.');
    }
    if (grant !== '') {
      await grantAppRole(database.db, grant);
      console.log(
        `Granted "${grant}" its rights: read and write every table; audit rows read and add only.`,
      );
    }
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    console.error(
      code === '42501'
        ? `This database role may not change the schema: run npm run migrate as the role that owns the tables. (${String((error as { cause?: Error }).cause?.message ?? error)})`
        : error instanceof Error
          ? error.message
          : String(error),
    );
    process.exitCode = 1;
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
