import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { idempotencyKeys } from '../../db/schema.js';

/** A send stored under its Idempotency-Key: status 0 while it has not committed. */
export interface StoredResult {
  requestHash: string;
  status: number;
  body: unknown;
}

const keyOf = (chamberId: string, actorKey: string, key: string) =>
  and(
    eq(idempotencyKeys.chamberId, chamberId),
    eq(idempotencyKeys.actorKey, actorKey),
    eq(idempotencyKeys.key, key),
  );

export async function findIdempotentResult(
  db: Db,
  chamberId: string,
  actorKey: string,
  key: string,
): Promise<StoredResult | undefined> {
  const rows = await db
    .select({
      requestHash: idempotencyKeys.requestHash,
      status: idempotencyKeys.responseStatus,
      body: idempotencyKeys.responseBody,
    })
    .from(idempotencyKeys)
    .where(keyOf(chamberId, actorKey, key));
  return rows[0];
}

/**
 * Claims a key inside the sending transaction: a statement (not yet sent) answering one row
 * when claimed. On PostgreSQL a concurrent claim of the same key waits for this transaction
 * and then finds the key taken, so only one send is ever stored.
 */
export function claimIdempotencyKey(
  db: Db,
  r: { chamberId: string; actorKey: string; key: string; requestHash: string; now: Date },
) {
  return db
    .insert(idempotencyKeys)
    .values({
      chamberId: r.chamberId,
      actorKey: r.actorKey,
      key: r.key,
      requestHash: r.requestHash,
      responseStatus: 0,
      responseBody: sql`'null'::jsonb`,
      createdAt: r.now,
    })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
}

/** The send's answer, stored with it: a statement not yet sent (for `writeTogether`). */
export function saveIdempotentResult(
  db: Db,
  r: { chamberId: string; actorKey: string; key: string; status: number; body: unknown },
) {
  return db
    .update(idempotencyKeys)
    .set({ responseStatus: r.status, responseBody: r.body })
    .where(keyOf(r.chamberId, r.actorKey, r.key));
}

/** How long a stored send answers a retry with the same Idempotency-Key. */
export const IDEMPOTENCY_KEY_LIFETIME_MS = 24 * 3_600_000;

/**
 * Deletes stored results older than `before`, at most `limit` rows (the caller repeats while
 * rows were deleted), so one sweep never holds a long transaction. Returns how many went.
 */
export async function deleteIdempotencyKeysBefore(
  db: Db,
  before: Date,
  limit: number,
): Promise<number> {
  // A bounded delete (by ctid) has no query-builder form: raw SQL.
  const r = await db.execute<{ n: number }>(sql`
    with gone as (
      delete from ${idempotencyKeys}
       where ctid in (select ctid from ${idempotencyKeys}
                       where ${idempotencyKeys.createdAt} < ${before.toISOString()}::timestamptz limit ${limit})
      returning 1)
    select count(*)::int as n from gone`);
  return Number(r.rows[0]?.n ?? 0);
}
