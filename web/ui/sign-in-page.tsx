import { Anchor } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { Link, useLocation } from 'react-router';
import { resetCache } from '../lib/query';
import type { SessionApi } from '../lib/session';
import { AuthCard } from './auth-card';
import { SignInForm, type SignInHelp } from './sign-in-form';

/** The sign-in card: title, the form (with the app's help after a refusal), the forgotten-password link. */
export function SignInPage<S>(props: {
  title: string;
  subtitle: string;
  api: SessionApi<S>;
  help?: SignInHelp;
}) {
  const client = useQueryClient();
  // The clinic code given in the address (?clinic=) goes along to the forgotten-password page.
  const { search } = useLocation();
  return (
    <AuthCard title={props.title} below={props.subtitle}>
      <SignInForm
        defaultChamber={props.api.rememberedClinic()}
        signIn={async (values) => resetCache(client, await props.api.signIn(values))}
        help={props.help}
      />
      <Anchor component={Link} to={{ pathname: '/forgotten-password', search }} size="sm">
        Forgotten password?
      </Anchor>
    </AuthCard>
  );
}
