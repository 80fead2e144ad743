import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { portalAccounts } from '../../db/schema.js';

/** Moves the patient's portal account to a state (Active, Disabled, Invited again). */
export async function setPortalAccountState(
  db: Db,
  chamberId: string,
  patientId: string,
  changes: Pick<typeof portalAccounts.$inferInsert, 'state' | 'failedSignIns'>,
  now: Date,
): Promise<void> {
  await db
    .update(portalAccounts)
    .set({ ...changes, updatedAt: now })
    .where(and(eq(portalAccounts.chamberId, chamberId), eq(portalAccounts.patientId, patientId)));
}

export async function insertPortalAccount(
  db: Db,
  row: typeof portalAccounts.$inferInsert,
): Promise<void> {
  await db.insert(portalAccounts).values(row);
}
