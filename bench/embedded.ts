import { randomUUID } from 'node:crypto';
import type { Request } from './lib/against-pgbench.js';
import { datasetIds, EMBEDDED_SIZE, openSessions, postgresDataset } from './lib/dataset.js';
import { embeddedDataset } from './lib/embedded.js';
import { POOL_SIZE, productRound, startProduct } from './lib/product.js';
import {
  alternate,
  log,
  parseOptions,
  ratio,
  ratioText,
  sideRows,
  summarizeSides,
  writeReport,
  SIDE_HEAD,
} from './lib/scenario.js';

// Embedded vs PostgreSQL: the same product, the same data set (100k messages), the same send
// and Inbox requests, on PGlite and on PostgreSQL. Target: the embedded database holds at least
// 0.3 of what PostgreSQL does.

const bench = parseOptions();
const size = bench.quick ? { patients: 2_000, messages: 20_000 } : EMBEDDED_SIZE;
const SUBJECTS = 20;

const pgData = await postgresDataset(size, log);
const embedded = await embeddedDataset(size);
const stops: (() => Promise<void>)[] = [];
try {
  const sessions = async (db: Parameters<typeof datasetIds>[0]) => {
    const ids = await datasetIds(db, size.patients);
    const step = Math.floor(ids.patientIds.length / SUBJECTS);
    const patients = Array.from({ length: SUBJECTS }, (_, i) => ids.patientIds[i * step]!);
    return openSessions(db, ids.chamberId, 'patient', patients);
  };
  const local = await embedded.open();
  const embeddedTokens = await sessions(local.db);
  await local.close();
  const { fromPostgres } = await import('../server/db/connect.js');
  const pg = fromPostgres(pgData.url, 1);
  const pgTokens = await sessions(pg.db);
  await pg.close();

  const onPglite = await startProduct('', {}, embedded.dataDir);
  stops.push(onPglite.stop);
  const onPostgres = await startProduct(pgData.url);
  stops.push(onPostgres.stop);

  const send = (tokens: string[]) => (client: number) => {
    const r: Request = {
      method: 'POST',
      url: '/api/v1/portal/conversations',
      headers: {
        cookie: `portal_session=${tokens[client % tokens.length]}`,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
      },
      payload: JSON.stringify({ text: 'Could I move my appointment on Friday to the afternoon?' }),
    };
    return { method: r.method, path: r.url, headers: r.headers, body: r.payload, expect: 201 };
  };
  let turn = 0;
  const inbox = (tokens: string[]) => () => ({
    method: 'GET' as const,
    path: '/api/v1/portal/conversations',
    headers: { cookie: `portal_session=${tokens[(turn += 1) % tokens.length]}` },
  });

  const rows: (string | number)[][] = [];
  const verdicts: string[] = [];
  let met = true;
  for (const [name, make] of [
    ['send', send],
    ['Inbox', inbox],
  ] as const) {
    log(`embedded vs PostgreSQL: ${name}`);
    const rounds = await alternate(
      bench,
      (seconds) =>
        productRound(onPostgres, { connections: POOL_SIZE, seconds, next: make(pgTokens) }),
      (seconds) =>
        productRound(onPglite, { connections: POOL_SIZE, seconds, next: make(embeddedTokens) }),
    );
    const r = ratio(rounds);
    met &&= r.median >= 0.3;
    verdicts.push(`${name} ${ratioText(r)}`);
    rows.push(
      sideRows(`${name} on PostgreSQL`, summarizeSides(rounds.baseline), ['node', 'postgres']),
    );
    rows.push(sideRows(`${name} on PGlite`, summarizeSides(rounds.product), ['node', 'postgres']));
  }
  writeReport({
    id: 'embedded',
    title: 'Embedded database (PGlite) against PostgreSQL',
    command: `npm run bench -- embedded${bench.quick ? ' --quick' : ''}`,
    baseline: 'the same product on PostgreSQL, same data set, same requests, alternating',
    target: '≥ 0.3 of PostgreSQL',
    table: {
      head: SIDE_HEAD,
      rows,
    },
    verdict: `ratios ${verdicts.join('; ')}: ${met ? 'target met' : 'target missed'}`,
    notes: [
      `${size.patients.toLocaleString('en-GB')} patients, ${size.messages.toLocaleString('en-GB')} messages in each database; ${SUBJECTS} signed-in patients; ${POOL_SIZE} connections; ${bench.rounds} rounds × ${bench.seconds} s each side.`,
      'On PGlite the whole database runs inside the product process (WebAssembly, one connection), so its CPU is in the Node column; PostgreSQL CPU there is only the other server idling.',
    ],
    quick: bench.quick,
  });
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  embedded.remove();
  await pgData.drop();
}
