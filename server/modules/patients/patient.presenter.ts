import {
  ELIGIBILITY_MESSAGES,
  messagingEligibility,
} from '../portal-access/portal-access.policy.js';
import type { PatientRecordRow } from './patient.repository.js';

const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);

/** The Patient Record as staff see it, with the portal account and whether the patient may message. */
export function presentPatientRecord(row: PatientRecordRow) {
  const { patient, band, account } = row;
  const code = messagingEligibility({
    portalEnabled: row.portalEnabled,
    accountState: account?.state ?? null,
    bandOnlineAccess: band.onlineAccess,
    bandAllowsMessaging: band.allowOnlineMessaging,
  });
  return {
    id: patient.id,
    givenName: patient.givenName,
    familyName: patient.familyName,
    name: `${patient.givenName} ${patient.familyName}`,
    dateOfBirth: patient.dateOfBirth,
    email: patient.email,
    mobile: patient.mobile,
    emailConsent: patient.emailConsent,
    chargeBand: { id: band.id, name: band.name },
    portalAccount: account
      ? {
          email: account.email,
          state: account.state,
          failedSignIns: account.failedSignIns,
          invitedAt: iso(account.invitedAt),
          activatedAt: iso(account.activatedAt),
        }
      : null,
    messaging: {
      allowed: code === null,
      reason: code,
      message: code ? ELIGIBILITY_MESSAGES[code] : null,
    },
    signedUpOnline: patient.signedUpOnlineAt
      ? { at: iso(patient.signedUpOnlineAt)!, linked: patient.signUpLinked === true }
      : null,
  };
}
