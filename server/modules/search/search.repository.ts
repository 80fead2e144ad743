import { aliasedTable, eq, sql, type SQL } from 'drizzle-orm';
import { SEARCH_CONFIG } from '../../../common/search-text.js';
import type { Db } from '../../db/connect.js';
import { chambers, conversations, messages, patients, users } from '../../db/schema.js';
import { authorName, patientName } from '../messaging/messaging.repository.js';
import { maySeeSql, type Reader } from '../messaging/visibility.policy.js';

/**
 * Search (rule 16) ranks the most recent matches only: the newest WINDOW messages the reader
 * may see that match, then best first among them. A common word then costs a short walk of the
 * messages' seq index backwards, a rare one a GIN look-up (docs/search.md).
 */
export const SEARCH_WINDOW = 200;

type MessageRecord = typeof messages.$inferSelect;

/** The messages searched, apart from the page's own `messages` read for the results. */
const FOUND = 'found_message';
const found = aliasedTable(messages, FOUND);

/** What one search asks for; `words` are already folded (common/search-text.ts). */
export interface SearchFilter {
  chamberId: string;
  reader: Reader;
  words: string;
  patientId?: string;
  /**
   * The instants the days asked for start and end (the first day's local midnight and the one
   * after the last day), given as values so that the planner sees the range it reads.
   */
  createdFrom?: Date;
  createdBefore?: Date;
  /** The window: matches with a seq below this (the first window has none). */
  before?: number;
  /** Where the previous page of the window stopped, in the window's order. */
  after?: { rank: number; seq: number };
  pageSize: number;
  /**
   * The words are rare (`wordsAreRare`): read every match from the GIN index, then take the
   * newest. Else the seq index is walked newest first until the window is full.
   */
  rare?: boolean;
}

/**
 * Below this share of messages, a search reads its matches from the GIN index; above it, a
 * walk of the newest messages finds a window of matches sooner. The two cost about the same
 * here (BENCHMARKS.md, search).
 */
export const RARE_SHARE = 0.001;

/**
 * Whether a search's words are rare, from PostgreSQL's own statistics of the search vectors
 * (`pg_stats.most_common_elems`): a word outside the most common elements is rare, and words
 * that are all common are rare together when their shares multiply below RARE_SHARE. The
 * planner alone cannot tell: for any word outside that list it guesses 0.5 % of rows, and
 * walks 5 million messages for a word that is in one (BENCHMARKS.md, search). No statistics
 * (a new or small database): rare, which is right for a small table.
 */
export async function wordsAreRare(db: Db, words: string): Promise<boolean> {
  const result = await db.execute<{ lexeme: string; share: number | string | null }>(sql`
    select w.lexeme,
           (select f.share
              from unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) as f(elem, share)
             where f.elem = w.lexeme) as share
      from unnest(tsvector_to_array(to_tsvector(${sql.raw(`'${SEARCH_CONFIG}'`)}, ${words}))) as w(lexeme)
      left join pg_stats s
        on s.schemaname = current_schema() and s.tablename = 'messages' and s.attname = 'search_vector'`);
  if (result.rows.length === 0) return true;
  let share = 1;
  for (const row of result.rows) {
    if (row.share === null) return true;
    share *= Number(row.share);
  }
  return share < RARE_SHARE;
}

/** One message found, with what its result shows. */
export type SearchRow = Pick<
  MessageRecord,
  | 'id'
  | 'seq'
  | 'conversationId'
  | 'patientId'
  | 'authorKind'
  | 'authorRoleName'
  | 'text'
  | 'createdAt'
> & {
  rank: number;
  authorName: string;
  patientName: string;
};

/** A page of one window, and what the window holds. */
export interface SearchPage {
  rows: SearchRow[];
  /** Matches in the window, plus one when an older window follows (at most WINDOW + 1). */
  found: number;
  newestSeq: number | null;
  oldestSeq: number | null;
}

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** The words as a text search query: plain words, never query syntax. */
const tsquery = (words: string): SQL =>
  sql`plainto_tsquery(${sql.raw(`'${SEARCH_CONFIG}'`)}, ${words})`;

