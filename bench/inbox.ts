import { againstPgbench, recordRequest, type Request } from './lib/against-pgbench.js';
import { datasetIds, openSessions, postgresDataset } from './lib/dataset.js';
import { inProcessApp, startProduct } from './lib/product.js';
import { log, parseOptions } from './lib/scenario.js';

// Team inbox: a staff user opens Start Page > Messages, the Open view, 50 rows, in a role that
// sees every generated conversation (100,000 patients' conversations in the full data set),
// against pgbench replaying exactly the SQL the handler sends.

const bench = parseOptions();
const READERS = bench.quick ? 4 : 8;
const data = await postgresDataset(bench.size, log);
try {
  const recorder = await inProcessApp(data.url);
  const db = recorder.database.db;
  const ids = await datasetIds(db, bench.size.patients);
  const staff = ids.staffIds.slice(0, READERS);
  const tokens = await openSessions(db, ids.chamberId, 'staff', staff);
  const inbox = (client: number): Request => ({
    method: 'GET',
    url: '/api/v1/inbox?view=open&limit=50',
    headers: { cookie: `staff_session=${tokens[client % tokens.length]}` },
  });
  const inboxSql = await recordRequest(recorder, tokens.length, inbox, 200);
  await recorder.close();
  const server = await startProduct(data.url);
  let n = 0;
  try {
    await againstPgbench({
      bench,
      id: 'inbox',
      title: 'Team inbox: a staff user opens Messages (Open view, 50 rows)',
      command: 'npm run bench -- inbox',
      databaseUrl: data.url,
      server,
      ...inboxSql,
      request: () => inbox((n += 1)),
      expect: 200,
      minRatio: 0.6,
      maxHalfP99: 25,
      notes: [
        `${tokens.length} staff users of the built-in role, to which every generated message is shared: each sees all ${Math.floor(bench.size.messages / 10)} generated conversations of ${bench.size.patients} patients.`,
        'The page is served by conversations_team_inbox_idx (chamber, status, red flag, reply-by, newest) read in order; see "The team inbox (issue 13)" for EXPLAIN.',
      ],
    });
  } finally {
    await server.stop();
  }
} finally {
  await data.drop();
}
