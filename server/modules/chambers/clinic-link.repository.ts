import { eq } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { chambers } from '../../db/schema.js';

/** The clinic as its emails name it and link to it: its name and its code (the chamber's key). */
export async function findClinicOfChamber(
  db: Db,
  chamberId: string,
): Promise<{ key: string; name: string } | undefined> {
  const rows = await db
    .select({ key: chambers.key, name: chambers.name })
    .from(chambers)
    .where(eq(chambers.id, chamberId));
  return rows[0];
}