/**
 * The statement of a search: the window (the newest WINDOW + 1 visible matches), its page in
 * rank order after the cursor (one row more, to know whether the window goes on), and for the
 * page's messages what a result shows. Its plan must be made for these words (see
 * `planForTheseValues`): a generic plan cannot tell a common word (walk the seq index
 * backwards) from a rare one (the GIN index).
 */
export function searchStatement(f: SearchFilter): SQL {
  const query = tsquery(f.words);
  const m = found;
  const conditions: SQL[] = [
    sql`${m.chamberId} = ${f.chamberId}::uuid`,
    // An empty query (stop words, punctuation) folds to false when planned: nothing is read.
    sql`numnode(${query}) > 0`,
    maySeeSql(f.reader, m),
  ];
  if (f.before !== undefined) conditions.push(sql`${m.seq} < ${f.before}`);
  if (f.createdFrom !== undefined)
    conditions.push(sql`${m.createdAt} >= ${f.createdFrom.toISOString()}::timestamptz`);
  if (f.createdBefore !== undefined)
    conditions.push(sql`${m.createdAt} < ${f.createdBefore.toISOString()}::timestamptz`);
  const newest = (where: SQL[], rare = false) =>
    rare
      ? // Every match, from the GIN index (OFFSET 0 keeps the planner from turning this into a
        // walk of the seq index), then the newest of them. The query is a sub-select, which the
        // planner costs the same for every word: this form then has one plan for all words,
        // which PostgreSQL keeps after five runs instead of planning each search (0.4 ms).
        sql`
      select seq, id, rank from (
        select ${m.seq} as seq, ${m.id} as id, ts_rank_cd(${m.searchVector}, ${query}) as rank
          from ${messages} as ${sql.identifier(FOUND)}
         where ${sql.join([...where, sql`${m.searchVector} @@ (select ${query})`], sql` and `)}
        offset 0) every_match
       order by seq desc
       limit ${sql.raw(String(SEARCH_WINDOW + 1))}`
      : sql`
      select ${m.seq} as seq, ${m.id} as id, ts_rank_cd(${m.searchVector}, ${query}) as rank
        from ${messages} as ${sql.identifier(FOUND)}
       where ${sql.join([...where, sql`${m.searchVector} @@ ${query}`], sql` and `)}
       order by ${m.seq} desc
       limit ${sql.raw(String(SEARCH_WINDOW + 1))}`;
  const patientId = f.reader.kind === 'patient' ? f.reader.patientId : f.patientId;
  // One patient's messages: the newest matches of each of their conversations (by
  // messages_conversation_idx), merged. Bounded by the patient's own messages, whatever the
  // planner guesses of a patient it has no statistics for.
  const window =
    patientId === undefined
      ? newest(conditions, f.rare)
      : sql`
      select one.seq, one.id, one.rank
        from ${conversations}
        cross join lateral (${newest([
          ...conditions,
          sql`${m.conversationId} = ${conversations.id}`,
          sql`${m.patientId} = ${patientId}::uuid`,
        ])}) one
       where ${conversations.chamberId} = ${f.chamberId}::uuid
         and ${conversations.patientId} = ${patientId}::uuid
       order by one.seq desc
       limit ${sql.raw(String(SEARCH_WINDOW + 1))}`;
  const after = f.after
    ? sql`where (rank, seq) < (${String(f.after.rank)}::real, ${f.after.seq}::bigint)`
    : sql``;

  return sql`
    with found as (${window}
    ),
    win as (select seq, id, rank from found order by seq desc limit ${sql.raw(String(SEARCH_WINDOW))}),
    stats as (
      select (select count(*) from found)::int as found, min(seq) as oldest, max(seq) as newest
        from win
    ),
    page as (
      select seq, id, rank
        from win ${after}
       order by rank desc, seq desc
       limit ${sql.raw(String(f.pageSize + 1))}
    )
    select stats.found, stats.oldest, stats.newest,
           page.seq, page.rank, ${messages.id} as id, ${messages.conversationId} as conversation_id,
           ${messages.patientId} as patient_id, ${messages.authorKind} as author_kind,
           ${messages.authorRoleName} as author_role_name, ${authorName} as author_name,
           ${patientName} as patient_name, ${messages.text} as text, ${messages.createdAt} as created_at
      from stats
      left join page on true
      left join ${messages} on ${messages.chamberId} = ${f.chamberId}::uuid and ${messages.id} = page.id
      left join ${patients} on ${patients.chamberId} = ${messages.chamberId} and ${patients.id} = ${messages.patientId}
      left join ${users} on ${users.chamberId} = ${messages.chamberId} and ${users.id} = ${messages.authorUserId}
     order by page.rank desc, page.seq desc`;
}

