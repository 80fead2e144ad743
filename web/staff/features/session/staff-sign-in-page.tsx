import { Alert, Button, Divider, Stack } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useLocation } from 'react-router';
import { resetCache } from '../../../lib/query';
import { AuthCard } from '../../../ui/auth-card';
import { FormAlert } from '../../../ui/form-alert';
import { SignInForm } from '../../../ui/sign-in-form';
import { ForgottenPasswordLink } from '../../../ui/sign-in-page';
import { LABELS } from '../../../../common/labels';
import { localhostAddress, PasskeyAddressHint } from '../two-step/components';
import { signInWithPasskey, staffSession, useSignInOptions } from './api';
import { openedAtIpAddress } from '../two-step/passkey';

/** Why single sign-on sent the person back (`?sso_error=`), in a sentence for each reason. */
const SSO_ERRORS: Record<string, string> = {
  wrong_state:
    'Single sign-on did not finish: the sign-in request was not recognised or had expired. Please try again.',
  wrong_nonce:
    'Single sign-on did not finish: the identity provider’s answer did not belong to this sign-in. Please try again.',
  email_not_verified:
    'Your identity provider has not verified your email address, so it cannot sign you in here. Please ask your IT administrator.',
  unknown_user:
    'No staff user of this clinic has the email address your identity provider gave. Please ask an administrator to add you with that email.',
  inactive: 'Your user is Inactive at this clinic. Please ask an administrator.',
  locked:
    'Too many failed sign-ins: your user is locked for a few minutes. Please try again later.',
  provider_error:
    'The identity provider could not sign you in (it reported a problem, or the sign-in was cancelled). Please try again.',
  not_configured: 'Single sign-on is not set up for this clinic.',
};
const SSO_ERROR_OTHER = 'Single sign-on did not finish. Please try again.';

/**
 * Staff sign-in: the clinic code, email and password, and, for the clinic typed, "Sign in with
 * a passkey" and "Sign in with <provider>" (rule 19). Where the clinic signs staff in through
 * single sign-on only, the password form waits behind a toggle for administrators.
 */
export function StaffSignInPage({ notice }: { notice: string | null }) {
  const client = useQueryClient();
  const { search } = useLocation();
  const [chamber, setChamber] = useState(() => staffSession.rememberedClinic());
  const [debounced] = useDebouncedValue(chamber, 300);
  const options = useSignInOptions(debounced).data;
  // Read once: the reason stays on screen after it is taken out of the address.
  const [ssoError] = useState(() => new URLSearchParams(search).get('sso_error'));
  useEffect(() => {
    const url = new URL(window.location.href);
    if (!url.searchParams.has('sso_error')) return;
    url.searchParams.delete('sso_error');
    window.history.replaceState(window.history.state, '', url);
  }, []);
  const passkey = useMutation({
    mutationFn: () => signInWithPasskey(chamber),
    onSuccess: (session) => resetCache(client, session),
  });
  const passwordSignIn = options?.passwordSignIn ?? true;
  const atIp = openedAtIpAddress();
  const alternatives =
    options && (options.singleSignOn || options.passkeys) ? (
      <Stack gap="xs">
        {passwordSignIn && <Divider label="or" labelPosition="center" />}
        {options.singleSignOn && (
          <Button
            component="a"
            href={options.singleSignOn.startUrl}
            variant="default"
            fullWidth
            // Back from the provider (signed in or refused), the page knows the clinic again.
            onClick={() => staffSession.rememberClinic(debounced)}
          >
            {`${LABELS.signInWith} ${options.singleSignOn.name}`}
          </Button>
        )}
        {options.passkeys &&
          (atIp ? (
            // Browsers refuse passkeys at an IP address: the way in is the same page at localhost.
            <Button component="a" href={localhostAddress(chamber)} variant="default" fullWidth>
              Sign in with a passkey
            </Button>
          ) : (
            <Button
              variant="default"
              fullWidth
              loading={passkey.isPending}
              onClick={() => passkey.mutate()}
            >
              Sign in with a passkey
            </Button>
          ))}
        {options.passkeys && <PasskeyAddressHint chamber={chamber} />}
        <FormAlert error={passkey.error} />
      </Stack>
    ) : null;
  return (
    <AuthCard title="Staff sign-in" below="Patient messaging for clinic staff.">
      {notice && (
        <Alert color="orange" role="alert">
          {notice}
        </Alert>
      )}
      {ssoError && (
        <Alert color="red" role="alert" title="Single sign-on">
          {(Object.hasOwn(SSO_ERRORS, ssoError) && SSO_ERRORS[ssoError]) || SSO_ERROR_OTHER}
        </Alert>
      )}
      <SignInForm
        defaultChamber={chamber}
        onChamberChange={setChamber}
        signIn={async (values) => resetCache(client, await staffSession.signIn(values))}
        alternatives={alternatives}
        passwordToggle={passwordSignIn ? undefined : 'Administrator sign-in with password'}
      />
      <ForgottenPasswordLink search={search} />
    </AuthCard>
  );
}
