import {
  Alert,
  Anchor,
  Button,
  Card,
  Container,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useRef, useState, type FormEvent } from 'react';
import { Link, useLocation } from 'react-router';
import { fieldError, formError } from '../lib/api';
import { useFocusOnError } from './focus-on-error';

/** Asks for a reset link; the answer is the same whether or not the email is known. */
export function ForgottenPasswordPage(props: {
  /** Which app this is, shown above the title. */
  appName: string;
  defaultChamber: string;
  requestReset: (values: { chamber: string; email: string }) => Promise<{ message: string }>;
}) {
  const [chamber, setChamber] = useState(props.defaultChamber);
  const [email, setEmail] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const form = useRef<HTMLFormElement>(null);
  useFocusOnError(form, error);
  const [done, setDone] = useState<string | null>(null);
  const { search } = useLocation();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setPending(true);
    setError(null);
    try {
      setDone((await props.requestReset({ chamber: chamber.trim(), email: email.trim() })).message);
    } catch (err) {
      setError(err);
    } finally {
      setPending(false);
    }
  };
  return (
    <Container size={420} py="xl">
      <Card withBorder padding="lg">
        <Stack>
          <div>
            <Text size="sm" c="dimmed">
              {props.appName}
            </Text>
            <Title order={1} size="h2">
              Forgotten password
            </Title>
          </div>
          {done ? (
            <Alert color="teal" role="status">
              {done}
            </Alert>
          ) : (
            <form ref={form} onSubmit={submit} noValidate>
              <Stack gap="sm">
                <Text size="sm">We will email you a link to choose a new password.</Text>
                {formError(error, ['chamber', 'email']) && (
                  <Alert color="red" role="alert">
                    {formError(error, ['chamber', 'email'])}
                  </Alert>
                )}
                <TextInput
                  label="Clinic code"
                  required
                  value={chamber}
                  onChange={(e) => setChamber(e.currentTarget.value)}
                  error={fieldError(error, 'chamber')}
                />
                <TextInput
                  label="Email"
                  type="email"
                  required
                  autoComplete="username"
                  value={email}
                  onChange={(e) => setEmail(e.currentTarget.value)}
                  error={fieldError(error, 'email')}
                />
                <Button type="submit" loading={pending}>
                  Email me a link
                </Button>
              </Stack>
            </form>
          )}
          <Anchor component={Link} to={{ pathname: '/', search }} size="sm">
            Back to sign in
          </Anchor>
        </Stack>
      </Card>
    </Container>
  );
}
