import { and, eq, isNull, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { accountTokens, chambers, chargeBands, patients, portalAccounts } from '../../db/schema.js';

// Every query of self sign-up (rule 17): the band a code opens, the patient a sign-up may link,
// the records it makes, and the emailed link that confirms it.

/** The bands of the chamber with online access whose invite code is this one, letter case aside. */
export async function findOnlineBandsByInviteCode(db: Db, chamberId: string, code: string) {
  return db
    .select({
      id: chargeBands.id,
      name: chargeBands.name,
      code: chargeBands.onlineSignUpInviteCode,
    })
    .from(chargeBands)
    .where(
      and(
        eq(chargeBands.chamberId, chamberId),
        ne(chargeBands.onlineAccess, 'none'),
        sql`lower(btrim(${chargeBands.onlineSignUpInviteCode})) = lower(${code})`,
      ),
    )
    .limit(5);
}

/**
 * The patients a sign-up may link: the same email (letter case aside) and date of birth, and
 * no portal account of their own yet.
 */
export async function findLinkablePatients(
  db: Db,
  chamberId: string,
  email: string,
  dateOfBirth: string,
) {
  return db
    .select({
      id: patients.id,
      givenName: patients.givenName,
      familyName: patients.familyName,
      chargeBandId: patients.chargeBandId,
    })
    .from(patients)
    .where(
      and(
        eq(patients.chamberId, chamberId),
        sql`lower(${patients.email}) = lower(${email})`,
        eq(patients.dateOfBirth, dateOfBirth),
        sql`not exists (select 1 from ${portalAccounts} where ${portalAccounts.chamberId} = ${patients.chamberId} and ${portalAccounts.patientId} = ${patients.id})`,
      ),
    )
    .limit(10);
}

/** The name of a charge band of the chamber. */
export async function findBandName(
  db: Db,
  chamberId: string,
  bandId: string,
): Promise<string | undefined> {
  const rows = await db
    .select({ name: chargeBands.name })
    .from(chargeBands)
    .where(and(eq(chargeBands.chamberId, chamberId), eq(chargeBands.id, bandId)))
    .limit(1);
  return rows[0]?.name;
}

/** A patient made by a sign-up. */
export async function insertSignedUpPatient(
  db: Db,
  row: Omit<typeof patients.$inferInsert, 'signUpLinked' | 'signedUpOnlineAt'> & {
    signedUpOnlineAt: Date;
  },
): Promise<void> {
  await db.insert(patients).values({ ...row, signUpLinked: false });
}

/**
 * Marks an existing patient as linked by a sign-up, with the email consent given on the form.
 * Nothing else of the record changes (never the charge band). False when the patient is gone.
 */
export async function markPatientLinked(
  db: Db,
  chamberId: string,
  patientId: string,
  changes: { emailConsent: boolean; now: Date },
): Promise<boolean> {
  const rows = await db
    .update(patients)
    .set({
      signedUpOnlineAt: changes.now,
      signUpLinked: true,
      emailConsent: changes.emailConsent,
      updatedAt: changes.now,
    })
    .where(and(eq(patients.chamberId, chamberId), eq(patients.id, patientId)))
    .returning({ id: patients.id });
  return rows.length === 1;
}

/** The Invited portal account of a sign-up, its password already chosen. */
export async function insertSignedUpAccount(
  db: Db,
  row: {
    chamberId: string;
    id: string;
    patientId: string;
    email: string;
    passwordHash: string;
    emailConsent: boolean;
    now: Date;
  },
): Promise<void> {
  await db.insert(portalAccounts).values({
    chamberId: row.chamberId,
    id: row.id,
    patientId: row.patientId,
    email: row.email,
    passwordHash: row.passwordHash,
    emailConsent: row.emailConsent,
    state: 'invited',
    invitedAt: row.now,
    passwordChangedAt: row.now,
    createdAt: row.now,
    updatedAt: row.now,
  });
}

/** A sign-up link that is unused and unexpired, by the hash of its token, with its account's password. */
export async function findUsableSignUpLink(db: Db, tokenHash: string, now: Date) {
  const rows = await db
    .select({
      chamberId: accountTokens.chamberId,
      id: accountTokens.id,
      accountId: accountTokens.accountId,
      passwordHash: portalAccounts.passwordHash,
    })
    .from(accountTokens)
    .leftJoin(
      portalAccounts,
      and(
        eq(portalAccounts.chamberId, accountTokens.chamberId),
        eq(portalAccounts.id, accountTokens.accountId),
      ),
    )
    .where(
      and(
        eq(accountTokens.tokenHash, tokenHash),
        eq(accountTokens.purpose, 'sign_up'),
        eq(accountTokens.accountKind, 'patient'),
        isNull(accountTokens.usedAt),
        sql`${accountTokens.expiresAt} > ${now.toISOString()}::timestamptz`,
      ),
    )
    .limit(1);
  return rows[0];
}

/**
 * Makes a self-signed-up account Active, only while it is still Invited with its password set;
 * answers its email and patient, or undefined when it is in another state (or gone).
 */
export async function activateSignedUpAccount(
  db: Db,
  chamberId: string,
  accountId: string,
  now: Date,
) {
  const rows = await db
    .update(portalAccounts)
    .set({ state: 'active', failedSignIns: 0, activatedAt: now, updatedAt: now })
    .where(
      and(
        eq(portalAccounts.chamberId, chamberId),
        eq(portalAccounts.id, accountId),
        eq(portalAccounts.state, 'invited'),
        sql`${portalAccounts.passwordHash} is not null`,
      ),
    )
    .returning({ email: portalAccounts.email, patientId: portalAccounts.patientId });
  return rows[0];
}

/** The clinic of a chamber as the confirmed sign-up names it. */
export async function findChamberKeyAndName(db: Db, chamberId: string) {
  const rows = await db
    .select({ key: chambers.key, name: chambers.name })
    .from(chambers)
    .where(eq(chambers.id, chamberId))
    .limit(1);
  return rows[0];
}

/** Where to tell an account holder of a sign-up with their email: the account's email and clinic. */
export async function findAccountContact(db: Db, chamberId: string, accountId: string) {
  const rows = await db
    .select({ email: portalAccounts.email, chamberKey: chambers.key, chamberName: chambers.name })
    .from(portalAccounts)
    .innerJoin(chambers, eq(chambers.id, portalAccounts.chamberId))
    .where(and(eq(portalAccounts.chamberId, chamberId), eq(portalAccounts.id, accountId)))
    .limit(1);
  return rows[0];
}
