import {
  Alert,
  Anchor,
  Button,
  Card,
  Container,
  List,
  PasswordInput,
  Stack,
  Text,
  Title,
} from '@mantine/core';
import { useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { fieldError, formError } from '../lib/api';
import { useFocusOnError } from './focus-on-error';

/**
 * The page an invitation or reset email links to. The token travels in the address's
 * fragment, which browsers never send to a server, and is removed from the address bar at once.
 */
export function SetPasswordPage(props: {
  /** Which app this is, shown above the title. */
  appName: string;
  setPassword: (values: { token: string; password: string }) => Promise<unknown>;
}) {
  const [token] = useState(() => {
    const t = new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';
    if (window.location.hash) window.history.replaceState(null, '', window.location.pathname);
    return t;
  });
  const [password, setPasswordValue] = useState('');
  const [confirm, setConfirm] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const form = useRef<HTMLFormElement>(null);
  useFocusOnError(form, error);
  const [mismatch, setMismatch] = useState(false);
  const [done, setDone] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setMismatch(password !== confirm);
    if (password !== confirm) return;
    setPending(true);
    setError(null);
    try {
      await props.setPassword({ token, password });
      setDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setPending(false);
    }
  };
  return (
    <Container size={460} py="xl">
      <Card withBorder padding="lg">
        <Stack>
          <div>
            <Text size="sm" c="dimmed">
              {props.appName}
            </Text>
            <Title order={1} size="h2">
              Choose your password
            </Title>
          </div>
          {done ? (
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
              This link is incomplete. Please open the link from your email again, or ask for a new
              one.
            </Alert>
          ) : (
            <form ref={form} onSubmit={submit} noValidate>
              <Stack gap="sm">
                <Text size="sm">Your password needs:</Text>
                <List size="sm">
                  <List.Item>at least 10 characters</List.Item>
                  <List.Item>at least one letter and one digit</List.Item>
                  <List.Item>not to be a commonly leaked password</List.Item>
                </List>
                {formError(error, ['password']) && (
                  <Alert color="red" role="alert">
                    {formError(error, ['password'])}
                  </Alert>
                )}
                <PasswordInput
                  label="New password"
                  required
                  autoComplete="new-password"
                  value={password}
                  onChange={(e) => setPasswordValue(e.currentTarget.value)}
                  error={fieldError(error, 'password')}
                  aria-invalid={Boolean(fieldError(error, 'password')) || undefined}
                />
                <PasswordInput
                  label="Repeat the new password"
                  required
                  autoComplete="new-password"
                  value={confirm}
                  onChange={(e) => setConfirm(e.currentTarget.value)}
                  error={mismatch ? 'The two passwords are not the same.' : undefined}
                  aria-invalid={mismatch || undefined}
                />
                <Button type="submit" loading={pending}>
                  Set password
                </Button>
              </Stack>
            </form>
          )}
          <Anchor component={Link} to="/forgotten-password" size="sm">
            Ask for a new link
          </Anchor>
        </Stack>
      </Card>
    </Container>
  );
}
