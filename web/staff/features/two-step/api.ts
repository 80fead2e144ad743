import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { del, get, post } from '../../../lib/api';
import type { Ok } from '../../../../common/contract/common.js';
import type {
  ConfirmTotp,
  FactorAdded,
  NewPasskey,
  RecoveryCodes,
  SecondFactors,
  TotpSetUp,
  WebAuthnOptions,
} from '../../../../common/contract/staff-identity.js';
import { createPasskey } from './passkey';

const key = ['two-step'];

/** The signed-in user's second factors: passkeys, the authenticator app, recovery codes left. */
export const useSecondFactors = () =>
  useQuery({ queryKey: key, queryFn: () => get<SecondFactors>('/me/second-factors') });

/** A change to the user's factors: their list is read again. */
function useFactorMutation<T, R>(fn: (input: T) => Promise<R>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => client.invalidateQueries({ queryKey: key }),
  });
}

/** Add passkey: the browser makes a credential for the server's challenge; the server keeps it. */
export const useAddPasskey = () =>
  useFactorMutation(async (name: string) => {
    const options = await post<WebAuthnOptions>('/me/second-factors/passkeys/options');
    const response = await createPasskey(options);
    return post<FactorAdded>('/me/second-factors/passkeys', {
      name,
      challengeId: options.challengeId,
      response,
    } satisfies NewPasskey);
  });

/** Set up authenticator app, first half: a new secret to scan (kept unconfirmed a few minutes). */
export const useStartTotp = () =>
  useMutation({ mutationFn: () => post<TotpSetUp>('/me/second-factors/totp/set-up') });

/** Set up authenticator app, second half: a code from the app confirms the secret. */
export const useConfirmTotp = () =>
  useFactorMutation((input: ConfirmTotp) => post<FactorAdded>('/me/second-factors/totp', input));

export const useRemoveFactor = () =>
  useFactorMutation((id: string) => del<Ok>(`/me/second-factors/${id}`));

/** Ten new recovery codes; the old ones stop working. */
export const useNewRecoveryCodes = () =>
  useFactorMutation(() => post<RecoveryCodes>('/me/second-factors/recovery-codes'));
