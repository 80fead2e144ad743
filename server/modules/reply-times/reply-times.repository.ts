import { eq } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { chambers } from '../../db/schema.js';
import type { ClinicRules } from './clinic-rules.js';

/** A chamber's reply times and safety settings (rules 12 to 14), by id or clinic code. */
export async function findClinicRules(
  db: Db,
  by: { id: string } | { key: string },
): Promise<(ClinicRules & { chamberId: string; patientAttachmentsEnabled: boolean }) | undefined> {
  const rows = await db
    .select({
      chamberId: chambers.id,
      name: chambers.name,
      timeZone: chambers.timeZone,
      officeHours: chambers.officeHours,
      holidays: chambers.clinicHolidays,
      replyWithinWorkingHours: chambers.replyWithinWorkingHours,
      outOfHoursMessage: chambers.outOfHoursMessage,
      redFlagPhrases: chambers.redFlagPhrases,
      emergencyAdvice: chambers.emergencyAdvice,
      clinicPhone: chambers.clinicPhone,
      patientAttachmentsEnabled: chambers.patientAttachmentsEnabled,
    })
    .from(chambers)
    .where('id' in by ? eq(chambers.id, by.id) : eq(chambers.key, by.key))
    .limit(1);
  return rows[0];
}