/**
 * Makes the transaction's statements planned for their own values. The product prepares every
 * statement with parameters once per connection (`db/connect.ts`), and after five runs
 * PostgreSQL may keep one generic plan for all values: for a search that is the wrong plan for
 * every word but the ones it was costed with (measured: a patient's search 30 times slower). So
 * a search runs in a transaction that asks for a plan per run (its planning costs about 1 ms).
 */
export async function planForTheseValues(db: Db): Promise<void> {
  await db.execute(sql`set local plan_cache_mode = force_custom_plan`);
}

/** Runs a search (see `searchStatement`): one statement, one round trip. */
export async function searchMessages(db: Db, f: SearchFilter): Promise<SearchPage> {
  const result = await db.execute<{
    found: number | string;
    oldest: number | string | null;
    newest: number | string | null;
    seq: number | string | null;
    rank: number | string | null;
    id: string | null;
    conversation_id: string;
    patient_id: string;
    author_kind: MessageRecord['authorKind'];
    author_role_name: string | null;
    author_name: string | null;
    patient_name: string;
    text: string;
    created_at: Date | string;
  }>(searchStatement(f));
  const first = result.rows[0];
  const rows: SearchRow[] = result.rows
    .filter((r) => r.id !== null && r.seq !== null)
    .map((r) => ({
      id: r.id!,
      seq: num(r.seq),
      rank: num(r.rank),
      conversationId: r.conversation_id,
      patientId: r.patient_id,
      authorKind: r.author_kind,
      authorRoleName: r.author_role_name,
      authorName: r.author_name ?? '',
      patientName: r.patient_name,
      text: r.text,
      createdAt: new Date(r.created_at),
    }));
  return {
    rows,
    found: first ? num(first.found) : 0,
    newestSeq: numOrNull(first?.newest),
    oldestSeq: numOrNull(first?.oldest),
  };
}

/**
 * `ts_headline` of each text, in order. The texts come folded, with `<`, `>` made spaces (the
 * presenter's `headlineSource`): folding them in SQL, `translate()` with the 254 folded letters
 * costs about 1 ms per 1,000 characters of text.
 */
export async function headlines(
  db: Db,
  words: string,
  texts: string[],
  options: string,
): Promise<string[]> {
  if (texts.length === 0) return [];
  const result = await db.execute<{ headline: string }>(sql`
    select ts_headline(${sql.raw(`'${SEARCH_CONFIG}'`)}, x.text, ${tsquery(words)}, ${options}) as headline
      from unnest(array[${sql.join(
        texts.map((t) => sql`${t}`),
        sql`, `,
      )}]::text[]) with ordinality as x(text, n)
     order by x.n`);
  return result.rows.map((r) => r.headline);
}

/** The chamber's time zone (rule 7), in which search dates are days. */
export async function chamberTimeZone(db: Db, chamberId: string): Promise<string | undefined> {
  const rows = await db
    .select({ timeZone: chambers.timeZone })
    .from(chambers)
    .where(eq(chambers.id, chamberId))
    .limit(1);
  return rows[0]?.timeZone;
}
