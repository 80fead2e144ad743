import type { Audience } from '../../../common/contract/messaging.js';

export type { Audience };

/** A staff message must reach someone besides its author: the patient, a role, or both. */
export function isAudienceEmpty(a: Audience): boolean {
  return !a.shareWithPatient && a.roleIds.length === 0;
}
