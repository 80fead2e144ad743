import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/connect.js';
import { proxyInForce } from '../portal-access/acting-for.repository.js';
import { patientProxies, patients, portalAccounts, users } from '../../db/schema.js';

/** A proxy's own record, when the account holder is a patient here. */
const holder = alias(patients, 'holder');

/** The name of a portal account's holder: their patient record's, or the account's own. */
export const accountHolderName = sql<string>`coalesce(${holder.givenName} || ' ' || ${holder.familyName}, ${portalAccounts.name}, ${portalAccounts.email})`;

const holderJoin = and(
  eq(holder.chamberId, portalAccounts.chamberId),
  eq(holder.id, portalAccounts.patientId),
);

/** A patient's proxies in force, oldest first, with their accounts. */
export async function findProxiesOfPatient(
  db: Db,
  chamberId: string,
  patientId: string,
  now: Date,
  proxyId?: string,
) {
  return db
    .select({
      id: patientProxies.id,
      relationship: patientProxies.relationship,
      endsOn: patientProxies.endsOn,
      createdAt: patientProxies.createdAt,
      addedBy: users.name,
      account: {
        id: portalAccounts.id,
        email: portalAccounts.email,
        state: portalAccounts.state,
        patientId: portalAccounts.patientId,
        name: accountHolderName,
      },
    })
    .from(patientProxies)
    .innerJoin(
      portalAccounts,
      and(
        eq(portalAccounts.chamberId, patientProxies.chamberId),
        eq(portalAccounts.id, patientProxies.accountId),
      ),
    )
    .leftJoin(holder, holderJoin)
    .innerJoin(
      users,
      and(
        eq(users.chamberId, patientProxies.chamberId),
        eq(users.id, patientProxies.createdByUserId),
      ),
    )
    .where(
      and(
        eq(patientProxies.chamberId, chamberId),
        eq(patientProxies.patientId, patientId),
        proxyInForce(now),
        proxyId ? eq(patientProxies.id, proxyId) : undefined,
      ),
    )
    .orderBy(asc(patientProxies.createdAt), asc(patientProxies.id));
}
export type ProxyRow = Awaited<ReturnType<typeof findProxiesOfPatient>>[number];

/** A portal account of the chamber by email (any case), with its holder's name. */
export async function findAccountByEmail(db: Db, chamberId: string, email: string) {
  const rows = await db
    .select({
      id: portalAccounts.id,
      patientId: portalAccounts.patientId,
      state: portalAccounts.state,
      name: accountHolderName,
    })
    .from(portalAccounts)
    .leftJoin(holder, holderJoin)
    .where(
      and(
        eq(portalAccounts.chamberId, chamberId),
        sql`lower(${portalAccounts.email}) = lower(${email})`,
      ),
    )
    .limit(1);
  return rows[0];
}

/** A new portal account (a proxy's, invited). */
export async function insertAccount(
  db: Db,
  row: typeof portalAccounts.$inferInsert,
): Promise<void> {
  await db.insert(portalAccounts).values(row);
}

export async function insertProxy(db: Db, row: typeof patientProxies.$inferInsert): Promise<void> {
  await db.insert(patientProxies).values(row);
}

/**
 * Ends the proxies of this account for this patient that are not ended yet, including one whose
 * end date has passed (so a new one can be added); answers the accounts whose proxy ended.
 */
export async function endProxies(
  db: Db,
  chamberId: string,
  where: {
    patientId: string;
    accountId?: string;
    proxyId?: string;
    /** Only those past their end date (never one in force, which a concurrent add just made). */
    pastEndDate?: boolean;
  },
  by: { userId?: string; accountId?: string },
  now: Date,
): Promise<string[]> {
  const rows = await db
    .update(patientProxies)
    .set({
      endedAt: now,
      endedByUserId: by.userId ?? null,
      endedByAccountId: by.accountId ?? null,
    })
    .where(
      and(
        eq(patientProxies.chamberId, chamberId),
        eq(patientProxies.patientId, where.patientId),
        isNull(patientProxies.endedAt),
        where.accountId ? eq(patientProxies.accountId, where.accountId) : undefined,
        where.proxyId ? eq(patientProxies.id, where.proxyId) : undefined,
        where.pastEndDate ? sql`not ${proxyInForce(now)}` : undefined,
      ),
    )
    .returning({ id: patientProxies.id, accountId: patientProxies.accountId });
  return rows.map((r) => r.accountId);
}

/** The one patient of the chamber with this email and no portal account, if exactly one. */
export async function findPatientWithoutAccountByEmail(db: Db, chamberId: string, email: string) {
  const rows = await db
    .select({ id: patients.id })
    .from(patients)
    .where(
      and(
        eq(patients.chamberId, chamberId),
        sql`lower(${patients.email}) = lower(${email})`,
        sql`not exists (select 1 from ${portalAccounts} where ${portalAccounts.chamberId} = ${patients.chamberId} and ${portalAccounts.patientId} = ${patients.id})`,
      ),
    )
    .limit(2);
  return rows.length === 1 ? rows[0] : undefined;
}
