import { Alert, Anchor, Button, Stack, Text, TextInput } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useRef, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useLocation } from 'react-router';
import { fieldError } from '../lib/api';
import type { SessionApi } from '../lib/session';
import { AuthCard } from './auth-card';
import { useFocusOnError } from './focus-on-error';
import { FormAlert } from './form-alert';

/** Asks for a reset link; the answer is the same whether or not the email is known. */
export function ForgottenPasswordPage<S>(props: {
  /** Which app this is, shown above the title. */
  appName: string;
  api: Pick<SessionApi<S>, 'rememberedClinic' | 'requestReset'>;
  /** Under the answer, from the clinic code given: e.g. whom to call when no email comes. */
  help?: (chamber: string) => ReactNode;
}) {
  const [chamber, setChamber] = useState(() => props.api.rememberedClinic());
  const [email, setEmail] = useState('');
  const request = useMutation({ mutationFn: props.api.requestReset });
  const form = useRef<HTMLFormElement>(null);
  useFocusOnError(form, request.error);
  const { search } = useLocation();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    request.mutate({ chamber: chamber.trim(), email: email.trim() });
  };
  return (
    <AuthCard above={props.appName} title="Forgotten password">
      {request.isSuccess ? (
        <>
          <Alert color="teal" role="status">
            {request.data.message}
          </Alert>
          {props.help?.(request.variables.chamber)}
        </>
      ) : (
        <form ref={form} onSubmit={submit} noValidate>
          <Stack gap="sm">
            <Text size="sm">We will email you a link to choose a new password.</Text>
            <FormAlert error={request.error} fields={['chamber', 'email']} />
            <TextInput
              label="Clinic code"
              required
              value={chamber}
              onChange={(e) => setChamber(e.currentTarget.value)}
              error={fieldError(request.error, 'chamber')}
            />
            <TextInput
              label="Email"
              type="email"
              required
              autoComplete="username"
              value={email}
              onChange={(e) => setEmail(e.currentTarget.value)}
              error={fieldError(request.error, 'email')}
            />
            <Button type="submit" loading={request.isPending}>
              Email me a link
            </Button>
          </Stack>
        </form>
      )}
      <Anchor component={Link} to={{ pathname: '/', search }} size="sm">
        Back to sign in
      </Anchor>
    </AuthCard>
  );
}
