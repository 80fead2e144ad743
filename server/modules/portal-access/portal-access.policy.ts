import { sql } from 'drizzle-orm';
import type { EligibilityCode } from '../../../common/contract/messaging.js';
import { chambers, chargeBands, portalAccounts } from '../../db/schema.js';

export type { EligibilityCode };

/** What SPEC rule 1 looks at: the chamber's portal switch, the account, the charge band. */
export interface EligibilityFacts {
  portalEnabled: boolean;
  accountState: string | null;
  bandOnlineAccess: string;
  bandAllowsMessaging: boolean;
}

/** What a patient asks to use: messaging needs every condition, the portal all but the tick. */
export type PortalNeed = 'messaging' | 'portal';

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

/**
 * `hasPortalAccess` (rule 1 without the messaging tick) as an SQL condition over `chambers`,
 * `portal_accounts` and `charge_bands` joined to the patient, for look-ups of many patients.
 */
export const hasPortalAccessSql = sql`(${chambers.patientPortalEnabled} and ${portalAccounts.state} = 'active' and ${chargeBands.onlineAccess} <> 'none')`;

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

/** The refusal of rule 1 for what the patient asks to use, or null when it is allowed. */
export function accessRefusal(
  f: EligibilityFacts,
  need: PortalNeed,
): { code: EligibilityCode; message: string } | null {
  const code = messagingEligibility(f);
  if (!code || (need === 'portal' && hasPortalAccess(f))) return null;
  const message =
    need === 'messaging'
      ? ELIGIBILITY_MESSAGES[code]
      : ELIGIBILITY_MESSAGES[code].replace(
          'so messages cannot be sent',
          'so the portal cannot be used',
        );
  return { code, message };
}
