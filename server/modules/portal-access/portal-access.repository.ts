import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { chambers, chargeBands, patients, portalAccounts } from '../../db/schema.js';
import { patientAccount, patientBand, patientChamber } from '../../db/joins.js';
import type { EligibilityFacts } from './portal-access.policy.js';

/** Rule 1's facts as selected columns (`chambers`, `charge_bands`, `portal_accounts` joined). */
export const eligibilityFactsFields = {
  portalEnabled: chambers.patientPortalEnabled,
  accountState: portalAccounts.state,
  bandOnlineAccess: chargeBands.onlineAccess,
  bandAllowsMessaging: chargeBands.allowOnlineMessaging,
};

/** Rule 1's facts of one patient, or undefined when the patient is not of this chamber. */
export async function findEligibilityFacts(
  db: Db,
  chamberId: string,
  patientId: string,
): Promise<EligibilityFacts | undefined> {
  const rows = await db
    .select(eligibilityFactsFields)
    .from(patients)
    .innerJoin(chambers, patientChamber)
    .innerJoin(chargeBands, patientBand)
    .leftJoin(portalAccounts, patientAccount)
    .where(and(eq(patients.chamberId, chamberId), eq(patients.id, patientId)))
    .limit(1);
  return rows[0];
}
