import { againstPgbench, recordRequest, type Request } from './lib/against-pgbench.js';
import { datasetIds, openSessions, postgresDataset } from './lib/dataset.js';
import { inProcessApp, startProduct } from './lib/product.js';
import { log, parseOptions } from './lib/scenario.js';

// Read: a patient opens the Inbox, and a staff user opens a patient's Feed (the 20 newest
// messages they may see), against pgbench replaying exactly the SQL the handler sends.

const bench = parseOptions();
/** Readers, spread over the data set so the reads are not all of the same rows. */
const READERS = bench.quick ? 10 : 50;
const data = await postgresDataset(bench.size, log);
try {
  const recorder = await inProcessApp(data.url);
  const db = recorder.database.db;
  const ids = await datasetIds(db, bench.size.patients);
  const step = Math.max(1, Math.floor(ids.patientIds.length / READERS));
  const patients = Array.from({ length: READERS }, (_, i) => ids.patientIds[i * step]!);
  const patientTokens = await openSessions(db, ids.chamberId, 'patient', patients);
  const staffTokens = await openSessions(
    db,
    ids.chamberId,
    'staff',
    patients.map((_, i) => ids.staffIds[i % ids.staffIds.length]!),
  );
  const inbox = (client: number): Request => ({
    method: 'GET',
    url: '/api/v1/portal/conversations',
    headers: { cookie: `portal_session=${patientTokens[client % READERS]}` },
  });
  const feed = (client: number): Request => ({
    method: 'GET',
    url: `/api/v1/patients/${patients[client % READERS]}/feed`,
    headers: { cookie: `staff_session=${staffTokens[client % READERS]}` },
  });
  const inboxSql = await recordRequest(recorder, READERS, inbox, 200);
  const feedSql = await recordRequest(recorder, READERS, feed, 200);
  await recorder.close();
  const server = await startProduct(data.url, {}, undefined, { worker: true });
  // Closed-loop clients run through the readers in turn, as the pgbench scripts do at random.
  const turn = (make: (i: number) => Request) => {
    let n = 0;
    return () => make((n += 1));
  };
  const notes = [
    `${READERS} patients spread over the data set (about ${Math.round(bench.size.messages / bench.size.patients)} messages each), each with a session; every request is one of them in turn.`,
  ];
  try {
    await againstPgbench({
      bench,
      id: 'read-inbox',
      title: 'Read: a patient opens the Inbox',
      command: 'npm run bench -- read',
      databaseUrl: data.url,
      server,
      ...inboxSql,
      request: turn(inbox),
      expect: 200,
      minRatio: 0.6,
      maxHalfP99: 10,
      notes,
    });
    await againstPgbench({
      bench,
      id: 'read-feed',
      title: "Read: a staff user opens a patient's Feed",
      command: 'npm run bench -- read',
      databaseUrl: data.url,
      server,
      ...feedSql,
      request: turn(feed),
      expect: 200,
      minRatio: 0.6,
      maxHalfP99: 10,
      notes: [
        ...notes,
        'The staff users hold the built-in role, to which every generated message is shared.',
      ],
    });
  } finally {
    await server.stop();
  }
} finally {
  await data.drop();
}
