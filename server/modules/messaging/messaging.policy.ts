/** Why a patient may not message (SPEC rule 1), in the order the conditions are checked. */
export type EligibilityCode =
  'portal_disabled' | 'account_not_active' | 'band_not_online' | 'messaging_not_allowed';

export interface EligibilityFacts {
  portalEnabled: boolean;
  accountState: string | null;
  bandOnlineAccess: string;
  bandAllowsMessaging: boolean;
}

/** Null when the patient may message; otherwise the first missing condition of rule 1. */
export function messagingEligibility(f: EligibilityFacts): EligibilityCode | null {
  if (!f.portalEnabled) return 'portal_disabled';
  if (f.accountState !== 'active') return 'account_not_active';
  if (f.bandOnlineAccess === 'none') return 'band_not_online';
  if (!f.bandAllowsMessaging) return 'messaging_not_allowed';
  return null;
}

/** Whether the patient can use the portal at all (documents, medical data, shared-items email). */
export function hasPortalAccess(f: EligibilityFacts): boolean {
  const code = messagingEligibility(f);
  return code === null || code === 'messaging_not_allowed';
}

export const ELIGIBILITY_MESSAGES: Record<EligibilityCode, string> = {
  portal_disabled:
    'The Patient Portal is switched off at this clinic, so messages cannot be sent. Please contact the clinic by phone.',
  account_not_active:
    'Your portal account is not active, so messages cannot be sent. Please contact the clinic.',
  band_not_online:
    'Online access is not available for your account, so messages cannot be sent. Please contact the clinic.',
  messaging_not_allowed:
    'Online messaging is not available for your account. Please contact the clinic by phone.',
};

export interface Audience {
  shareWithPatient: boolean;
  roleIds: string[];
}

/** A staff message must reach someone besides its author: the patient, a role, or both. */
export function isAudienceEmpty(a: Audience): boolean {
  return !a.shareWithPatient && a.roleIds.length === 0;
}
