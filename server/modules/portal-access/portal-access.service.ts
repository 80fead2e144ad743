import type { Db } from '../../db/connect.js';
import { forbidden, notFound } from '../../errors.js';
import { accessRefusal, type EligibilityFacts, type PortalNeed } from './portal-access.policy.js';
import { findEligibilityFacts } from './portal-access.repository.js';

/** A signed-in patient as rule 1 sees them (a `PatientActor` is one). */
export interface PortalAccessSubject {
  chamberId: string;
  patientId: string;
  /** The facts read with the session at the start of the request, when they were. */
  access?: EligibilityFacts;
}

/**
 * SPEC rule 1 for a signed-in patient, checked before any read or write: `messaging` needs
 * every condition, `portal` (documents, medical data) all but the messaging tick. Refuses with
 * 403 and the code of the first missing condition. The facts come with the session when it was
 * just read (one statement for both); otherwise they are read now.
 */
export async function requirePatientAccess(
  db: Db,
  patient: PortalAccessSubject,
  need: PortalNeed,
): Promise<void> {
  const facts =
    patient.access ?? (await findEligibilityFacts(db, patient.chamberId, patient.patientId));
  if (!facts) throw notFound('That patient');
  const refusal = accessRefusal(facts, need);
  if (refusal) throw forbidden(refusal.code, refusal.message);
}
