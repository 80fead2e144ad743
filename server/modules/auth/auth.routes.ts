import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  PasswordResetAccepted,
  PasswordResetRequest,
  PortalSession,
  SetPassword,
  SignIn,
  StaffSession,
} from '../../../common/contract/auth.js';
import { SecondFactorDue } from '../../../common/contract/staff-identity.js';
import { Ok, withErrors } from '../../lib/schemas.js';
import { patientOf, staffOf, type CookieNames } from '../../plugins/auth.js';
import type { AccountKind, AuthService } from './auth.service.js';

export interface AuthRouteOptions {
  auth: AuthService;
  cookies: CookieNames;
  secureCookies: boolean;
  signInRateLimit: number;
}

/** Where each kind of account signs in, and what its session answers. */
const KINDS = {
  staff: {
    base: '/api/v1/staff',
    tag: 'Staff sign-in',
    session: StaffSession,
    // Rule 19: a right password may still leave a second factor due.
    signedIn: Type.Union([StaffSession, SecondFactorDue]),
    signOutAuth: 'staff-pending',
  },
  patient: {
    base: '/api/v1/portal',
    tag: 'Portal sign-in',
    session: PortalSession,
    signedIn: PortalSession,
    signOutAuth: 'patient',
  },
} as const;

const RESET_ANSWER =
  'If this email belongs to an account, a link to set a new password is on its way. It works for 15 minutes.';

/** Sign-in, sign-out, and password links, for staff (`/staff/...`) and patients (`/portal/...`). */
export const authRoutes: FastifyPluginAsyncTypebox<AuthRouteOptions> = async (app, opts) => {
  const { auth, cookies } = opts;
  // Counted in the database: the limit holds across every web process.
  const limited = {
    rateLimit: { max: opts.signInRateLimit, timeWindow: '1 minute', shared: true },
  };
  const cookieOptions = {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: opts.secureCookies,
  } as const;
  const actorOf = (kind: AccountKind, request: FastifyRequest) =>
    kind === 'staff' ? staffOf(request) : patientOf(request);

  for (const kind of ['staff', 'patient'] as const) {
    const { base, tag, session, signedIn: signInAnswer, signOutAuth } = KINDS[kind];
    const cookie = cookies[kind];

    app.post(
      `${base}/session`,
      {
        config: { auth: 'public', ...limited },
        schema: {
          tags: [tag],
          summary: 'Sign in with the chamber key, email and password',
          description:
            'Sets the session cookie (HttpOnly, SameSite=Strict) and answers the signed-in account. Five wrong passwords in a row lock a staff user for 15 minutes and block a portal account. Staff (rule 19): when a second factor is due the answer is `{ next: "second_factor", methods }` (or `set_up_second_factor` when the clinic requires one the user lacks) and the cookie holds a half-signed-in session for a few minutes.',
          body: SignIn,
          response: withErrors({ 200: signInAnswer }),
        },
      },
      async (request, reply) => {
        const signedIn = await auth.signIn(
          { kind: 'anonymous', ip: request.ip },
          kind,
          request.body,
        );
        reply.setCookie(cookie, signedIn.token, cookieOptions);
        return signedIn.session;
      },
    );

    app.get(
      `${base}/session`,
      {
        config: { auth: kind },
        schema: {
          tags: [tag],
          summary: 'The signed-in account, or 401',
          response: withErrors({ 200: session }),
        },
      },
      async (request) => auth.describe(actorOf(kind, request)),
    );

    app.delete(
      `${base}/session`,
      {
        // A half-signed-in staff session can be ended too.
        config: { auth: signOutAuth },
        schema: {
          tags: [tag],
          summary: 'Sign out: ends every session of the account, on every device',
          response: withErrors({ 200: Ok }),
        },
      },
      async (request, reply) => {
        await auth.signOut(actorOf(kind, request));
        reply.clearCookie(cookie, cookieOptions);
        return { ok: true as const };
      },
    );

    app.post(
      `${base}/password-reset`,
      {
        config: { auth: 'public', ...limited },
        schema: {
          tags: [tag],
          summary:
            'Ask for a password reset link (the answer never says whether the email is known)',
          body: PasswordResetRequest,
          response: withErrors({ 202: PasswordResetAccepted }),
        },
      },
      async (request, reply) => {
        await auth.requestPasswordReset({ kind: 'anonymous', ip: request.ip }, kind, request.body);
        return reply.status(202).send({ message: RESET_ANSWER });
      },
    );

    app.post(
      `${base}/password`,
      {
        config: { auth: 'public', ...limited },
        schema: {
          tags: [tag],
          summary:
            'Set a password with an invitation or reset link; ends every session of the account',
          body: SetPassword,
          response: withErrors({ 200: Ok }),
        },
      },
      async (request, reply) => {
        await auth.setPasswordWithLink({ kind: 'anonymous', ip: request.ip }, kind, request.body);
        reply.clearCookie(cookie, cookieOptions);
        return { ok: true as const };
      },
    );
  }
};
