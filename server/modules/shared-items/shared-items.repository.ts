import { and, eq, sql, type SQL } from 'drizzle-orm';
import { uuidArrayParam } from '../../db/arrays.js';
import type { Db } from '../../db/connect.js';
import { chambers, chargeBands, patients, portalAccounts } from '../../db/schema.js';
import { patientAccount, patientBand, patientChamber } from '../../db/joins.js';
import { hasPortalAccessSql } from '../portal-access/portal-access.policy.js';

export interface SharedItemsEmailTarget {
  email: string;
  chamberName: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether the patient should be emailed about a new shared item (rule 5): the chamber has
 * "Enable new shared items email" on, the patient consents and has an email, and the patient
 * can use the portal (portal on, account Active, band with online access).
 */
export async function sharedItemsEmailWanted(
  db: Db,
  chamberId: string,
  patientId: string,
): Promise<SharedItemsEmailTarget | null> {
  const [found] = (await wanted(db, chamberId, eq(patients.id, patientId))).values();
  return found ?? null;
}

/**
 * `sharedItemsEmailWanted` for many patients of a chamber in one query (the email worker asks
 * for a whole batch of jobs at once): the answer for each id that is a uuid, null where no email
 * is wanted. Ids that are not uuids are left out of the map.
 */
export async function sharedItemsEmailsWanted(
  db: Db,
  chamberId: string,
  patientIds: string[],
): Promise<Map<string, SharedItemsEmailTarget | null>> {
  const ids = [...new Set(patientIds.filter((id) => UUID.test(id)).map((id) => id.toLowerCase()))];
  if (ids.length === 0) return new Map();
  const found = await wanted(db, chamberId, sql`${patients.id} = any(${uuidArrayParam(ids)})`);
  return new Map(
    patientIds.filter((id) => UUID.test(id)).map((id) => [id, found.get(id.toLowerCase()) ?? null]),
  );
}

async function wanted(db: Db, chamberId: string, which: SQL) {
  const rows = await db
    .select({ patientId: patients.id, email: portalAccounts.email, chamberName: chambers.name })
    .from(patients)
    .innerJoin(chambers, patientChamber)
    .innerJoin(chargeBands, patientBand)
    .innerJoin(portalAccounts, patientAccount)
    .where(
      and(
        eq(patients.chamberId, chamberId),
        which,
        sql`${chambers.sharedItemsEmailEnabled}`,
        sql`${patients.emailConsent}`,
        hasPortalAccessSql,
      ),
    );
  return new Map<string, SharedItemsEmailTarget>(
    rows.map((row) => [row.patientId, { email: row.email, chamberName: row.chamberName }]),
  );
}
