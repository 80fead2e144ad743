import { and, count, eq, isNull } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { chambers, roles } from '../../db/schema.js';

export async function findChamber(db: Db, chamberId: string) {
  const rows = await db.select().from(chambers).where(eq(chambers.id, chamberId)).limit(1);
  return rows[0];
}

export async function findChamberByKey(db: Db, key: string) {
  const rows = await db.select().from(chambers).where(eq(chambers.key, key)).limit(1);
  return rows[0];
}

/** The chamber's name as its emails sign it. */
export async function findChamberName(db: Db, chamberId: string): Promise<string | undefined> {
  const rows = await db
    .select({ name: chambers.name })
    .from(chambers)
    .where(eq(chambers.id, chamberId));
  return rows[0]?.name;
}

/** True when the database holds no chamber yet. */
export async function hasNoChambers(db: Db): Promise<boolean> {
  const rows = await db.select({ n: count() }).from(chambers);
  return Number(rows[0]?.n ?? 0) === 0;
}

export async function insertChamber(db: Db, row: typeof chambers.$inferInsert): Promise<void> {
  await db.insert(chambers).values(row);
}

export async function findBuiltInRole(db: Db, chamberId: string) {
  const rows = await db
    .select()
    .from(roles)
    .where(and(eq(roles.chamberId, chamberId), eq(roles.isBuiltIn, true), isNull(roles.deletedAt)))
    .limit(1);
  return rows[0];
}
