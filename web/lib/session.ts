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

/** The session calls of one app: the portal's patient or the staff app's user. */
export interface SessionApi<S> {
  /** Who is signed in, to tell whether the same person signed in again. */
  personId: (session: S) => string;
  /** The email to sign in again with, when the app shows whose session it is. */
  email?: (session: S) => string;
  /** The signed-in person, or null when signed out. */
  useSession: () => UseQueryResult<S | null>;
  /** Signs in and remembers the clinic code for the next visit. */
  signIn: (values: SignIn) => Promise<S>;
  /** Signs out and forgets every cached answer. */
  useSignOut: () => () => Promise<void>;
  /** A request that keeps an idle session alive. */
  keepAlive: () => Promise<unknown>;
  requestReset: (values: PasswordResetRequest) => Promise<PasswordResetAccepted>;
  setPassword: (values: SetPassword) => Promise<Ok>;
  /** The clinic code from `?clinic=` or the one used last. */
  rememberedClinic: () => string;
}

/** The session calls of an app, under `/api/v1/<app>/...`; both apps' sessions work alike. */
export function sessionApi<S>(
  app: 'portal' | 'staff',
  person: Pick<SessionApi<S>, 'personId' | 'email'>,
): SessionApi<S> {
  const clinic = clinicMemory(`${app}.clinic`);
  const path = `/${app}/session`;
  return {
    ...person,
    useSession: () =>
      useQuery({
        queryKey: ['session'],
        queryFn: async () => {
          try {
            return await get<S>(path);
          } catch (error) {
            if (error instanceof ApiError && error.status === 401) return null;
            throw error;
          }
        },
        staleTime: 30_000,
      }),
    signIn: async (values) => {
      const session = await post<S>(path, values);
      clinic.remember(values.chamber);
      return session;
    },
    useSignOut: () => {
      const client = useQueryClient();
      return async () => {
        await del<Ok>(path).catch(() => undefined);
        resetCache(client, null);
      };
    },
    keepAlive: () => get(path),
    requestReset: (values) => post(`/${app}/password-reset`, values),
    setPassword: (values) => post(`/${app}/password`, values),
    rememberedClinic: () => clinic.remembered(),
  };
}
