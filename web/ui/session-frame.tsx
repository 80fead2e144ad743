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

/** What the frame hands to the step that finishes a sign-in begun with the password. */
export interface PendingStep<S, P> {
  pending: P;
  /** The sign-in is complete: the answer is the session. */
  signedIn: (session: S) => void;
  /** The step ran out of time (or was refused as signed out): sign in again, told why. */
  expired: (message: string) => void;
  /** Give up: the half-finished session is ended. */
  cancel: () => Promise<void>;
  /** Shown in the "Please sign in again" dialog rather than as a page. */
  inDialog: boolean;
}

/**
 * The session around either app: sign-in while signed out; once signed in, the app, a warning
 * before an idle session ends and, when it has ended (any answer 401), signing in again over
 * the page so nothing typed is lost. Another person signing in there starts from an empty cache.
 * An app whose sign-in can stop half way (staff: a second factor due) gives the step to show.
 */
export function SessionFrame<S extends FramedSession, P = never>(props: {
  api: SessionApi<S, P>;
  /** The sign-in page's title, the line under it, and what it adds under a refusal. */
  signIn: { title: string; subtitle: string; help?: SignInHelp };
  /** The app's own sign-in page, in place of the shared one; `notice` says why it is shown again. */
  signInPage?: ComponentType<{ notice: string | null }>;
  /** The step after the password, while a sign-in is half finished. */
  pendingStep?: ComponentType<PendingStep<S, P>>;
  /** The app around the page: header, navigation, the page's outlet. */
  shell: ComponentType<Frame<S>>;
}) {
  const { api, shell: Shell, pendingStep: Step, signInPage: OwnSignInPage } = props;
  const session = api.useSession();
  const signOut = api.useSignOut();
  const client = useQueryClient();
  const [expired, setExpired] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  // Signing in again over the page may stop half way too: the step is shown in the dialog.
  const [againPending, setAgainPending] = useState<{ pending: P } | null>(null);
  const [againNotice, setAgainNotice] = useState<string | null>(null);
  // A 401 means the session ended while signed in; answers arriving after sign-out, or during a
  // half-finished sign-in (whose step handles its own refusals), do not count.
  useEffect(
    () =>
      onUnauthenticated(() => {
        const data = client.getQueryData<S | P | null>(['session']);
        if (data && !api.isPending(data)) setExpired(true);
      }),
    [client, api],
  );

  if (session.isPending) return <Loading />;
  if (session.isError)
    return <ErrorState error={session.error} onRetry={() => void session.refetch()} />;
  const data = session.data;
  if (!data)
    return OwnSignInPage ? (
      <OwnSignInPage notice={notice} />
    ) : (
      <SignInPage {...props.signIn} api={api} notice={notice} />
    );
  if (api.isPending(data)) {
    if (!Step) return <Loading />;
    return (
      <Step
        pending={data}
        inDialog={false}
        signedIn={(next) => {
          setNotice(null);
          resetCache(client, next);
        }}
        expired={(message) => {
          setNotice(message);
          resetCache(client, null);
        }}
        cancel={signOut}
      />
    );
  }
  const s = data;
  const signedInAgain = async (next: S) => {
    if (api.personId(next) !== api.personId(s)) resetCache(client, next);
    else client.setQueryData(['session'], next);
    await client.invalidateQueries();
    setAgainPending(null);
    setAgainNotice(null);
    setExpired(false);
  };
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
        notice={againNotice}
        signIn={async (values) => {
          const next = await api.signIn(values);
          if (api.isPending(next)) setAgainPending({ pending: next });
          else await signedInAgain(next);
        }}
        step={
          againPending && Step ? (
            <Step
              pending={againPending.pending}
              inDialog
              signedIn={(next) => void signedInAgain(next)}
              expired={(message) => {
                setAgainNotice(message);
                setAgainPending(null);
              }}
              cancel={async () => {
                await api.endSession();
                setAgainPending(null);
              }}
            />
          ) : undefined
        }
      />
    </>
  );
}
