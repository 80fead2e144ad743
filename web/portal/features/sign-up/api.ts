import { useQuery } from '@tanstack/react-query';
import { get, post } from '../../../lib/api';
import type { ClinicInfo } from '../../../../common/contract/clinic.js';
import type {
  ConfirmSignUp,
  SignUp,
  SignUpAccepted,
  SignUpConfirmed,
} from '../../../../common/contract/sign-up.js';

/** Self sign-up (rule 17): answers the same "Check your email" for every well-formed form. */
export const signUp = (values: SignUp) => post<SignUpAccepted>('/portal/sign-up', values);

/**
 * Confirms a sign-up with the token of its emailed link and the password chosen on the form:
 * the account becomes Active.
 */
export const confirmSignUp = (values: ConfirmSignUp) =>
  post<SignUpConfirmed>('/portal/sign-up/confirm', values);

/**
 * The clinic of a clinic code, to show its name before sign-in; nothing without a code (never
 * the signed-in patient's own clinic) and nothing for an unknown one.
 */
export function useClinicByCode(code: string) {
  const key = code.trim();
  return useQuery({
    enabled: key !== '',
    queryKey: ['portal', 'clinic', key],
    queryFn: () => get<ClinicInfo>(`/portal/clinic?chamber=${encodeURIComponent(key)}`),
    staleTime: 5 * 60_000,
    retry: false,
  });
}
