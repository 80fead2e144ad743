import { useQuery } from '@tanstack/react-query';
import { ApiError, get, post } from '../../../lib/api';
import { sessionApi } from '../../../lib/session';
import type { StaffSession } from '../../../../common/contract/auth.js';
import type { RoleList } from '../../../../common/contract/roles.js';
import type {
  PasskeySignIn,
  PasskeySignInStart,
  SecondFactorAnswer,
  SecondFactorDue,
  SignInOptions,
  WebAuthnOptions,
} from '../../../../common/contract/staff-identity.js';
import { assertPasskey } from '../two-step/passkey';

/**
 * The staff user's session: sign-in, sign-out, password reset, the remembered clinic code. A
 * right password may leave a second factor due (rule 19): that half-finished sign-in is found
 * again after a reload (the session answers 401 `second_factor_required`).
 */
export const staffSession = sessionApi<StaffSession, SecondFactorDue>(
  'staff',
  { personId: (s) => s.user.id, email: (s) => s.user.email },
  {
    is: (value): value is SecondFactorDue => 'next' in value,
    resume: async (refusal) => {
      if (refusal.code !== 'second_factor_required') return null;
      try {
        return await get<SecondFactorDue>('/staff/session/second-factor');
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) return null;
        throw error;
      }
    },
  },
);

/** The chamber's roles, for the reply form and User Management. */
export function useRoles() {
  return useQuery({
    queryKey: ['roles'],
    queryFn: () => get<RoleList>('/roles'),
    staleTime: 60_000,
  });
}

/** What the sign-in page offers for a clinic code (single sign-on, passkeys, the password). */
export function useSignInOptions(chamber: string) {
  return useQuery({
    queryKey: ['sign-in-options', chamber],
    queryFn: () =>
      get<SignInOptions>(`/staff/sign-in-options?chamber=${encodeURIComponent(chamber)}`),
    enabled: chamber !== '',
    staleTime: 60_000,
    retry: false,
  });
}

/**
 * Signs in with a passkey alone: it stands for the password and the second factor (when the
 * authenticator verified the user; otherwise a second step is still due).
 */
export async function signInWithPasskey(chamber: string): Promise<StaffSession | SecondFactorDue> {
  const options = await post<WebAuthnOptions>('/staff/passkey-options', {
    chamber,
  } satisfies PasskeySignInStart);
  const response = await assertPasskey(options);
  const session = await post<StaffSession | SecondFactorDue>('/staff/session/passkey', {
    chamber,
    challengeId: options.challengeId,
    response,
  } satisfies PasskeySignIn);
  staffSession.rememberClinic(chamber);
  return session;
}

/** Finishes a half-finished sign-in with a code or a passkey. */
export async function answerSecondFactor(
  answer: { method: 'totp' | 'recovery_code'; code: string } | { method: 'passkey' },
): Promise<StaffSession> {
  if (answer.method !== 'passkey')
    return post<StaffSession>('/staff/session/second-factor', answer satisfies SecondFactorAnswer);
  const options = await post<WebAuthnOptions>('/staff/session/second-factor/passkey-options');
  const response = await assertPasskey(options);
  return post<StaffSession>('/staff/session/second-factor', {
    method: 'passkey',
    challengeId: options.challengeId,
    response,
  } satisfies SecondFactorAnswer);
}

/** The signed-in user, read again (after setting up a factor finished the sign-in). */
export const readStaffSession = () => get<StaffSession>('/staff/session');
