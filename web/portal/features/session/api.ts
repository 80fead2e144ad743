import { sessionApi, type SessionApi } from '../../../lib/session';
import type { PortalSession } from '../../../../common/contract/auth.js';
import { rememberedClinicLink } from './clinic-link';

// The person is the signed-in account, not the patient it acts for (rule 18): signing in again
// as the same account keeps the page and its drafts whoever it then acts for.
const session = sessionApi<PortalSession>('portal', {
  personId: (s) => s.account.id,
  email: (s) => s.account.email,
});

/**
 * The patient's session: sign-in, sign-out, password reset, the remembered clinic code (from
 * `?clinic=`, else the clinic link followed here, else the code signed in with last).
 */
export const portalSession: SessionApi<PortalSession> = {
  ...session,
  rememberedClinic: () =>
    new URLSearchParams(window.location.search).get('clinic') ||
    rememberedClinicLink() ||
    session.rememberedClinic(),
};
