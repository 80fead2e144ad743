import { sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';

/**
 * Whether the patient should be emailed about a new shared item (rule 5): the chamber has
 * "Enable new shared items email" on, the patient consents and has an email, and the patient
 * can use the portal (portal on, account Active, band with online access).
 */
export async function sharedItemsEmailWanted(
  db: Db,
  chamberId: string,
  patientId: string,
): Promise<{ email: string; chamberName: string } | null> {
  const r = await db.execute<{ email: string; chamber_name: string }>(sql`
    select a.email, c.name as chamber_name
      from patients p
      join chambers c on c.id = p.chamber_id
      join charge_bands b on b.chamber_id = p.chamber_id and b.id = p.charge_band_id
      join portal_accounts a on a.chamber_id = p.chamber_id and a.patient_id = p.id
     where p.chamber_id = ${chamberId}::uuid and p.id = ${patientId}::uuid
       and c.shared_items_email_enabled and c.patient_portal_enabled
       and p.email_consent and a.state = 'active' and b.online_access <> 'none'`);
  const row = r.rows[0];
  return row ? { email: row.email, chamberName: row.chamber_name } : null;
}
