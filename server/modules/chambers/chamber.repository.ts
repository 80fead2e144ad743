import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { chambers, roles } from '../../db/schema.js';

export async function findChamber(db: Db, chamberId: string) {
  const rows = await db.select().from(chambers).where(eq(chambers.id, chamberId)).limit(1);
  return rows[0];
}

export async function findBuiltInRole(db: Db, chamberId: string) {
  const rows = await db
    .select()
    .from(roles)
    .where(and(eq(roles.chamberId, chamberId), eq(roles.isBuiltIn, true), isNull(roles.deletedAt)))
    .limit(1);
  return rows[0];
}
