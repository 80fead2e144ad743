import { Alert, Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { useRef, useState, type FormEvent } from 'react';
import { fieldError, formError } from '../lib/api';
import { useFocusOnError } from './focus-on-error';

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
  const form = useRef<HTMLFormElement>(null);
  useFocusOnError(form, props.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    props.onSubmit({ chamber: chamber.trim(), email: email.trim(), password });
  };
  const general = formError(props.error, ['chamber', 'email', 'password']);
  return (
    <form ref={form} onSubmit={submit} noValidate>
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
          // In a dialog the cursor starts in the first field still to fill.
          data-autofocus={!props.defaultEmail || undefined}
          value={email}
          onChange={(e) => setEmail(e.currentTarget.value)}
          error={fieldError(props.error, 'email')}
        />
        <PasswordInput
          label="Password"
          required
          autoComplete="current-password"
          data-autofocus={Boolean(props.defaultEmail) || undefined}
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
          error={fieldError(props.error, 'password')}
          // Mantine marks only its wrapper: tell assistive technology the field is invalid.
          aria-invalid={Boolean(fieldError(props.error, 'password')) || undefined}
        />
        <Button type="submit" loading={props.pending} fullWidth>
          {props.submitLabel ?? 'Sign in'}
        </Button>
      </Stack>
    </form>
  );
}
