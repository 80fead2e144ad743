import { and, eq } from 'drizzle-orm';
import { chambers, chargeBands, patients, portalAccounts } from './schema.js';

// Join conditions written once: every table leads with chamber_id, so each join matches on it
// too and a row of another chamber can never join.

/** A patient's chamber. */
export const patientChamber = eq(chambers.id, patients.chamberId);

/** A patient's charge band. */
export const patientBand = and(
  eq(chargeBands.chamberId, patients.chamberId),
  eq(chargeBands.id, patients.chargeBandId),
);

/** A patient's portal account. */
export const patientAccount = and(
  eq(portalAccounts.chamberId, patients.chamberId),
  eq(portalAccounts.patientId, patients.id),
);
