import { sql } from 'drizzle-orm';
import { uuidArrayParam } from './arrays.js';
import { coalescerPer } from './coalesce.js';
import type { Db } from './connect.js';

/**
 * The order of live events (docs/decisions/0006-no-chamber-wide-lock.md). Every event row
 * records the transaction that wrote it (`live_events.xid`), and readers take events in
 * (xid, seq) order and only below `pg_snapshot_xmin`, the oldest transaction still open: a
 * reader that has passed an event has seen every event that can come before it, without any
 * lock shared by the chamber. A conversation's own writes are serialised by its row lock.
 */

/** The channel every app process LISTENs on: a chamber id (new events), or a typing signal. */
export const LIVE_EVENTS_CHANNEL = 'portal_events';

/** The channel job workers LISTEN on: a job that should run at once was committed. */
export const JOBS_CHANNEL = 'portal_jobs';

/**
 * Wakes every app process's live events for a chamber (and, with `jobs`, every job worker),
 * after the transaction that wrote the events committed, in a statement of its own.
 *
 * Not inside that transaction: PostgreSQL serialises the commits of all transactions that
 * NOTIFY, cluster-wide, with a lock it holds until their commit record is on disk (async.c,
 * PreCommit_Notify). A send that notified in its own transaction therefore waited for every
 * other notifying commit's flush: the benchmarks saw two thirds of backends waiting on
 * `Lock:object`. A NOTIFY alone writes no WAL, so here the lock is held for microseconds.
 *
 * Best effort: if the process stops (or the database goes away) between the commit and this,
 * readers still find the events at their safety-net poll (`PORTAL_EVENTS_POLL_MS`) and the
 * worker its jobs at its next round (`PORTAL_WORKER_POLL_MS`). Never throws.
 */
export async function wakeAfterCommit(
  db: Db,
  chamberId: string,
  options: { jobs?: boolean } = {},
): Promise<void> {
  try {
    await wakes(db).add({ chamberId, jobs: options.jobs === true });
  } catch {
    // The polls above deliver what this wake-up would have hurried.
  }
}

/**
 * The wake-ups of sends that committed at about the same time go in one statement, each
 * chamber's once (`Coalescer`): on a busy server that is one round trip for many sends.
 */
const wakes = coalescerPer<Db, { chamberId: string; jobs: boolean }>(async (db, items) => {
  const chambers = [...new Set(items.map((i) => i.chamberId))];
  const jobs = items.some((i) => i.jobs);
  await db.execute(sql`
    select pg_notify(${LIVE_EVENTS_CHANNEL}, c::text) from unnest(${uuidArrayParam(chambers)}) c
    ${jobs ? sql`union all select pg_notify(${JOBS_CHANNEL}, '')` : sql``}`);
});

/**
 * Takes the conversation's row lock until the transaction ends. Writes to one conversation (a
 * message, its state) then follow each other: a message's seq is drawn under the lock, so a
 * conversation's messages commit in seq order, and a check of the conversation made after this
 * (rule 11's "a newer message arrived") holds until commit. Other conversations of the chamber
 * never wait for it.
 */
export async function lockConversation(
  db: Db,
  chamberId: string,
  conversationId: string,
): Promise<void> {
  await db.execute(sql`
    select 1 from conversations
     where chamber_id = ${chamberId}::uuid and id = ${conversationId}::uuid
       for no key update`);
}
