import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase } from '../db/connect.js';
import { verifyAuditChains } from '../modules/audit/audit.service.js';

const USAGE = `Recomputes the audit log's hash chain of every chamber (or of one) and says whether it is intact.

  npm run audit:verify [-- --chamber riverside [--expect 1234:<hash>]]

Each intact chain prints its newest row as <number>:<hash>. Note it somewhere the database's
administrators cannot write; a later run with --expect <number>:<hash> (and --chamber) also
checks that this row still has that hash, which catches rows rewritten hashes and all, or
removed from the end.

Uses DATABASE_URL / DATA_DIR like the server. With the embedded database (no DATABASE_URL), stop
the server first or point DATA_DIR at a copy: PGlite is opened by one process at a time.
Exit code 0: every chain intact; 1: a chain is broken (its first bad row is named) or the
check failed; 2: wrong arguments, settings or database.`;

/** The operator's check that no audit row was changed, removed or replaced (docs/operations.md). */
async function main(): Promise<void> {
  let values: { chamber?: string; expect?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        chamber: { type: 'string' },
        expect: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    process.exit(2);
  }
  const chamberKey = values.chamber?.trim().toLowerCase();
  const anchor = /^(\d{1,15}):([0-9a-fA-F]{64})$/.exec(values.expect?.trim() ?? '');
  const problems: string[] = [];
  if (chamberKey === '') problems.push('--chamber needs a chamber key');
  if (values.expect !== undefined && !anchor)
    problems.push('--expect must be <number>:<hash> as printed by an earlier run');
  if (values.expect !== undefined && chamberKey === undefined)
    problems.push('--expect needs --chamber');
  if (values.help || problems.length > 0) {
    console.error(`${problems.map((p) => `- ${p}`).join('\n')}\n\n${USAGE}`);
    process.exit(values.help ? 0 : 2);
  }
  const expect = anchor ? { chainSeq: Number(anchor[1]), hash: anchor[2]! } : undefined;
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
  const embedded = path.join(config.dataDir, 'pglite');
  if (!config.databaseUrl && !fs.existsSync(path.join(embedded, 'PG_VERSION'))) {
    console.error(
      `There is no embedded database in ${embedded}: is DATA_DIR (or DATABASE_URL) right?`,
    );
    process.exit(2);
  }
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: 1,
  });
  let broken = 0;
  let checked = 0;
  try {
    const installed = await database.db.execute(sql`
      select 1 from information_schema.tables
       where table_schema = current_schema() and table_name = 'audit_seals'`);
    if (installed.rows.length === 0) {
      console.error(
        'This database has no audit hash chain yet: start the server once, so that its migrations run.',
      );
      process.exitCode = 2;
      return;
    }
    const started = Date.now();
    const results = await verifyAuditChains(database.db, { chamberKey, expect });
    if (chamberKey !== undefined && results.length === 0) {
      console.error(`There is no chamber "${chamberKey}".`);
      process.exitCode = 2;
      return;
    }
    for (const { chamber, report } of results) {
      checked += report.rows;
      if (report.ok) {
        const pending = report.pending
          ? ` (${report.pending} newer ${report.pending === 1 ? 'row' : 'rows'} not sealed yet: the worker seals them within seconds)`
          : '';
        console.log(
          report.head
            ? `${chamber.key}: intact, ${report.rows} rows; newest row id ${report.head.id}, ${report.head.chainSeq}:${report.head.hash}${pending}`
            : `${chamber.key}: intact, no audit rows sealed yet${pending}`,
        );
      } else {
        broken += 1;
        const where =
          report.firstBadId === null
            ? ''
            : ` at audit row id ${report.firstBadId}${report.chainSeq === null ? '' : ` (number ${report.chainSeq} in the chain)`}`;
        console.log(
          `${chamber.key}: BROKEN${where}: ${report.reason}. ${report.rows} rows before it verified.`,
        );
      }
    }
    console.log(
      broken === 0
        ? `Audit log intact: ${results.length} chamber(s), ${checked} rows, ${Date.now() - started} ms.`
        : `AUDIT LOG BROKEN in ${broken} of ${results.length} chamber(s): compare the named rows with a backup and find out who changed them.`,
    );
    if (broken > 0) process.exitCode = 1;
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
