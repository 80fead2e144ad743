import { sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';

export interface StoredResult {
  requestHash: string;
  status: number;
  body: unknown;
}

export async function findIdempotentResult(
  db: Db,
  chamberId: string,
  actorKey: string,
  key: string,
): Promise<StoredResult | undefined> {
  const r = await db.execute<{
    request_hash: string;
    response_status: number;
    response_body: unknown;
  }>(sql`
    select request_hash, response_status, response_body from idempotency_keys
     where chamber_id = ${chamberId}::uuid and actor_key = ${actorKey} and key = ${key}`);
  const row = r.rows[0];
  if (!row) return undefined;
  const body =
    typeof row.response_body === 'string' ? JSON.parse(row.response_body) : row.response_body;
  return { requestHash: row.request_hash, status: Number(row.response_status), body };
}

/**
 * Claims a key inside the sending transaction. On PostgreSQL a concurrent claim of the same key
 * waits for this transaction and then finds the key taken, so only one send is ever stored.
 */
export async function claimIdempotencyKey(
  db: Db,
  r: { chamberId: string; actorKey: string; key: string; requestHash: string; now: Date },
): Promise<boolean> {
  const res = await db.execute<{ key: string }>(sql`
    insert into idempotency_keys (chamber_id, actor_key, key, request_hash, response_status, response_body, created_at)
    values (${r.chamberId}::uuid, ${r.actorKey}, ${r.key}, ${r.requestHash}, 0, 'null'::jsonb, ${r.now.toISOString()}::timestamptz)
    on conflict do nothing
    returning key`);
  return res.rows.length === 1;
}

export async function saveIdempotentResult(
  db: Db,
  r: { chamberId: string; actorKey: string; key: string; status: number; body: unknown },
): Promise<void> {
  await db.execute(sql`
    update idempotency_keys set response_status = ${r.status}, response_body = ${JSON.stringify(r.body)}::jsonb
     where chamber_id = ${r.chamberId}::uuid and actor_key = ${r.actorKey} and key = ${r.key}`);
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
  const r = await db.execute<{ n: number }>(sql`
    with gone as (
      delete from idempotency_keys
       where ctid in (select ctid from idempotency_keys
                       where created_at < ${before.toISOString()}::timestamptz limit ${limit})
      returning 1)
    select count(*)::int as n from gone`);
  return Number(r.rows[0]?.n ?? 0);
}
