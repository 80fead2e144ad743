import { and, asc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import {
  accountTokens,
  chambers,
  chargeBands,
  patientProxies,
  patients,
  portalAccounts,
  roleMembers,
  roles,
  sessions,
  staffRecoveryCodes,
  staffSecondFactors,
  users,
} from '../../db/schema.js';
import { placeholder, preparedFor } from '../../db/prepared.js';
import { patientBand, patientChamber } from '../../db/joins.js';
import { proxyInForce } from '../portal-access/acting-for.repository.js';
import { eligibilityFactsFields } from '../portal-access/portal-access.repository.js';

/** The name on a portal account's own patient record (null when it has none). */
const ownPatientName = sql`(select own.given_name || ' ' || own.family_name from ${patients} own
  where own.chamber_id = ${portalAccounts.chamberId} and own.id = ${portalAccounts.patientId})`;

/**
 * One staff user or one portal account; a portal account names its own patient too (null when
 * the holder is not a patient of the clinic, only a proxy: rule 18).
 */
export type AccountSubject = { userId: string } | { accountId: string; patientId: string | null };

/** The portal-account half of an AccountSubject, as a condition on `portal_accounts`. */
const isAccount = (chamberId: string, subject: { accountId: string }) =>
  and(eq(portalAccounts.chamberId, chamberId), eq(portalAccounts.id, subject.accountId));

export async function findStaffByEmail(db: Db, chamberId: string, email: string) {
  const rows = await db
    .select()
    .from(users)
    .where(and(eq(users.chamberId, chamberId), sql`lower(${users.email}) = lower(${email})`))
    .limit(1);
  return rows[0];
}

export async function findPortalAccountByEmail(db: Db, chamberId: string, email: string) {
  const rows = await db
    .select()
    .from(portalAccounts)
    .where(
      and(
        eq(portalAccounts.chamberId, chamberId),
        sql`lower(${portalAccounts.email}) = lower(${email})`,
      ),
    )
    .limit(1);
  return rows[0];
}

/** The live roles a staff user holds, by name. */
export async function findStaffRoles(db: Db, chamberId: string, userId: string) {
  return db
    .select({ id: roles.id, name: roles.name })
    .from(roleMembers)
    .innerJoin(
      roles,
      and(
        eq(roles.chamberId, roleMembers.chamberId),
        eq(roles.id, roleMembers.roleId),
        isNull(roles.deletedAt),
      ),
    )
    .where(and(eq(roleMembers.chamberId, chamberId), eq(roleMembers.userId, userId)))
    .orderBy(asc(roles.name));
}

/**
 * The patient a portal session acts for, and its account: the names the portal shows, the
 * clinic, and the facts of SPEC rule 1 (the account condition on the signed-in account, the
 * portal, band and messaging conditions on the patient: rule 18).
 */
export async function findPortalPatient(
  db: Db,
  chamberId: string,
  patientId: string,
  accountId: string,
) {
  const rows = await db
    .select({
      givenName: patients.givenName,
      familyName: patients.familyName,
      chamber: { key: chambers.key, name: chambers.name, timeZone: chambers.timeZone },
      account: {
        email: portalAccounts.email,
        name: sql<string>`coalesce(${portalAccounts.name}, ${ownPatientName}, '')`,
      },
      facts: eligibilityFactsFields,
    })
    .from(patients)
    .innerJoin(chambers, patientChamber)
    .innerJoin(chargeBands, patientBand)
    .leftJoin(
      portalAccounts,
      and(eq(portalAccounts.chamberId, patients.chamberId), eq(portalAccounts.id, accountId)),
    )
    .where(and(eq(patients.chamberId, chamberId), eq(patients.id, patientId)))
    .limit(1);
  return rows[0];
}

/**
 * Counts a wrong password in one statement, so attempts arriving together are all counted.
 * The fifth in a row locks a staff user until `lockUntil` (and starts the count again), or
 * blocks an Active portal account; answers whether the portal account is now Blocked.
 */
export async function countFailedSignIn(
  db: Db,
  chamberId: string,
  subject: AccountSubject,
  at: { now: Date; max: number; lockUntil: Date },
): Promise<boolean> {
  if ('userId' in subject) {
    await db
      .update(users)
      .set({
        failedSignIns: sql`case when ${users.failedSignIns} + 1 >= ${at.max} then 0 else ${users.failedSignIns} + 1 end`,
        lockedUntil: sql`case when ${users.failedSignIns} + 1 >= ${at.max} then ${at.lockUntil.toISOString()}::timestamptz else ${users.lockedUntil} end`,
      })
      .where(and(eq(users.chamberId, chamberId), eq(users.id, subject.userId)));
    return false;
  }
  const rows = await db
    .update(portalAccounts)
    .set({
      failedSignIns: sql`${portalAccounts.failedSignIns} + 1`,
      state: sql`case when ${portalAccounts.failedSignIns} + 1 >= ${at.max} then 'blocked' else ${portalAccounts.state} end`,
      updatedAt: at.now,
    })
    .where(and(isAccount(chamberId, subject), eq(portalAccounts.state, 'active')))
    .returning({ state: portalAccounts.state });
  return rows[0]?.state === 'blocked';
}

/** A successful sign-in starts the count of failures again (and lifts a staff user's lock). */
export async function clearFailedSignIns(
  db: Db,
  chamberId: string,
  subject: AccountSubject,
  now: Date,
): Promise<void> {
  if ('userId' in subject) {
    await db
      .update(users)
      .set({ failedSignIns: 0, lockedUntil: null })
      .where(and(eq(users.chamberId, chamberId), eq(users.id, subject.userId)));
    return;
  }
  await db
    .update(portalAccounts)
    .set({ failedSignIns: 0, updatedAt: now })
    .where(isAccount(chamberId, subject));
}

/** Notes when a portal account last asked for a reset link (rule 8: at most every 3 minutes). */
export async function markResetRequested(
  db: Db,
  chamberId: string,
  accountId: string,
  now: Date,
): Promise<void> {
  await db
    .update(portalAccounts)
    .set({ lastResetRequestedAt: now, updatedAt: now })
    .where(isAccount(chamberId, { accountId }));
}

/** Whether a staff user was sent a reset link after `since`. */
export async function hasResetLinkSince(
  db: Db,
  chamberId: string,
  userId: string,
  since: Date,
): Promise<boolean> {
  const rows = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(accountTokens)
    .where(
      and(
        eq(accountTokens.chamberId, chamberId),
        eq(accountTokens.userId, userId),
        eq(accountTokens.purpose, 'reset'),
        gt(accountTokens.createdAt, since),
      ),
    );
  return Number(rows[0]?.n ?? 0) > 0;
}

/**
 * Sets the password of an account from a link: the count of failures starts again, a portal
 * account becomes Active (a block is lifted), a staff user's lock is lifted. Only an Active
 * staff user or a portal account that is not Disabled; answers the account's email, or
 * undefined when there was none to change.
 */
export async function setAccountPassword(
  db: Db,
  chamberId: string,
  subject: AccountSubject,
  passwordHash: string,
  now: Date,
): Promise<string | undefined> {
  if ('userId' in subject) {
    const rows = await db
      .update(users)
      .set({
        passwordHash,
        failedSignIns: 0,
        lockedUntil: null,
        passwordChangedAt: now,
        updatedAt: now,
      })
      .where(
        and(eq(users.chamberId, chamberId), eq(users.id, subject.userId), eq(users.active, true)),
      )
      .returning({ email: users.email });
    return rows[0]?.email;
  }
  const rows = await db
    .update(portalAccounts)
    .set({
      passwordHash,
      state: 'active',
      failedSignIns: 0,
      passwordChangedAt: now,
      activatedAt: sql`coalesce(${portalAccounts.activatedAt}, ${now.toISOString()}::timestamptz)`,
      updatedAt: now,
    })
    .where(and(isAccount(chamberId, subject), ne(portalAccounts.state, 'disabled')))
    .returning({ email: portalAccounts.email });
  return rows[0]?.email;
}

export async function insertAccountToken(
  db: Db,
  row: typeof accountTokens.$inferInsert,
): Promise<void> {
  await db.insert(accountTokens).values(row);
}

export async function insertSession(db: Db, row: typeof sessions.$inferInsert): Promise<void> {
  await db.insert(sessions).values(row);
}

/** The session for a cookie, with the staff user's current roles or the patient's name. */
// One statement per request: the session, its user with current roles, or its patient with
// rule 1's facts; prepared once, as every request runs it.
const sessionByTokenHash = preparedFor((db) =>
  db
    .select({
      chamberId: sessions.chamberId,
      id: sessions.id,
      kind: sessions.kind,
      userId: sessions.userId,
      patientId: sessions.patientId,
      accountId: sessions.accountId,
      accountPatientId: portalAccounts.patientId,
      // Rule 18: acting for someone else's record needs a proxy in force today (clinic time).
      proxyRelationship: sql<string | null>`case
        when ${sessions.patientId} is distinct from ${portalAccounts.patientId} then
          (select ${patientProxies.relationship} from ${patientProxies}
            where ${patientProxies.chamberId} = ${sessions.chamberId}
              and ${patientProxies.accountId} = ${sessions.accountId}
              and ${patientProxies.patientId} = ${sessions.patientId}
              and ${proxyInForce(sql`${placeholder('now')}`)}
            limit 1)
        end`,
      accountName: sql<string | null>`case
        when ${sessions.patientId} is distinct from ${portalAccounts.patientId} then
          coalesce(${portalAccounts.name},
            ${ownPatientName})
        end`,
      lastSeenAt: sessions.lastSeenAt,
      expiresAt: sessions.expiresAt,
      stage: sessions.stage,
      userName: users.name,
      userEmail: users.email,
      userActive: users.active,
      isAdmin: users.isAdmin,
      roleIds: sql<string[] | null>`(select coalesce(array_agg(${roleMembers.roleId}::text), '{}')
        from ${roleMembers}
        join ${roles} on ${roles.chamberId} = ${roleMembers.chamberId}
          and ${roles.id} = ${roleMembers.roleId} and ${roles.deletedAt} is null
        where ${roleMembers.chamberId} = ${sessions.chamberId}
          and ${roleMembers.userId} = ${sessions.userId})`,
      patientName: sql<
        string | null
      >`case when ${patients.id} is null then null else ${patients.givenName} || ' ' || ${patients.familyName} end`,
      portalEnabled: chambers.patientPortalEnabled,
      accountState: portalAccounts.state,
      bandOnlineAccess: chargeBands.onlineAccess,
      bandAllowsMessaging: chargeBands.allowOnlineMessaging,
    })
    .from(sessions)
    .innerJoin(chambers, eq(chambers.id, sessions.chamberId))
    .leftJoin(users, and(eq(users.chamberId, sessions.chamberId), eq(users.id, sessions.userId)))
    .leftJoin(
      patients,
      and(eq(patients.chamberId, sessions.chamberId), eq(patients.id, sessions.patientId)),
    )
    .leftJoin(chargeBands, patientBand)
    .leftJoin(
      portalAccounts,
      and(
        eq(portalAccounts.chamberId, sessions.chamberId),
        eq(portalAccounts.id, sessions.accountId),
      ),
    )
    .where(eq(sessions.tokenHash, placeholder('tokenHash')))
    .limit(1)
    .prepare('session_by_token_hash'),
);

export async function findSessionByTokenHash(db: Db, tokenHash: string, now: Date) {
  const rows = await sessionByTokenHash(db).execute({ tokenHash, now: now.toISOString() });
  return rows[0];
}

/** Points a portal session at another patient it may act for (rule 18). */
export async function setSessionPatient(
  db: Db,
  chamberId: string,
  id: string,
  patientId: string,
): Promise<void> {
  await db
    .update(sessions)
    .set({ patientId })
    .where(and(eq(sessions.chamberId, chamberId), eq(sessions.id, id)));
}

export async function touchSession(db: Db, chamberId: string, id: string, at: Date): Promise<void> {
  await db
    .update(sessions)
    .set({ lastSeenAt: at })
    .where(and(eq(sessions.chamberId, chamberId), eq(sessions.id, id)));
}

export async function deleteSession(db: Db, chamberId: string, id: string): Promise<void> {
  await db.delete(sessions).where(and(eq(sessions.chamberId, chamberId), eq(sessions.id, id)));
}

/** Ends every session of one staff user or one patient (sign-out everywhere). */
export async function deleteSessionsOf(
  db: Db,
  chamberId: string,
  subject: AccountSubject,
): Promise<void> {
  await db
    .delete(sessions)
    .where(
      and(
        eq(sessions.chamberId, chamberId),
        'userId' in subject
          ? eq(sessions.userId, subject.userId)
          : eq(sessions.accountId, subject.accountId),
      ),
    );
}

export async function findUsableToken(db: Db, tokenHash: string, now: Date) {
  const rows = await db
    .select()
    .from(accountTokens)
    .where(
      and(
        eq(accountTokens.tokenHash, tokenHash),
        sql`${accountTokens.usedAt} is null`,
        sql`${accountTokens.expiresAt} > ${now.toISOString()}::timestamptz`,
      ),
    )
    .limit(1);
  return rows[0];
}

/** Marks a link used; false when a concurrent request used it first. */
export async function consumeToken(
  db: Db,
  chamberId: string,
  id: string,
  now: Date,
): Promise<boolean> {
  const rows = await db
    .update(accountTokens)
    .set({ usedAt: now })
    .where(
      and(
        eq(accountTokens.chamberId, chamberId),
        eq(accountTokens.id, id),
        sql`${accountTokens.usedAt} is null`,
      ),
    )
    .returning({ id: accountTokens.id });
  return rows.length === 1;
}

/** Retires every outstanding link of an account, so only the newest can be used. */
export async function retireTokensOf(
  db: Db,
  chamberId: string,
  subject: AccountSubject,
  now: Date,
): Promise<void> {
  await db
    .update(accountTokens)
    .set({ usedAt: now })
    .where(
      and(
        eq(accountTokens.chamberId, chamberId),
        sql`${accountTokens.usedAt} is null`,
        'userId' in subject
          ? eq(accountTokens.userId, subject.userId)
          : eq(accountTokens.accountId, subject.accountId),
      ),
    );
}

/** What a staff user has set up, as sign-in needs it: one statement. */
export async function findFactorSummary(db: Db, chamberId: string, userId: string) {
  const rows = await db.execute<{ passkeys: number; totp: number; codes: number }>(sql`
    select
      (select count(*)::int from ${staffSecondFactors}
        where chamber_id = ${chamberId}::uuid and user_id = ${userId}::uuid and kind = 'passkey') as passkeys,
      (select count(*)::int from ${staffSecondFactors}
        where chamber_id = ${chamberId}::uuid and user_id = ${userId}::uuid and kind = 'totp') as totp,
      (select count(*)::int from ${staffRecoveryCodes}
        where chamber_id = ${chamberId}::uuid and user_id = ${userId}::uuid and used_at is null) as codes`);
  const row = rows.rows[0]!;
  return {
    passkeys: Number(row.passkeys),
    totp: Number(row.totp) > 0,
    recoveryCodesLeft: Number(row.codes),
  };
}
export type FactorSummary = Awaited<ReturnType<typeof findFactorSummary>>;

/** The staff session's stage and how it was signed in. */
export async function findSessionStage(db: Db, chamberId: string, id: string) {
  const rows = await db
    .select({ stage: sessions.stage, method: sessions.method, expiresAt: sessions.expiresAt })
    .from(sessions)
    .where(and(eq(sessions.chamberId, chamberId), eq(sessions.id, id)))
    .limit(1);
  return rows[0];
}

/** Ends a half-signed-in staff session as it finishes; its stage and method, or undefined when gone. */
export async function takeHalfSession(db: Db, chamberId: string, id: string) {
  const rows = await db
    .delete(sessions)
    .where(and(eq(sessions.chamberId, chamberId), eq(sessions.id, id), ne(sessions.stage, 'full')))
    .returning({ stage: sessions.stage, method: sessions.method });
  return rows[0];
}
