import { sql, type SQL } from 'drizzle-orm';
import { hashToken } from '../server/lib/tokens.js';
import { againstPgbench, recordRequest, type Request } from './lib/against-pgbench.js';
import { datasetIds, openSessions, postgresDataset } from './lib/dataset.js';
import { coresText, lockWaitText, watchLoad } from './lib/lock-waits.js';
import { percentile } from './lib/measure.js';
import {
  inProcessApp,
  pgbenchRound,
  POOL_SIZE,
  productRound,
  startProduct,
} from './lib/product.js';
import { log, parseOptions, writeReport, type Report } from './lib/scenario.js';

// Search (rule 16): a staff user of the built-in role (to which every generated message is
// shared) searches the whole chamber, `GET /api/v1/search?q=<word>`, against pgbench replaying
// exactly the SQL the handler sends. Every generated text is "Message <k>: about the
// appointment on day <d>, please call the clinic if anything changes.", so a common word
// ("appointment", "clinic") is in every message and a message number with as many digits as
// the data set's last one is in exactly one (no longer number starts with it, so even a prefix
// search finds only that message; day numbers stop at 28).

const bench = parseOptions();
const READERS = bench.quick ? 4 : 8;
const COMMON = ['appointment', 'clinic'];
const M = bench.size.messages;
const lowest = 10 ** (String(M).length - 1);
/** One rare word per reader, spread over the message numbers of the largest width. */
const RARE = Array.from({ length: READERS }, (_, i) =>
  String(Math.max(29, lowest + Math.floor(((i + 0.5) * (M - lowest)) / READERS))),
);

const data = await postgresDataset(bench.size, log);
try {
  const recorder = await inProcessApp(data.url);
  const db = recorder.database.db;
  const ids = await datasetIds(db, bench.size.patients);
  const staff = ids.staffIds.slice(0, READERS);
  const tokens = await openSessions(db, ids.chamberId, 'staff', staff);
  const search =
    (words: string[]) =>
    (subject: number): Request => ({
      method: 'GET',
      url: `/api/v1/search?q=${encodeURIComponent(words[subject % words.length]!)}`,
      headers: { cookie: `staff_session=${tokens[subject % tokens.length]}` },
    });
  const common = search(Array.from({ length: READERS }, (_, i) => COMMON[i % COMMON.length]!));
  const rare = search(RARE);

  // What the words really match, as lexemes (a number also appears inside longer numbers and
  // as a day), and what each search answers.
  for (const word of RARE) {
    const n = await db.execute<{ n: number }>(
      sql`select count(*)::int as n from messages where search_vector @@ plainto_tsquery('english', ${word})`,
    );
    if (n.rows[0]!.n !== 1) throw new Error(`rare word ${word} is in ${n.rows[0]!.n} messages`);
  }
  const answers = { common: [] as string[], rare: [] as string[] };
  // A request writes its session's last-seen time when that is a few seconds old, so a slow
  // search would add that statement to one recording and not to the other: while recording,
  // the sessions were last seen in the future, and are put back at now afterwards.
  const seen = async (at: SQL) => {
    for (const token of tokens)
      await db.execute(
        sql`update sessions set last_seen_at = ${at} where token_hash = ${hashToken(token)}`,
      );
  };
  await seen(sql`now() + interval '1 hour'`);
  const record = async (label: 'common' | 'rare', make: (subject: number) => Request) => {
    const scripts: string[] = [];
    let statements: Awaited<ReturnType<typeof recordRequest>>['statements'] = [];
    for (let i = 0; i < tokens.length; i += 1) {
      const res = await recorder.app.inject(make(i));
      if (res.statusCode !== 200)
        throw new Error(`${label} search answered ${res.statusCode}: ${res.body}`);
      const body = res.json<{ results: unknown[]; nextCursor: string | null }>();
      if (i < 2)
        answers[label].push(
          `${make(i).url}: ${body.results.length} ${body.results.length === 1 ? 'result' : 'results'} on the first page${body.nextCursor ? ', more behind a cursor' : ''}`,
        );
      if (label === 'rare' && body.results.length !== 1)
        throw new Error(`rare search ${make(i).url} found ${body.results.length} results`);
      const one = await recordRequest(recorder, 1, () => make(i), 200);
      scripts.push(...one.scripts);
      if (i === 0) statements = one.statements;
    }
    return withHeadlineMarkers({ scripts, statements });
  };
  // BENCH_SEARCH_ONLY=common (or rare) runs one of the two, e.g. to repeat it on its own.
  const only = process.env.BENCH_SEARCH_ONLY;
  const wanted = (label: 'common' | 'rare') => !only || only === label;
  const commonSql = wanted('common') ? await record('common', common) : undefined;
  const rareSql = wanted('rare') ? await record('rare', rare) : undefined;
  await seen(sql`now()`);
  const sizes = await indexSizes(db);
  await recorder.close();

  const server = await startProduct(data.url);
  const notes = (label: 'common' | 'rare') => [
    `${tokens.length} staff users of the built-in role, to which every generated message is shared, each with a session: each may see all ${M.toLocaleString('en-GB')} generated messages.`,
    ...answers[label],
    sizes,
  ];
  try {
    for (const [label, what, make, sqlOf] of [
      ['common', `a common word (${COMMON.join(', ')}: in every message)`, common, commonSql],
      ['rare', `a rare word (a message number: in one message)`, rare, rareSql],
    ] as const) {
      if (!sqlOf) continue;
      let n = 0;
      const report = await againstPgbench({
        bench,
        id: `search-${label}`,
        title: `Search: a staff user searches the chamber for ${what}`,
        command: 'npm run bench -- search',
        databaseUrl: data.url,
        server,
        ...sqlOf,
        request: () => make((n += 1)),
        expect: 200,
        minRatio: 0.6,
        maxHalfP99: 50,
        notes: notes(label),
        watchHalfRate: false,
      });
      let m = 0;
      const load = await busyAtHalfRate(report, server, sqlOf.scripts, () => make((m += 1)));
      writeReport({ ...withoutTime(report), notes: [...report.notes, load] });
    }
  } finally {
    await server.stop();
  }
} finally {
  await data.drop();
}

