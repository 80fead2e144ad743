import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { openDatabase, type Db } from '../db/connect.js';
import { migrateOnStart } from '../db/migration-state.js';
import { insertUser } from '../modules/users/user.repository.js';
import { systemClock } from '../lib/clock.js';
import { auditAsSystem } from '../modules/audit/audit.service.js';
import { createAccountLink } from '../modules/auth/account-links.js';
import { createChamber } from '../modules/chambers/chamber.service.js';

const USAGE = `Creates a chamber (a clinic) and its first administrator, who is emailed an invitation.

  npm run chamber -- --key riverside --name "Riverside Clinic" --admin-email ada@riverside.example --admin-name "Ada Admin" [--time-zone Europe/London]

Uses DATABASE_URL / DATA_DIR like the server; the invitation goes out when a worker runs
(SMTP_URL, or .eml files in DATA_DIR/mail).`;

export interface NewChamberWithAdmin {
  key: string;
  name: string;
  timeZone: string;
  adminEmail: string;
  adminName: string;
}

/**
 * Creates a chamber with its built-in role and its first administrator, who is invited by
 * email, in one transaction; the chamber's audit log starts with a `chamber.created` row by
 * the command line (SPEC rule 6: an account written is audited, whoever writes it).
 */
export async function createChamberWithAdmin(
  db: Db,
  input: NewChamberWithAdmin,
  now: Date,
): Promise<{ chamberId: string; adminUserId: string }> {
  const userId = randomUUID();
  return db.transaction(async (tx) => {
    const chamber = await createChamber(
      tx,
      { key: input.key, name: input.name, timeZone: input.timeZone },
      now,
    );
    await insertUser(tx, {
      chamberId: chamber.id,
      id: userId,
      email: input.adminEmail,
      name: input.adminName,
      isAdmin: true,
      active: true,
      createdAt: now,
      updatedAt: now,
    });
    await createAccountLink(tx, {
      chamberId: chamber.id,
      subject: { userId },
      purpose: 'invitation',
      now,
    });
    await auditAsSystem(tx, chamber.id, 'npm run chamber', now, {
      action: 'chamber.created',
      subjectType: 'user',
      subjectId: userId,
      details: {
        key: input.key,
        name: input.name,
        timeZone: input.timeZone,
        adminEmail: input.adminEmail,
      },
    });
    return { chamberId: chamber.id, adminUserId: userId };
  });
}

/** The operator's way to add a chamber: chambers are never created through another chamber's API. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      key: { type: 'string' },
      name: { type: 'string' },
      'admin-email': { type: 'string' },
      'admin-name': { type: 'string' },
      'time-zone': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  const problems: string[] = [];
  const key = values.key?.trim().toLowerCase() ?? '';
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(key))
    problems.push('--key: lower-case letters, digits and dashes, 1 to 63 characters');
  if (!values.name?.trim()) problems.push('--name is required');
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values['admin-email'] ?? ''))
    problems.push('--admin-email must be an email address');
  if (!values['admin-name']?.trim()) problems.push('--admin-name is required');
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: values['time-zone'] ?? 'Europe/London' });
  } catch {
    problems.push('--time-zone must be an IANA time zone such as Europe/London');
  }
  if (values.help || problems.length > 0) {
    console.error(`${problems.map((p) => `- ${p}`).join('\n')}\n\n${USAGE}`);
    process.exit(values.help ? 0 : 2);
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
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: 2,
  });
  try {
    await migrateOnStart(database, config.migrate);
    await createChamberWithAdmin(
      database.db,
      {
        key,
        name: values.name!.trim(),
        timeZone: values['time-zone'] ?? 'Europe/London',
        adminEmail: values['admin-email']!.trim(),
        adminName: values['admin-name']!.trim(),
      },
      systemClock(),
    );
    console.log(
      `Chamber "${key}" created. ${values['admin-email']} is invited as its administrator (the link works for 24 hours).`,
    );
  } finally {
    await database.close();
  }
}

// Run as a command (npm run chamber), not when a test imports createChamberWithAdmin.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
