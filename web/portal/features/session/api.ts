import { sessionApi } from '../../../lib/session';
import type { PortalSession } from '../../../../common/contract/auth.js';

/** The patient's session: sign-in, sign-out, password reset, the remembered clinic code. */
export const portalSession = sessionApi<PortalSession>('portal', { personId: (s) => s.patient.id });
