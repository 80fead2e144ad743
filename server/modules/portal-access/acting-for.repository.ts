import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { chambers, patientProxies, patients, portalAccounts } from '../../db/schema.js';

// Rule 18 as sessions, live events and emails read it: whom a portal account may act for.

/** The clinic's today (rule 7) at `now` (a time, or a prepared statement's placeholder). */
const clinicToday = (now: Date | SQL): SQL =>
  sql`((${now instanceof Date ? now.toISOString() : now})::timestamptz at time zone (select ${chambers.timeZone} from ${chambers} where ${chambers.id} = ${patientProxies.chamberId}))::date`;

/** Rule 18: a proxy is in force until removed and, with an end date, through that day. */
export const proxyInForce = (now: Date | SQL): SQL =>
  sql`(${patientProxies.endedAt} is null and (${patientProxies.endsOn} is null or ${patientProxies.endsOn} >= ${clinicToday(now)}))`;

/** The patients a portal account may act for now: its own record first, then by name. */
export async function findActingForChoices(
  db: Db,
  chamberId: string,
  accountId: string,
  now: Date,
): Promise<{ id: string; name: string; relationship: string | null }[]> {
  const rows = await db.execute<{ id: string; name: string; relationship: string | null }>(sql`
    select p.id, p.given_name || ' ' || p.family_name as name, null::text as relationship, 0 as o,
           p.family_name, p.given_name
      from ${portalAccounts} a
      join ${patients} p on p.chamber_id = a.chamber_id and p.id = a.patient_id
     where a.chamber_id = ${chamberId}::uuid and a.id = ${accountId}::uuid
    union all
    select p.id, p.given_name || ' ' || p.family_name, ${patientProxies.relationship}, 1,
           p.family_name, p.given_name
      from ${patientProxies}
      join ${patients} p on p.chamber_id = ${patientProxies.chamberId} and p.id = ${patientProxies.patientId}
     where ${patientProxies.chamberId} = ${chamberId}::uuid
       and ${patientProxies.accountId} = ${accountId}::uuid
       and ${proxyInForce(now)}
     order by 4, 5, 6`);
  return rows.rows.map((r) => ({ id: r.id, name: r.name, relationship: r.relationship }));
}
