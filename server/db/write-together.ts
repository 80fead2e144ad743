import { sql, type SQLWrapper } from 'drizzle-orm';
import type { Db } from './connect.js';

/**
 * Sends independent writes of one transaction as one statement: each becomes a data-modifying
 * `WITH` part, so they cost one round trip to PostgreSQL instead of one each. Every part runs
 * exactly once, on the same snapshot, and its constraints are checked at the statement's end.
 * The parts must not depend on each other's rows (none sees another's changes) nor change the
 * same row twice. Absent parts (`null`) are skipped; a single part is sent as it is.
 */
export async function writeTogether(
  db: Db,
  parts: readonly (SQLWrapper | null | undefined | false)[],
): Promise<void> {
  const present = parts.filter((p): p is SQLWrapper => !!p);
  if (present.length === 0) return;
  if (present.length === 1) {
    await db.execute(present[0]!.getSQL());
    return;
  }
  await db.execute(
    sql`with ${sql.join(
      present.map((p, i) => sql`${sql.raw(`w${i}`)} as (${p.getSQL()})`),
      sql`, `,
    )} select 1`,
  );
}