/**
 * The handler makes fresh `ts_headline` markers for every request (random text no message
 * holds), so the two recordings differ in the options string and the script generator would
 * send a made-up key there, which `ts_headline` refuses. The replay makes fresh markers of the
 * same length per transaction instead, with the recorded options after them.
 */
function withHeadlineMarkers(recorded: Awaited<ReturnType<typeof recordRequest>>) {
  const options = recorded.statements
    .flatMap((s) => s.values)
    .find((v): v is string => typeof v === 'string' && v.startsWith('StartSel='));
  if (!options) throw new Error('no ts_headline options in the recorded statements');
  const rest = options.replace(/^StartSel=\w+, StopSel=\w+/, '');
  if (rest.includes(':') || rest.includes("'")) throw new Error(`unexpected options ${options}`);
  const marker = (tag: string) => `left(md5(:client_id || '-' || :r || '-${tag}'), 16)`;
  const scripts = recorded.scripts.map((script) => {
    const variable = /ts_headline\([^;]*?, :(f\d+)\)/.exec(script)?.[1];
    if (!variable) throw new Error(`no ts_headline options variable in the script:\n${script}`);
    const generator = new RegExp(
      `'k' \\|\\| :client_id \\|\\| '-' \\|\\| :r \\|\\| '-\\d+' as ${variable}\\b`,
    );
    if (!generator.test(script)) throw new Error(`no generator for :${variable}:\n${script}`);
    return script.replace(
      generator,
      `'StartSel=' || ${marker('start')} || ', StopSel=' || ${marker('stop')} || '${rest}' as ${variable}`,
    );
  });
  return { ...recorded, scripts };
}

function ms2(v: number): string {
  return v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

function withoutTime(report: Report): Omit<Report, 'measuredAt'> {
  const { measuredAt: _, ...rest } = report;
  return rest;
}

/** The size the search adds: the GIN index and the stored search vectors. */
async function indexSizes(db: Awaited<ReturnType<typeof inProcessApp>>['database']['db']) {
  const r = await db.execute<{
    idx: string;
    vectors: string;
    per_row: string;
    tbl: string;
    text_bytes: string;
  }>(sql`
    select pg_size_pretty(pg_relation_size('messages_search_idx')) as idx,
           pg_size_pretty(sum(pg_column_size(search_vector))) as vectors,
           round(avg(pg_column_size(search_vector))) as per_row,
           pg_size_pretty(pg_table_size('messages')) as tbl,
           pg_size_pretty(sum(pg_column_size(text))) as text_bytes
    from messages`);
  const s = r.rows[0]!;
  return `Size the search adds (\`pg_relation_size('messages_search_idx')\`, \`sum(pg_column_size(search_vector))\` over messages): the GIN index ${s.idx}; the stored search vectors ${s.vectors} (${s.per_row} bytes a message), inside a messages table of ${s.tbl} (\`pg_table_size\`; its texts take ${s.text_bytes}).`;
}

/**
 * A further round at the half rate with the machine watched: cores busy (product, this
 * database's backends, the load generator) and the share of active backends of this database
 * waiting on a lock, sampled every 100 ms from pg_stat_activity (bench/lib/lock-waits.ts).
 */
async function busyAtHalfRate(
  report: Report,
  server: Awaited<ReturnType<typeof startProduct>>,
  scripts: string[],
  next: () => Request,
): Promise<string> {
  const halfRate = Math.max(1, Math.round(Number(report.table.rows[1]![1]) / 2));
  const watch = await watchLoad(data.url, server.pids);
  let watched;
  try {
    watched = await watch.measure(() =>
      productRound(server, {
        connections: POOL_SIZE,
        seconds: bench.seconds,
        rate: halfRate,
        next: () => {
          const r = next();
          return { method: r.method, path: r.url, headers: r.headers, expect: 200 };
        },
      }),
    );
  } finally {
    await watch.close();
  }
  const { result: round, cores, waits } = watched;
  // The same SQL replayed by pgbench at the same rate: the tail the database work alone has.
  const replay = await pgbenchRound({
    url: data.url,
    scripts,
    clients: POOL_SIZE,
    seconds: bench.seconds,
    rate: halfRate,
  });
  return `At the half rate (${halfRate}/s, a further ${bench.seconds} s round, ${round.ops} answers): ${coresText(cores)}; ${lockWaitText(waits)}. Product p50 / p99 in that round ${ms2(percentile(round.latencies, 50))} / ${ms2(percentile(round.latencies, 99))} ms; pgbench replaying the same SQL at the same rate right after: ${ms2(percentile(replay.latencies, 50))} / ${ms2(percentile(replay.latencies, 99))} ms (${replay.ops} transactions).`;
}
