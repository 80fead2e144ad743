import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type ComponentType } from 'react';
import { onUnauthenticated } from '../lib/api';
import { resetCache } from '../lib/query';
import type { SessionApi } from '../lib/session';
import { IdleWarning } from './idle-warning';
import { SessionExpired } from './session-expired';
import type { SignInHelp } from './sign-in-form';
import { SignInPage } from './sign-in-page';
import { ErrorState, Loading } from './states';

/** What the frame needs of either app's session. */
export interface FramedSession {
  chamber: { key: string };
  sessionIdleMinutes: number;
}

/** What the frame hands to the app it wraps. */
export interface Frame<S> {
  session: S;
  /** The session ended while signed in: the sign-in dialog is open over the page. */
  expired: boolean;
  signOut: () => Promise<void>;
}

/**
 * The session around either app: sign-in while signed out; once signed in, the app, a warning
 * before an idle session ends and, when it has ended (any answer 401), signing in again over
 * the page so nothing typed is lost. Another person signing in there starts from an empty cache.
 */
export function SessionFrame<S extends FramedSession>(props: {
  api: SessionApi<S>;
  /** The sign-in page's title, the line under it, and what it adds under a refusal. */
  signIn: { title: string; subtitle: string; help?: SignInHelp };
  /** The app around the page: header, navigation, the page's outlet. */
  shell: ComponentType<Frame<S>>;
}) {
  const { api, shell: Shell } = props;
  const session = api.useSession();
  const signOut = api.useSignOut();
  const client = useQueryClient();
  const [expired, setExpired] = useState(false);
  // A 401 means the session ended while signed in; answers arriving after sign-out do not count.
  useEffect(
    () =>
      onUnauthenticated(() => {
        if (client.getQueryData(['session'])) setExpired(true);
      }),
    [client],
  );

  if (session.isPending) return <Loading />;
  if (session.isError)
    return <ErrorState error={session.error} onRetry={() => void session.refetch()} />;
  if (!session.data) return <SignInPage {...props.signIn} api={api} />;
  const s = session.data;
  return (
    <>
      <Shell session={s} expired={expired} signOut={signOut} />
      <IdleWarning
        idleMinutes={expired ? undefined : s.sessionIdleMinutes}
        onStay={() => void api.keepAlive()}
        onSignOut={() => void signOut()}
      />
      <SessionExpired
        opened={expired}
        chamber={s.chamber.key}
        email={api.email?.(s)}
        signIn={async (values) => {
          const next = await api.signIn(values);
          if (api.personId(next) !== api.personId(s)) resetCache(client, next);
          else client.setQueryData(['session'], next);
          await client.invalidateQueries();
          setExpired(false);
        }}
      />
    </>
  );
}
