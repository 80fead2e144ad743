import { sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';

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
  const [found] = (await wanted(db, chamberId, sql`p.id = ${patientId}::uuid`)).values();
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
  const found = await wanted(db, chamberId, sql`p.id = any(${`{${ids.join(',')}}`}::uuid[])`);
  return new Map(
    patientIds.filter((id) => UUID.test(id)).map((id) => [id, found.get(id.toLowerCase()) ?? null]),
  );
}

async function wanted(db: Db, chamberId: string, patients: ReturnType<typeof sql>) {
  const r = await db.execute<{ patient_id: string; email: string; chamber_name: string }>(sql`
    select p.id as patient_id, a.email, c.name as chamber_name
      from patients p
      join chambers c on c.id = p.chamber_id
      join charge_bands b on b.chamber_id = p.chamber_id and b.id = p.charge_band_id
      join portal_accounts a on a.chamber_id = p.chamber_id and a.patient_id = p.id
     where p.chamber_id = ${chamberId}::uuid and ${patients}
       and c.shared_items_email_enabled and c.patient_portal_enabled
       and p.email_consent and a.state = 'active' and b.online_access <> 'none'`);
  return new Map<string, SharedItemsEmailTarget>(
    r.rows.map((row) => [row.patient_id, { email: row.email, chamberName: row.chamber_name }]),
  );
}
