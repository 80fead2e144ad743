import { Alert, Anchor } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { Link, useLocation } from 'react-router';
import { resetCache } from '../lib/query';
import type { SessionApi } from '../lib/session';
import { AuthCard } from './auth-card';
import { SignInForm, type SignInHelp } from './sign-in-form';

/** The sign-in card: title, the form (with the app's help after a refusal), the forgotten-password link. */
export function SignInPage<S, P>(props: {
  title: string;
  subtitle: string;
  api: SessionApi<S, P>;
  help?: SignInHelp;
  /** Why the person is here again (e.g. an unfinished sign-in ran out of time). */
  notice?: string | null;
}) {
  const client = useQueryClient();
  // The clinic code given in the address (?clinic=) goes along to the forgotten-password page.
  const { search } = useLocation();
  return (
    <AuthCard title={props.title} below={props.subtitle}>
      {props.notice && (
        <Alert color="orange" role="alert">
          {props.notice}
        </Alert>
      )}
      <SignInForm
        defaultChamber={props.api.rememberedClinic()}
        signIn={async (values) => resetCache(client, await props.api.signIn(values))}
        help={props.help}
      />
      <ForgottenPasswordLink search={search} />
    </AuthCard>
  );
}

/** "Forgotten password?", keeping the clinic code given in the address. */
export function ForgottenPasswordLink({ search }: { search: string }) {
  return (
    <Anchor component={Link} to={{ pathname: '/forgotten-password', search }} size="sm">
      Forgotten password?
    </Anchor>
  );
}
