import { Anchor, Button, Stack, TextInput } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { fieldError } from '../lib/api';
import type { SignIn } from '../../common/contract/auth.js';
import { useFocusOnError } from './focus-on-error';
import { FormAlert } from './form-alert';
import { PasswordField } from './password-field';

/**
 * What an app adds under a refused sign-in, from the clinic code tried and the refusal (e.g.
 * the clinic's phone when the account is blocked); null for nothing.
 */
export type SignInHelp = (attempt: { chamber: string; error: unknown }) => ReactNode;

/**
 * Clinic code, email and password; the error of the last attempt is shown next to its field.
 * An app may add other ways to sign in (`alternatives`), and keep the password behind a toggle
 * (`passwordToggle`, its label) where the clinic signs in another way.
 */
export function SignInForm(props: {
  defaultChamber: string;
  defaultEmail?: string;
  signIn: (values: SignIn) => Promise<unknown>;
  help?: SignInHelp;
  /** Told of the clinic code as it is typed, to offer that clinic's ways to sign in. */
  onChamberChange?: (chamber: string) => void;
  /** Other ways to sign in: under the password, or under the clinic code when it is hidden. */
  alternatives?: ReactNode;
  /** When given, the email and password are shown only after pressing a button of this label. */
  passwordToggle?: string;
}) {
  const [chamber, setChamber] = useState(props.defaultChamber);
  const [email, setEmail] = useState(props.defaultEmail ?? '');
  const [password, setPassword] = useState('');
  const [passwordOpened, setPasswordOpened] = useState(false);
  const attempt = useMutation({ mutationFn: props.signIn });
  const form = useRef<HTMLFormElement>(null);
  const passwordId = useId();
  useFocusOnError(form, attempt.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    attempt.mutate({ chamber: chamber.trim(), email: email.trim(), password });
  };
  const hidden = props.passwordToggle !== undefined && !passwordOpened;
  return (
    <form ref={form} onSubmit={submit} noValidate>
      <Stack gap="sm">
        <FormAlert error={attempt.error} fields={['chamber', 'email', 'password']} />
        <TextInput
          label="Clinic code"
          required
          autoComplete="organization"
          value={chamber}
          onChange={(e) => {
            setChamber(e.currentTarget.value);
            props.onChamberChange?.(e.currentTarget.value.trim());
          }}
          error={fieldError(attempt.error, 'chamber')}
        />
        {props.passwordToggle !== undefined && props.alternatives}
        {props.passwordToggle !== undefined && (
          <Anchor
            component="button"
            type="button"
            size="sm"
            onClick={() => setPasswordOpened((o) => !o)}
            aria-expanded={passwordOpened}
            aria-controls={passwordId}
            style={{ alignSelf: 'flex-start' }}
          >
            {props.passwordToggle}
          </Anchor>
        )}
        {!hidden && (
          <Stack gap="sm" id={passwordId}>
            <TextInput
              label="Email"
              type="email"
              required
              autoComplete="username"
              // In a dialog the cursor starts in the first field still to fill.
              data-autofocus={!props.defaultEmail || undefined}
              value={email}
              onChange={(e) => setEmail(e.currentTarget.value)}
              error={fieldError(attempt.error, 'email')}
            />
            <PasswordField
              label="Password"
              autoComplete="current-password"
              data-autofocus={Boolean(props.defaultEmail) || undefined}
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              error={fieldError(attempt.error, 'password')}
            />
            <Button type="submit" loading={attempt.isPending} fullWidth>
              Sign in
            </Button>
          </Stack>
        )}
        {attempt.isError &&
          props.help?.({ chamber: attempt.variables.chamber, error: attempt.error })}
        {props.passwordToggle === undefined && props.alternatives}
      </Stack>
    </form>
  );
}
