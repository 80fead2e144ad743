import { eq } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { chambers } from '../../db/schema.js';

/** The settings a chamber's admins change on the Settings screen. */
export type ChamberSettings = Partial<
  Pick<
    typeof chambers.$inferInsert,
    | 'patientPortalEnabled'
    | 'roleForNewMessagesId'
    | 'sharedItemsEmailEnabled'
    | 'timeZone'
    | 'patientAttachmentsEnabled'
  >
>;

/** Writes the settings given (and no other column); one left undefined keeps its value. */
export async function updateChamberSettings(
  db: Db,
  chamberId: string,
  changes: ChamberSettings,
  now: Date,
): Promise<void> {
  const {
    patientPortalEnabled,
    roleForNewMessagesId,
    sharedItemsEmailEnabled,
    timeZone,
    patientAttachmentsEnabled,
  } = changes;
  await db
    .update(chambers)
    .set({
      patientPortalEnabled,
      roleForNewMessagesId,
      sharedItemsEmailEnabled,
      timeZone,
      patientAttachmentsEnabled,
      updatedAt: now,
    })
    .where(eq(chambers.id, chamberId));
}
