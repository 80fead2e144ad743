import { Alert, Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { fieldError, formError } from '../lib/api';

export interface SignInValues {
  chamber: string;
  email: string;
  password: string;
}

/** Clinic code, email and password; the error of the last attempt is shown next to its field. */
export function SignInForm(props: {
  defaultChamber: string;
  defaultEmail?: string;
  pending: boolean;
  error: unknown;
  onSubmit: (values: SignInValues) => void;
  submitLabel?: string;
}) {
  const [chamber, setChamber] = useState(props.defaultChamber);
  const [email, setEmail] = useState(props.defaultEmail ?? '');
  const [password, setPassword] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    props.onSubmit({ chamber: chamber.trim(), email: email.trim(), password });
  };
  const general = formError(props.error, ['chamber', 'email']);
  return (
    <form onSubmit={submit} noValidate>
      <Stack gap="sm">
        {general && (
          <Alert color="red" role="alert">
            {general}
          </Alert>
        )}
        <TextInput
          label="Clinic code"
          required
          autoComplete="organization"
          value={chamber}
          onChange={(e) => setChamber(e.currentTarget.value)}
          error={fieldError(props.error, 'chamber')}
        />
        <TextInput
          label="Email"
          type="email"
          required
          autoComplete="username"
          value={email}
          onChange={(e) => setEmail(e.currentTarget.value)}
          error={fieldError(props.error, 'email')}
        />
        <PasswordInput
          label="Password"
          required
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
        />
        <Button type="submit" loading={props.pending} fullWidth>
          {props.submitLabel ?? 'Sign in'}
        </Button>
      </Stack>
    </form>
  );
}
