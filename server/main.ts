import { ConfigError, loadConfig } from './config.js';
import { buildApp } from './app.js';
import { openDatabase } from './db/connect.js';
import { JOBS_CHANNEL } from './db/event-order.js';
import { migrateOnStart, SchemaBehindError } from './db/migration-state.js';
import { DEMO_ACCOUNTS, DEMO_INTEGRATION, DEMO_PASSWORD, seedDemo } from './demo/demo-seed.js';
import { systemClock } from './lib/clock.js';
import { createSignals } from './lib/context.js';
import type { Mailer } from './jobs/mailer.js';
import type { createWorker } from './jobs/worker.js';
import { hasNoChambers } from './modules/chambers/chamber.repository.js';
import path from 'node:path';
import { hasWebBuild } from './plugins/web.js';

/** Starts the product: `--role=web|worker|all` (default all), `--demo` to make the demo chamber. */
async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let config;
  try {
    config = loadConfig(process.env, argv);
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
    poolSize: config.databasePoolSize,
  });
  try {
    const { applied, newer } = await migrateOnStart(database, config.migrate);
    if (applied.length > 0) console.log(`Applied ${applied.length} database migration(s).`);
    if (newer) {
      console.warn(
        'The database schema is newer than this version of the product (a newer version migrated it); carrying on.',
      );
    }
  } catch (error) {
    if (error instanceof SchemaBehindError) {
      console.error(error.message);
      await database.close();
      process.exit(2);
    }
    throw error;
  }

  const demo = argv.includes('--demo');
  if (demo && (await hasNoChambers(database.db))) {
    await seedDemo(database.db, config, systemClock);
    console.log('Made the demo chamber "demo" (Riverside Clinic).');
  }

  const signals = createSignals();
  const app = await buildApp({ config, database, signals });
  // Only a process that runs jobs loads the worker and its mail transport (nodemailer): a web
  // process sends no mail, and is smaller without them.
  let mailer: Mailer | undefined;
  let worker: ReturnType<typeof createWorker> | undefined;
  if (config.role !== 'web') {
    const [mail, jobs] = await Promise.all([
      import('./jobs/mailer.js'),
      import('./jobs/worker.js'),
    ]);
    mailer = config.smtpUrl
      ? mail.smtpMailer(config.smtpUrl, config.mailFrom)
      : mail.fileMailer(path.join(config.dataDir, 'mail'), config.mailFrom);
    worker = jobs.createWorker(
      { db: database.db, clock: systemClock, config, signals },
      mailer,
      app.log,
    );
  }

  if (config.role !== 'worker') await app.listen({ host: config.host, port: config.port });
  worker?.start();
  // A worker of its own hears of jobs queued by the web processes (a large role's notifications)
  // at once, instead of at its next poll; the web processes' own signal reaches only themselves.
  const stopHearingJobs =
    config.role === 'worker'
      ? await database.listen(
          JOBS_CHANNEL,
          () => signals.jobsEnqueued(),
          () => signals.jobsEnqueued(),
        )
      : undefined;

  const where = config.publicUrl;
  console.log(
    `\nPatient Portal Online Messaging (${config.role}) on ${database.engine === 'pglite' ? `the embedded database in ${config.dataDir}` : 'PostgreSQL'}`,
  );
  if (config.role !== 'worker') {
    if (hasWebBuild()) {
      console.log(`  Staff app:      ${where}/staff/`);
      console.log(`  Patient Portal: ${where}/portal/`);
    } else {
      console.log('  (web apps not built: run `npm run build:web` to serve /staff/ and /portal/)');
    }
    console.log(`  API:            ${where}/api/v1/ (OpenAPI at ${where}/api/v1/openapi.json)`);
  }
  if (mailer) console.log(`  Email:          ${mailer.describe()}`);
  if (demo) {
    console.log(`\nDemo sign-ins (chamber "demo", password "${DEMO_PASSWORD}"):`);
    for (const a of DEMO_ACCOUNTS)
      console.log(`  ${a.email.padEnd(30)} ${a.app.padEnd(7)} ${a.who}`);
    console.log(
      `  FHIR R4 at ${where}/fhir/R4: client_id "${DEMO_INTEGRATION.clientId}", client_secret "${DEMO_INTEGRATION.secret}" (docs/fhir.md)`,
    );
  }

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    await app.close();
    await stopHearingJobs?.();
    await worker?.stop();
    mailer?.close();
    await database.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
