import { and, eq, sql, type SQL } from 'drizzle-orm';
import { uuidArrayParam } from '../../db/arrays.js';
import type { Db } from '../../db/connect.js';
import { alias } from 'drizzle-orm/pg-core';
import {
  chambers,
  chargeBands,
  patientProxies,
  patients,
  portalAccounts,
} from '../../db/schema.js';
import { patientAccount, patientBand, patientChamber } from '../../db/joins.js';
import { hasPortalAccessSql } from '../portal-access/portal-access.policy.js';
import { proxyInForce } from '../portal-access/acting-for.repository.js';

/** A proxy's own patient record, whose email consent is theirs (rule 18). */
const holder = alias(patients, 'holder');

export interface SharedItemsEmailTarget {
  /** The patient's own account, and their proxies' who agreed to be emailed (rule 18). */
  emails: string[];
  chamberName: string;
  /** The clinic code, for the clinic link the email points to. */
  chamberKey: string;
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
  now: Date,
): Promise<SharedItemsEmailTarget | null> {
  const [found] = (await wanted(db, chamberId, eq(patients.id, patientId), now)).values();
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
  now: Date,
): Promise<Map<string, SharedItemsEmailTarget | null>> {
  const ids = [...new Set(patientIds.filter((id) => UUID.test(id)).map((id) => id.toLowerCase()))];
  if (ids.length === 0) return new Map();
  const found = await wanted(db, chamberId, sql`${patients.id} = any(${uuidArrayParam(ids)})`, now);
  return new Map(
    patientIds.filter((id) => UUID.test(id)).map((id) => [id, found.get(id.toLowerCase()) ?? null]),
  );
}

async function wanted(db: Db, chamberId: string, which: SQL, now: Date) {
  const own = db
    .select({
      patientId: patients.id,
      email: portalAccounts.email,
      chamberName: chambers.name,
      chamberKey: chambers.key,
    })
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
  // Rule 18: proxies in force, by their own consent and their own account's state; the
  // portal and band conditions are the patient's.
  const proxies = db
    .select({
      patientId: patients.id,
      email: portalAccounts.email,
      chamberName: chambers.name,
      chamberKey: chambers.key,
    })
    .from(patientProxies)
    .innerJoin(
      patients,
      and(
        eq(patients.chamberId, patientProxies.chamberId),
        eq(patients.id, patientProxies.patientId),
      ),
    )
    .innerJoin(chambers, patientChamber)
    .innerJoin(chargeBands, patientBand)
    .innerJoin(
      portalAccounts,
      and(
        eq(portalAccounts.chamberId, patientProxies.chamberId),
        eq(portalAccounts.id, patientProxies.accountId),
      ),
    )
    .leftJoin(
      holder,
      and(eq(holder.chamberId, portalAccounts.chamberId), eq(holder.id, portalAccounts.patientId)),
    )
    .where(
      and(
        eq(patientProxies.chamberId, chamberId),
        which,
        proxyInForce(now),
        sql`${chambers.sharedItemsEmailEnabled}`,
        sql`${chambers.patientPortalEnabled}`,
        sql`${chargeBands.onlineAccess} <> 'none'`,
        eq(portalAccounts.state, 'active'),
        sql`coalesce(${holder.emailConsent}, ${portalAccounts.emailConsent})`,
      ),
    );
  // One statement: the email worker asks for a whole batch at once.
  const rows = await own.unionAll(proxies);
  const found = new Map<string, SharedItemsEmailTarget>();
  for (const row of rows) {
    const target = found.get(row.patientId);
    if (target) target.emails.push(row.email);
    else
      found.set(row.patientId, {
        emails: [row.email],
        chamberName: row.chamberName,
        chamberKey: row.chamberKey,
      });
  }
  return found;
}
