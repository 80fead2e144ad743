import { sql } from 'drizzle-orm';
import type { Db } from './connect.js';

/**
 * The chamber's event order. Every write that logs a live event (a message, a change of a
 * conversation) takes it, so the events of one chamber commit in the order of their seq and
 * a live-events reader that has passed seq N has seen every earlier event of the chamber.
 */

/** The channel every app process LISTENs on: a chamber id (new events), or a typing signal. */
export const LIVE_EVENTS_CHANNEL = 'portal_events';

/**
 * Takes the chamber's event order until the transaction ends, and queues the wake-up of every
 * app process's live events: PostgreSQL delivers a NOTIFY only when its transaction commits
 * (and drops it on rollback), so the wake-up rides in this statement for free.
 */
export async function lockEventOrderAndNotifyOnCommit(db: Db, chamberId: string): Promise<void> {
  await db.execute(
    sql`select pg_advisory_xact_lock(hashtextextended(${chamberId}, 0)), pg_notify(${LIVE_EVENTS_CHANNEL}, ${chamberId})`,
  );
}
