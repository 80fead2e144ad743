import { eq } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { chambers } from '../../db/schema.js';

/** The settings a chamber's admins change on the Configuration screens. */
export type ChamberSettings = Partial<
  Pick<
    typeof chambers.$inferInsert,
    | 'patientPortalEnabled'
    | 'roleForNewMessagesId'
    | 'sharedItemsEmailEnabled'
    | 'timeZone'
    | 'patientAttachmentsEnabled'
    | 'officeHours'
    | 'clinicHolidays'
    | 'replyWithinWorkingHours'
    | 'outOfHoursMessage'
    | 'escalationRoleId'
    | 'redFlagPhrases'
    | 'emergencyAdvice'
    | 'clinicPhone'
    | 'requireStaffTwoStep'
  >
>;

const SETTING_KEYS = [
  'patientPortalEnabled',
  'roleForNewMessagesId',
  'sharedItemsEmailEnabled',
  'timeZone',
  'patientAttachmentsEnabled',
  'officeHours',
  'clinicHolidays',
  'replyWithinWorkingHours',
  'outOfHoursMessage',
  'escalationRoleId',
  'redFlagPhrases',
  'emergencyAdvice',
  'clinicPhone',
  'requireStaffTwoStep',
] as const satisfies readonly (keyof ChamberSettings)[];

/** Writes the settings given (and no other column); one left undefined keeps its value. */
export async function updateChamberSettings(
  db: Db,
  chamberId: string,
  changes: ChamberSettings,
  now: Date,
): Promise<void> {
  const set: ChamberSettings & { updatedAt: Date } = { updatedAt: now };
  for (const key of SETTING_KEYS) {
    if (changes[key] !== undefined) Object.assign(set, { [key]: changes[key] });
  }
  await db.update(chambers).set(set).where(eq(chambers.id, chamberId));
}
