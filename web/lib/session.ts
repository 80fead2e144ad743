import { useQuery, useQueryClient, type UseQueryResult } from '@tanstack/react-query';
import type {
  PasswordResetAccepted,
  PasswordResetRequest,
  SetPassword,
  SignIn,
} from '../../common/contract/auth.js';
import type { Ok } from '../../common/contract/common.js';
import { ApiError, del, get, post } from './api';
import { clinicMemory } from './clinic';
import { resetCache } from './query';

/**
 * The session calls of one app: the portal's patient or the staff app's user. `P` is a sign-in
 * begun but not finished (staff: a second factor is due, rule 19); the portal has none.
 */
export interface SessionApi<S, P = never> {
  /** Who is signed in, to tell whether the same person signed in again. */
  personId: (session: S) => string;
  /** The email to sign in again with, when the app shows whose session it is. */
  email?: (session: S) => string;
  /** The signed-in person, a sign-in still to finish, or null when signed out. */
  useSession: () => UseQueryResult<S | P | null>;
  /** Signs in and remembers the clinic code for the next visit. */
  signIn: (values: SignIn) => Promise<S | P>;
  /** Whether an answer is a sign-in still to finish rather than a session. */
  isPending: (value: S | P) => value is P;
  /** Signs out and forgets every cached answer. */
  useSignOut: () => () => Promise<void>;
  /** Ends the session on the server only (a half-finished sign-in given up in a dialog). */
  endSession: () => Promise<unknown>;
  /** A request that keeps an idle session alive. */
  keepAlive: () => Promise<unknown>;
  requestReset: (values: PasswordResetRequest) => Promise<PasswordResetAccepted>;
  setPassword: (values: SetPassword) => Promise<Ok>;
  /** The clinic code from `?clinic=` or the one used last. */
  rememberedClinic: () => string;
  /** Remembers the clinic code signed in with (also by another way than the password). */
  rememberClinic: (key: string) => void;
}

/** How an app tells a sign-in still to finish from a session, and finds it again after a reload. */
export interface PendingSignIn<S, P> {
  is: (value: S | P) => value is P;
  /** The sign-in still to finish when the session answered 401 with this refusal, else null. */
  resume: (refusal: ApiError) => Promise<P | null>;
}

/** The session calls of an app, under `/api/v1/<app>/...`; both apps' sessions work alike. */
export function sessionApi<S, P = never>(
  app: 'portal' | 'staff',
  person: Pick<SessionApi<S, P>, 'personId' | 'email'>,
  pending?: PendingSignIn<S, P>,
): SessionApi<S, P> {
  const clinic = clinicMemory(`${app}.clinic`);
  const path = `/${app}/session`;
  const endSession = () => del<Ok>(path).catch(() => undefined);
  return {
    ...person,
    useSession: () =>
      useQuery({
        queryKey: ['session'],
        queryFn: async (): Promise<S | P | null> => {
          try {
            return await get<S>(path);
          } catch (error) {
            if (error instanceof ApiError && error.status === 401)
              return pending ? pending.resume(error) : null;
            throw error;
          }
        },
        staleTime: 30_000,
        // While a sign-in is half finished its step owns the screen (recovery codes may be on
        // it): coming back to the window must not swap it for the app.
        refetchOnWindowFocus: (query) => !(query.state.data && pending?.is(query.state.data)),
        refetchOnReconnect: (query) => !(query.state.data && pending?.is(query.state.data)),
      }),
    signIn: async (values) => {
      const session = await post<S | P>(path, values);
      clinic.remember(values.chamber);
      return session;
    },
    isPending: (value): value is P => pending?.is(value) ?? false,
    useSignOut: () => {
      const client = useQueryClient();
      return async () => {
        await endSession();
        resetCache(client, null);
      };
    },
    endSession,
    keepAlive: () => get(path),
    requestReset: (values) => post(`/${app}/password-reset`, values),
    setPassword: (values) => post(`/${app}/password`, values),
    rememberedClinic: () => clinic.remembered(),
    rememberClinic: (key) => clinic.remember(key),
  };
}
