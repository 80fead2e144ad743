import { randomUUID } from 'node:crypto';
import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { chambers, chargeBands, patients, portalAccounts } from '../../db/schema.js';
import { patientAccount, patientBand, patientChamber } from '../../db/joins.js';
import { placeholder, preparedFor } from '../../db/prepared.js';

/** A patient with band, portal account and the chamber's Patient Portal switch: the facts of rule 1. */
export async function findPatientRecord(db: Db, chamberId: string, patientId: string) {
  const rows = await db
    .select({
      patient: patients,
      band: {
        id: chargeBands.id,
        name: chargeBands.name,
        onlineAccess: chargeBands.onlineAccess,
        allowOnlineMessaging: chargeBands.allowOnlineMessaging,
      },
      account: portalAccounts,
      portalEnabled: chambers.patientPortalEnabled,
    })
    .from(patients)
    .innerJoin(chambers, patientChamber)
    .innerJoin(chargeBands, patientBand)
    .leftJoin(portalAccounts, patientAccount)
    .where(and(eq(patients.chamberId, chamberId), eq(patients.id, patientId)))
    .limit(1);
  return rows[0];
}

const patientNameQuery = preparedFor((db) =>
  db
    .select({ givenName: patients.givenName, familyName: patients.familyName })
    .from(patients)
    .where(
      and(
        eq(patients.chamberId, placeholder('chamberId')),
        eq(patients.id, placeholder('patientId')),
      ),
    )
    .limit(1)
    .prepare('patient_name'),
);

/**
 * A patient's name, or undefined when the chamber has no such patient: what the Feed and a
 * staff user's new conversation need, without the record's account and band (prepared once:
 * every Feed runs it).
 */
export async function findPatientName(
  db: Db,
  chamberId: string,
  patientId: string,
): Promise<{ givenName: string; familyName: string } | undefined> {
  const rows = await patientNameQuery(db).execute({ chamberId, patientId });
  return rows[0];
}

export type PatientRecordRow = NonNullable<Awaited<ReturnType<typeof findPatientRecord>>>;

const DATE_ISO = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_UK = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/;

/** Reads a date of birth typed as 1980-04-30 or 30/04/1980. */
export function parseDateQuery(q: string): string | undefined {
  const iso = DATE_ISO.exec(q);
  const uk = DATE_UK.exec(q);
  const [y, m, d] = iso ? [iso[1], iso[2], iso[3]] : uk ? [uk[3], uk[2], uk[1]] : [];
  if (!y || !m || !d) return undefined;
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  if (
    date.getUTCFullYear() !== Number(y) ||
    date.getUTCMonth() !== Number(m) - 1 ||
    date.getUTCDate() !== Number(d)
  ) {
    return undefined;
  }
  return date.toISOString().slice(0, 10);
}

const like = (s: string) => `${s.toLowerCase().replace(/[%_\\]/g, '\\$&')}%`;

/** Find and Select patient: by date of birth, by email, or by name (each word a prefix of a name). */
export async function searchPatients(db: Db, chamberId: string, query: string, limit: number) {
  const q = query.trim().replace(/\s+/g, ' ');
  const where: SQL[] = [eq(patients.chamberId, chamberId)];
  const dob = parseDateQuery(q);
  if (dob) {
    where.push(eq(patients.dateOfBirth, dob));
  } else if (q.includes('@')) {
    where.push(sql`lower(${patients.email}) like ${like(q)}`);
  } else {
    for (const word of q.split(' ').slice(0, 4)) {
      where.push(
        sql`(lower(${patients.givenName}) like ${like(word)} or lower(${patients.familyName}) like ${like(word)})`,
      );
    }
  }
  return db
    .select({
      id: patients.id,
      givenName: patients.givenName,
      familyName: patients.familyName,
      dateOfBirth: patients.dateOfBirth,
      email: patients.email,
      chargeBandName: chargeBands.name,
    })
    .from(patients)
    .innerJoin(chargeBands, patientBand)
    .where(and(...where))
    .orderBy(
      asc(sql`lower(${patients.familyName})`),
      asc(sql`lower(${patients.givenName})`),
      asc(patients.dateOfBirth),
    )
    .limit(limit);
}

export async function findPatientByEmail(db: Db, chamberId: string, email: string) {
  const rows = await db
    .select({ id: patients.id })
    .from(patients)
    .where(and(eq(patients.chamberId, chamberId), sql`lower(${patients.email}) = lower(${email})`))
    .limit(1);
  return rows[0];
}

/**
 * The band a patient is put on, if it is one of the chamber's. Read here rather than through
 * the charge-bands module, which depends on this one (Allow And Notify invites patients).
 */
export async function findBandForPatient(db: Db, chamberId: string, bandId: string) {
  const rows = await db
    .select({ id: chargeBands.id, onlineAccess: chargeBands.onlineAccess })
    .from(chargeBands)
    .where(and(eq(chargeBands.chamberId, chamberId), eq(chargeBands.id, bandId)))
    .limit(1);
  return rows[0];
}

export async function insertPatient(db: Db, row: typeof patients.$inferInsert): Promise<void> {
  await db.insert(patients).values(row);
}

/** Writes the patient's fields given; one left undefined keeps its value. */
export async function updatePatient(
  db: Db,
  chamberId: string,
  patientId: string,
  changes: Partial<
    Pick<
      typeof patients.$inferInsert,
      | 'givenName'
      | 'familyName'
      | 'dateOfBirth'
      | 'email'
      | 'mobile'
      | 'chargeBandId'
      | 'emailConsent'
    >
  >,
  now: Date,
): Promise<void> {
  await db
    .update(patients)
    .set({ ...changes, updatedAt: now })
    .where(and(eq(patients.chamberId, chamberId), eq(patients.id, patientId)));
}

/**
 * Makes the patient's Invited portal account, or gives their existing one this email and a new
 * invitation date; answers the account's id.
 */
export async function upsertInvitedAccount(
  db: Db,
  chamberId: string,
  patientId: string,
  email: string,
  now: Date,
): Promise<string> {
  const rows = await db
    .insert(portalAccounts)
    .values({
      chamberId,
      id: randomUUID(),
      patientId,
      email,
      state: 'invited',
      invitedAt: now,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoUpdate({
      target: [portalAccounts.chamberId, portalAccounts.patientId],
      set: { email, invitedAt: now, updatedAt: now },
    })
    .returning({ id: portalAccounts.id });
  return rows[0]!.id;
}

/** The portal account's user name follows the patient's email. */
export async function setPortalAccountEmail(
  db: Db,
  chamberId: string,
  patientId: string,
  email: string,
  now: Date,
): Promise<void> {
  await db
    .update(portalAccounts)
    .set({ email, updatedAt: now })
    .where(and(eq(portalAccounts.chamberId, chamberId), eq(portalAccounts.patientId, patientId)));
}

/** Whether the patient is one of the chamber's. */
export async function patientOfChamber(
  db: Db,
  chamberId: string,
  patientId: string,
): Promise<boolean> {
  const rows = await db
    .select({ id: patients.id })
    .from(patients)
    .where(and(eq(patients.chamberId, chamberId), eq(patients.id, patientId)))
    .limit(1);
  return rows.length > 0;
}
