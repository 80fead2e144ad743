import { randomUUID } from 'node:crypto';
import { againstPgbench, recordRequest, type Request } from './lib/against-pgbench.js';
import { datasetIds, openSessions, postgresDataset } from './lib/dataset.js';
import { inProcessApp, POOL_SIZE, startProduct } from './lib/product.js';
import { log, parseOptions } from './lib/scenario.js';

// Send: a patient sends a message (a new conversation, the whole transaction) over HTTP,
// against pgbench replaying exactly the SQL the handler sends, at the pool's client count.

const bench = parseOptions();
const data = await postgresDataset(bench.size, log);
try {
  const recorder = await inProcessApp(data.url);
  const ids = await datasetIds(recorder.database.db, POOL_SIZE);
  const tokens = await openSessions(recorder.database.db, ids.chamberId, 'patient', ids.patientIds);
  const request = (client: number): Request => ({
    method: 'POST',
    url: '/api/v1/portal/conversations',
    headers: {
      cookie: `portal_session=${tokens[client % tokens.length]}`,
      'content-type': 'application/json',
      'idempotency-key': randomUUID(),
    },
    payload: JSON.stringify({ text: 'Could I move my appointment on Friday to the afternoon?' }),
  });
  const { scripts, statements } = await recordRequest(recorder, POOL_SIZE, request, 201);
  await recorder.close();
  const server = await startProduct(data.url, {}, undefined, { worker: true });
  try {
    await againstPgbench({
      bench,
      id: 'send',
      title: 'Send: a patient sends a message',
      command: 'npm run bench -- send',
      databaseUrl: data.url,
      server,
      scripts,
      statements,
      request,
      fresh: 'idempotency-key',
      expect: 201,
      minRatio: 0.6,
      maxHalfP99: 25,
      notes: [
        `Each of the ${POOL_SIZE} clients is a different signed-in patient starting a new conversation, with an Idempotency-Key, as the Patient Portal sends it.`,
      ],
    });
  } finally {
    await server.stop();
  }
} finally {
  await data.drop();
}
