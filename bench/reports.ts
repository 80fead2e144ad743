import { sql } from 'drizzle-orm';
import { againstPgbench, recordRequest, type Request } from './lib/against-pgbench.js';
import { datasetIds, openSessions, postgresDataset } from './lib/dataset.js';
import { inProcessApp, startProduct } from './lib/product.js';
import { log, parseOptions } from './lib/scenario.js';

// Message Reports: the demo's admin (in Appointment Reminder Admin, to which every generated
// message is shared) opens Admin > Message Reports for 30 days grouped by role, against pgbench
// replaying exactly the SQL the handler sends. The 30 days are the first of the data set: every
// generated conversation starts in them (500,000 in the full data set, with 1.5 million patient
// messages in those days to sort into in and out of hours).

const bench = parseOptions();
const READERS = bench.quick ? 2 : 4;
const QUERY = 'from=2026-01-01&to=2026-01-30&groupBy=role';
const data = await postgresDataset(bench.size, log);
try {
  const recorder = await inProcessApp(data.url);
  const db = recorder.database.db;
  const ids = await datasetIds(db, bench.size.patients);
  const admin = await db.execute<{ id: string }>(
    sql`select id from users where chamber_id = ${ids.chamberId}::uuid and email = 'admin@riverside.example'`,
  );
  const adminId = admin.rows[0]!.id;
  const tokens = await openSessions(
    db,
    ids.chamberId,
    'staff',
    Array.from({ length: READERS }, () => adminId),
  );
  const reports = (client: number): Request => ({
    method: 'GET',
    url: `/api/v1/admin/reports/reply-times?${QUERY}`,
    headers: { cookie: `staff_session=${tokens[client % tokens.length]}` },
  });
  // A request writes its session's last-seen time when the last write is 5 s old or more, and
  // two recordings of a report take longer than that: the second would send one statement more
  // than the first, and the replay could not be built. The sessions are seen "later" than now
  // while recording, so neither recording writes it (the product, measured afterwards, still
  // writes it every 5 s a session: work the replay does not do).
  const seen = (at: ReturnType<typeof sql>) =>
    db.execute(
      sql`update sessions set last_seen_at = ${at}
           where chamber_id = ${ids.chamberId}::uuid and user_id = ${adminId}::uuid`,
    );
  await seen(sql`now() + interval '1 hour'`);
  for (let i = 0; i < tokens.length; i += 1) await recorder.app.inject(reports(i));
  const reportSql = await recordRequest(recorder, tokens.length, reports, 200);
  await seen(sql`now()`);
  await recorder.close();
  const server = await startProduct(data.url);
  let n = 0;
  try {
    await againstPgbench({
      bench,
      id: 'reports',
      title: 'Message Reports: an admin opens the reply-times report (30 days, by role)',
      command: 'npm run bench -- reports',
      databaseUrl: data.url,
      server,
      ...reportSql,
      request: () => reports((n += 1)),
      expect: 200,
      minRatio: 0.6,
      maxHalfP99: 1000,
      notes: [
        `GET /api/v1/admin/reports/reply-times?${QUERY}, as the demo's admin (${tokens.length} sessions), who sees every generated conversation: all ${Math.floor(bench.size.messages / 10)} start in these 30 days.`,
        'The conversation figures (per day and in all), the per-role figures and the out-of-hours count are three statements; working hours are worked out in them from a calendar of open intervals the handler builds (width_bucket).',
      ],
    });
  } finally {
    await server.stop();
  }
} finally {
  await data.drop();
}
