import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { migrateDatabase, openDatabase } from '../db/connect.js';
import { insertUser } from '../modules/users/user.repository.js';
import { systemClock } from '../lib/clock.js';
import { createAccountLink } from '../modules/auth/account-links.js';
import { createChamber } from '../modules/chambers/chamber.service.js';

const USAGE = `Creates a chamber (a clinic) and its first administrator, who is emailed an invitation.

  npm run chamber -- --key riverside --name "Riverside Clinic" --admin-email ada@riverside.example --admin-name "Ada Admin" [--time-zone Europe/London]

Uses DATABASE_URL / DATA_DIR like the server; the invitation goes out when a worker runs
(SMTP_URL, or .eml files in DATA_DIR/mail).`;

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
    await migrateDatabase(database);
    const now = systemClock();
    const chamber = await createChamber(
      database.db,
      { key, name: values.name!.trim(), timeZone: values['time-zone'] ?? 'Europe/London' },
      now,
    );
    const userId = randomUUID();
    await database.db.transaction(async (tx) => {
      await insertUser(tx, {
        chamberId: chamber.id,
        id: userId,
        email: values['admin-email']!.trim(),
        name: values['admin-name']!.trim(),
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
    });
    console.log(
      `Chamber "${key}" created. ${values['admin-email']} is invited as its administrator (the link works for 24 hours).`,
    );
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
