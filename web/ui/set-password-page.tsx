import { Alert, Anchor, Button, List, Stack, Text } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { fieldError } from '../lib/api';
import type { SessionApi } from '../lib/session';
import { AuthCard } from './auth-card';
import { useFocusOnError } from './focus-on-error';
import { FormAlert } from './form-alert';
import { PasswordField } from './password-field';

/**
 * The page an invitation or reset email links to. The token travels in the address's
 * fragment, which browsers never send to a server, and is removed from the address bar at once.
 */
export function SetPasswordPage<S>(props: {
  /** Which app this is, shown above the title. */
  appName: string;
  api: Pick<SessionApi<S>, 'setPassword'>;
}) {
  const [token] = useState(() => {
    const t = new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';
    if (window.location.hash) window.history.replaceState(null, '', window.location.pathname);
    return t;
  });
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const save = useMutation({ mutationFn: props.api.setPassword });
  const form = useRef<HTMLFormElement>(null);
  useFocusOnError(form, save.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setMismatch(password !== confirm);
    if (password === confirm) save.mutate({ token, password });
  };
  return (
    <AuthCard above={props.appName} title="Choose your password" width={460}>
      {save.isSuccess ? (
        <>
          <Alert color="teal" role="status">
            Your password is set. You can sign in now.
          </Alert>
          <Button component={Link} to="/">
            Sign in
          </Button>
        </>
      ) : !token ? (
        <Alert color="red" role="alert">
          This link is incomplete. Please open the link from your email again, or ask for a new one.
        </Alert>
      ) : (
        <form ref={form} onSubmit={submit} noValidate>
          <Stack gap="sm">
            <Text size="sm">Your password needs:</Text>
            <List size="sm">
              <List.Item>at least 10 characters</List.Item>
              <List.Item>at least one letter and one digit</List.Item>
              <List.Item>not to be a commonly leaked password</List.Item>
              <List.Item>
                to be hard to guess: not built from your name, email or clinic, nor from patterns
                like “aaa” or “1234” (a few unusual words together work well)
              </List.Item>
            </List>
            <FormAlert error={save.error} fields={['password']} />
            <PasswordField
              label="New password"
              autoComplete="new-password"
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              error={fieldError(save.error, 'password')}
            />
            <PasswordField
              label="Repeat the new password"
              autoComplete="new-password"
              value={confirm}
              onChange={(e) => setConfirm(e.currentTarget.value)}
              error={mismatch ? 'The two passwords are not the same.' : undefined}
            />
            <Button type="submit" loading={save.isPending}>
              Set password
            </Button>
          </Stack>
        </form>
      )}
      <Anchor component={Link} to="/forgotten-password" size="sm">
        Ask for a new link
      </Anchor>
    </AuthCard>
  );
}
