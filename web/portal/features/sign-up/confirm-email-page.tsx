import { Alert, Anchor, Button, Group, Stack, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, fieldError } from '../../../lib/api';
import { resetCache } from '../../../lib/query';
import { AuthCard } from '../../../ui/auth-card';
import { useFocusOnError } from '../../../ui/focus-on-error';
import { FormAlert } from '../../../ui/form-alert';
import { PasswordField } from '../../../ui/password-field';
import { LABELS } from '../../../../common/labels';
import { portalSession } from '../session/api';
import { clinicKeyOf, clinicLinkPath, rememberedClinicLink } from '../session/clinic-link';
import { confirmSignUp, useClinicByCode } from './api';

/**
 * The page a sign-up email links to (rule 17). The person types the password they chose on the
 * sign-up form: the email is confirmed (the account becomes Active) and they are signed in. The
 * password is asked so that only the one who chose it, and reads this email, can activate the
 * account. The token travels in the address's fragment, which browsers never send to a server,
 * and is removed from the address bar at once.
 */
export function ConfirmEmailPage() {
  const [token] = useState(() => {
    const t = new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';
    if (window.location.hash) window.history.replaceState(null, '', window.location.pathname);
    return t;
  });
  // The clinic of the link (or of the clinic link followed here), for its name and sign-in.
  const fromLink = clinicKeyOf(useParams().clinic) || rememberedClinicLink() || '';
  const linked = useClinicByCode(fromLink);
  const client = useQueryClient();
  const navigate = useNavigate();
  const [password, setPassword] = useState('');
  const confirm = useMutation({
    mutationFn: async (values: { token: string; password: string }) => {
      const confirmed = await confirmSignUp(values);
      // Confirmed: signed in at once with the same password (a refusal leaves the Sign in button).
      try {
        resetCache(
          client,
          await portalSession.signIn({
            chamber: confirmed.chamber.key,
            email: confirmed.email,
            password: values.password,
          }),
        );
        void navigate('/', { replace: true });
      } catch {
        // Shown as confirmed, with a way to sign in.
      }
      return confirmed;
    },
  });
  const form = useRef<HTMLFormElement>(null);
  useFocusOnError(form, confirm.error);

  const clinic = confirm.data?.chamber.key || (linked.data ? fromLink : '');
  const signInPath = clinic ? clinicLinkPath(clinic) : '/';
  const forgottenPath = clinic
    ? clinicLinkPath(clinic, 'forgotten-password')
    : '/forgotten-password';
  const linkInvalid =
    confirm.error instanceof ApiError && confirm.error.code === 'link_invalid'
      ? confirm.error.message
      : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    confirm.mutate({ token, password });
  };
  return (
    <AuthCard
      above={confirm.data?.chamber.name || linked.data?.name || LABELS.patientPortal}
      title="Confirm your email"
      width={480}
    >
      {!token ? (
        <Alert color="red" role="alert">
          This link is incomplete. Please open the link from your email again.
        </Alert>
      ) : confirm.isSuccess ? (
        <Stack gap="sm">
          <Alert color="teal" role="status" title="Your email is confirmed">
            Your Patient Portal account is ready. Sign in with{' '}
            <Text span fw={700} inherit style={{ overflowWrap: 'anywhere' }}>
              {confirm.data.email}
            </Text>{' '}
            and the password you chose.
          </Alert>
          <Button component={Link} to={signInPath}>
            Sign in
          </Button>
        </Stack>
      ) : linkInvalid ? (
        <Stack gap="sm">
          <Alert color="red" role="alert">
            {linkInvalid}
          </Alert>
          <Group gap="md">
            <Anchor component={Link} to={signInPath} size="sm">
              Sign in
            </Anchor>
            <Anchor component={Link} to={forgottenPath} size="sm">
              Forgotten password?
            </Anchor>
          </Group>
        </Stack>
      ) : (
        <form ref={form} onSubmit={submit} noValidate>
          <Stack gap="sm">
            <Text size="sm">
              To finish signing up, type the password you chose when you signed up. Then you are
              signed in.
            </Text>
            <FormAlert error={confirm.error} fields={['password']} />
            <PasswordField
              label="Password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              error={fieldError(confirm.error, 'password')}
            />
            <Button type="submit" loading={confirm.isPending}>
              Confirm and sign in
            </Button>
            <Anchor component={Link} to={forgottenPath} size="sm">
              Forgotten your password?
            </Anchor>
          </Stack>
        </form>
      )}
    </AuthCard>
  );
}
