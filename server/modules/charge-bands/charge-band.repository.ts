import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { chargeBands, patients, portalAccounts } from '../../db/schema.js';
import { patientAccount } from '../../db/joins.js';

export type ChargeBandRow = typeof chargeBands.$inferSelect;

export async function findChargeBand(db: Db, chamberId: string, id: string) {
  const rows = await db
    .select()
    .from(chargeBands)
    .where(and(eq(chargeBands.chamberId, chamberId), eq(chargeBands.id, id)))
    .limit(1);
  return rows[0];
}

/** The chamber's bands by name, each with the number of patients on it. */
export async function listChargeBands(db: Db, chamberId: string) {
  return db
    .select({
      band: chargeBands,
      patientCount: sql<number>`(select count(*)::int from ${patients} p where p.chamber_id = charge_bands.chamber_id and p.charge_band_id = charge_bands.id)`,
    })
    .from(chargeBands)
    .where(eq(chargeBands.chamberId, chamberId))
    .orderBy(asc(chargeBands.name));
}

/** Ids of the bands named so, whatever the case. */
export async function findBandIdsByName(db: Db, chamberId: string, name: string) {
  return db
    .select({ id: chargeBands.id })
    .from(chargeBands)
    .where(
      and(eq(chargeBands.chamberId, chamberId), sql`lower(${chargeBands.name}) = lower(${name})`),
    );
}

/** Ids of the bands using this Online sign-up invite code. */
export async function findBandIdsByInviteCode(db: Db, chamberId: string, code: string) {
  return db
    .select({ id: chargeBands.id })
    .from(chargeBands)
    .where(and(eq(chargeBands.chamberId, chamberId), eq(chargeBands.onlineSignUpInviteCode, code)));
}

export async function insertChargeBand(
  db: Db,
  row: typeof chargeBands.$inferInsert,
): Promise<void> {
  await db.insert(chargeBands).values(row);
}

/** Writes the band's fields given; one left undefined keeps its value. */
export async function updateChargeBand(
  db: Db,
  chamberId: string,
  id: string,
  changes: Partial<
    Pick<
      typeof chargeBands.$inferInsert,
      'name' | 'onlineAccess' | 'allowOnlineMessaging' | 'onlineSignUpInviteCode'
    >
  >,
  now: Date,
): Promise<void> {
  await db
    .update(chargeBands)
    .set({ ...changes, updatedAt: now })
    .where(and(eq(chargeBands.chamberId, chamberId), eq(chargeBands.id, id)));
}

/** Patients on the band with an email and no portal account: whom Allow And Notify invites. */
export async function listUninvitedPatientsOfBand(db: Db, chamberId: string, bandId: string) {
  return db
    .select({ id: patients.id, email: patients.email })
    .from(patients)
    .leftJoin(portalAccounts, patientAccount)
    .where(
      and(
        eq(patients.chamberId, chamberId),
        eq(patients.chargeBandId, bandId),
        sql`${patients.email} is not null`,
        sql`${portalAccounts.patientId} is null`,
      ),
    );
}
