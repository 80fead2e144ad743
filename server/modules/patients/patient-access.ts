import type { Db } from '../../db/connect.js';
import { forbidden, notFound } from '../../errors.js';
import type { PatientActor } from '../auth/actor.js';
import {
  ELIGIBILITY_MESSAGES,
  hasPortalAccess,
  messagingEligibility,
  type EligibilityFacts,
} from '../messaging/messaging.policy.js';
import { findPatientRecord } from './patient.repository.js';

/**
 * SPEC rule 1 for a signed-in patient, checked before any read or write: `messaging` needs
 * every condition, `portal` (documents, medical data) all but the messaging tick. Refuses with
 * 403 and the code of the first missing condition. The facts come with the session when it was
 * just read (one statement for both); otherwise they are read now.
 */
export async function requirePatientAccess(
  db: Db,
  actor: PatientActor,
  need: 'messaging' | 'portal',
): Promise<void> {
  const facts = actor.access ?? (await readFacts(db, actor));
  const code = messagingEligibility(facts);
  if (code && (need === 'messaging' || !hasPortalAccess(facts))) {
    const message =
      need === 'messaging'
        ? ELIGIBILITY_MESSAGES[code]
        : ELIGIBILITY_MESSAGES[code].replace(
            'so messages cannot be sent',
            'so the portal cannot be used',
          );
    throw forbidden(code, message);
  }
}

async function readFacts(db: Db, actor: PatientActor): Promise<EligibilityFacts> {
  const row = await findPatientRecord(db, actor.chamberId, actor.patientId);
  if (!row) throw notFound('That patient');
  return {
    portalEnabled: row.portalEnabled,
    accountState: row.account?.state ?? null,
    bandOnlineAccess: row.band.onlineAccess,
    bandAllowsMessaging: row.band.allowOnlineMessaging,
  };
}
