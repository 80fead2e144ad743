import { sql } from 'drizzle-orm';
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
 * Queues the wake-up of every app process's live events: PostgreSQL delivers a NOTIFY only
 * when its transaction commits (and drops it on rollback).
 */
export async function notifyOnCommit(db: Db, chamberId: string): Promise<void> {
  await db.execute(sql`select pg_notify(${LIVE_EVENTS_CHANNEL}, ${chamberId})`);
}

/**
 * Takes the conversation's row lock until the transaction ends, and queues the live-events
 * wake-up in the same statement. Writes to one conversation (a message, its state) then follow
 * each other: a message's seq is drawn under the lock, so a conversation's messages commit in
 * seq order, and a check of the conversation made after this (rule 11's "a newer message
 * arrived") holds until commit. Other conversations of the chamber never wait for it.
 */
export async function lockConversationAndNotifyOnCommit(
  db: Db,
  chamberId: string,
  conversationId: string,
): Promise<void> {
  await db.execute(sql`
    select pg_notify(${LIVE_EVENTS_CHANNEL}, ${chamberId})
      from conversations
     where chamber_id = ${chamberId}::uuid and id = ${conversationId}::uuid
       for no key update`);
}
