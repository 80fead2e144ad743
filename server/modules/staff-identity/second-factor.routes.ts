import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { StaffSession } from '../../../common/contract/auth.js';
import {
  ConfirmTotp,
  FactorAdded,
  NewPasskey,
  PasskeySignIn,
  PasskeySignInStart,
  RecoveryCodes,
  SecondFactorAnswer,
  SecondFactorDue,
  SecondFactors,
  TotpSetUp,
  WebAuthnCreationOptions,
  WebAuthnOptions,
} from '../../../common/contract/staff-identity.js';
import type { ServiceContext } from '../../lib/context.js';
import { IdParams, Ok, withErrors } from '../../lib/schemas.js';
import { staffOf, type CookieNames } from '../../plugins/auth.js';
import type { AuthService, NewSession } from '../auth/auth.service.js';
import { createSecondFactorService } from './second-factor.service.js';

export interface SecondFactorRouteOptions {
  ctx: ServiceContext;
  auth: AuthService;
  cookies: CookieNames;
  secureCookies: boolean;
  signInRateLimit: number;
}

const SIGN_IN_TAG = 'Staff sign-in';
const ME_TAG = 'Two-step verification';

/** Second factors (rule 19): the second step of sign-in, passkey sign-in, and enrolment. */
export const secondFactorRoutes: FastifyPluginAsyncTypebox<SecondFactorRouteOptions> = async (
  app,
  opts,
) => {
  const factors = createSecondFactorService(opts.ctx, opts.auth);
  // Counted in the database, like password sign-in: the limit holds across web processes.
  const limited = {
    rateLimit: { max: opts.signInRateLimit, timeWindow: '1 minute', shared: true },
  };
  /** A finished sign-in gets a new cookie: the half session's token no longer works. */
  const setSession = (reply: FastifyReply, session: NewSession | null) => {
    if (!session) return;
    reply.setCookie(opts.cookies.staff, session.token, {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      secure: opts.secureCookies,
    });
  };

  app.get(
    '/api/v1/staff/session/second-factor',
    {
      config: { auth: 'staff-pending' },
      schema: {
        tags: [SIGN_IN_TAG],
        summary: 'The second step a half-signed-in session is at (409 when fully signed in)',
        response: withErrors({ 200: SecondFactorDue }),
      },
    },
    async (request) => factors.step(staffOf(request)),
  );

  app.post(
    '/api/v1/staff/session/second-factor/passkey-options',
    {
      config: { auth: 'staff-pending', ...limited },
      schema: {
        tags: [SIGN_IN_TAG],
        summary: "A WebAuthn challenge for the user's passkeys, for the second step",
        response: withErrors({ 200: WebAuthnOptions }),
      },
    },
    async (request) => factors.stepPasskeyOptions(staffOf(request)),
  );

  app.post(
    '/api/v1/staff/session/second-factor',
    {
      config: { auth: 'staff-pending', ...limited },
      schema: {
        tags: [SIGN_IN_TAG],
        summary: 'The second step: an authenticator code, a recovery code, or a passkey',
        description:
          'Right: the session is fully signed in under a new cookie. Wrong: 401 invalid_code (or passkey_refused); wrong answers count with wrong passwords, and the fifth in a row locks the user for 15 minutes (403 account_locked) and ends the half-signed-in session.',
        body: SecondFactorAnswer,
        response: withErrors({ 200: StaffSession }),
      },
    },
    async (request, reply) => {
      const done = await factors.answerStep(staffOf(request), request.body);
      setSession(reply, done);
      return done.session;
    },
  );

  app.post(
    '/api/v1/staff/passkey-options',
    {
      config: { auth: 'public', ...limited },
      schema: {
        tags: [SIGN_IN_TAG],
        summary: 'A WebAuthn challenge to sign in with a passkey alone (no password)',
        body: PasskeySignInStart,
        response: withErrors({ 200: WebAuthnOptions }),
      },
    },
    async (request) => factors.signInOptions(request.body),
  );

  app.post(
    '/api/v1/staff/session/passkey',
    {
      config: { auth: 'public', ...limited },
      schema: {
        tags: [SIGN_IN_TAG],
        summary: 'Sign in with a passkey: it stands for both the password and the second step',
        description:
          'The authenticator must have verified the user (PIN or biometrics). Sets the session cookie like a password sign-in.',
        body: PasskeySignIn,
        response: withErrors({ 200: Type.Union([StaffSession, SecondFactorDue]) }),
      },
    },
    async (request, reply) => {
      const done = await factors.signInWithPasskey(
        { kind: 'anonymous', ip: request.ip },
        request.body,
      );
      setSession(reply, done);
      return done.session;
    },
  );

  app.get(
    '/api/v1/me/second-factors',
    {
      config: { auth: 'staff-set-up' },
      schema: {
        tags: [ME_TAG],
        summary: "The signed-in user's passkeys, authenticator app and recovery codes left",
        response: withErrors({ 200: SecondFactors }),
      },
    },
    async (request) => factors.list(staffOf(request)),
  );

  app.post(
    '/api/v1/me/second-factors/passkeys/options',
    {
      config: { auth: 'staff-set-up' },
      schema: {
        tags: [ME_TAG],
        summary: 'Add passkey, step 1: the WebAuthn creation options',
        response: withErrors({ 200: WebAuthnCreationOptions }),
      },
    },
    async (request) => factors.passkeyOptions(staffOf(request)),
  );

  app.post(
    '/api/v1/me/second-factors/passkeys',
    {
      config: { auth: 'staff-set-up' },
      schema: {
        tags: [ME_TAG],
        summary: "Add passkey, step 2: the browser's new credential",
        description:
          'The first factor comes with ten recovery codes, shown once. A session that had to set up two-step verification is then fully signed in (new cookie).',
        body: NewPasskey,
        response: withErrors({ 200: FactorAdded }),
      },
    },
    async (request, reply) => {
      const { newSession, ...added } = await factors.addPasskey(staffOf(request), request.body);
      setSession(reply, newSession);
      return added;
    },
  );

  app.post(
    '/api/v1/me/second-factors/totp/set-up',
    {
      config: { auth: 'staff-set-up' },
      schema: {
        tags: [ME_TAG],
        summary: 'Set up authenticator app, step 1: a new secret to scan (10 minutes)',
        response: withErrors({ 200: TotpSetUp }),
      },
    },
    async (request) => factors.totpSetUp(staffOf(request)),
  );

  app.post(
    '/api/v1/me/second-factors/totp',
    {
      config: { auth: 'staff-set-up' },
      schema: {
        tags: [ME_TAG],
        summary: 'Set up authenticator app, step 2: a code from the app confirms it',
        body: ConfirmTotp,
        response: withErrors({ 200: FactorAdded }),
      },
    },
    async (request, reply) => {
      const { newSession, ...added } = await factors.confirmTotp(staffOf(request), request.body);
      setSession(reply, newSession);
      return added;
    },
  );

  app.delete(
    '/api/v1/me/second-factors/:id',
    {
      config: { auth: 'staff' },
      schema: {
        tags: [ME_TAG],
        summary: 'Remove a passkey or the authenticator app',
        description:
          'The last one cannot be removed while the clinic requires two-step verification (409 last_factor_required).',
        params: IdParams,
        response: withErrors({ 200: Ok }),
      },
    },
    async (request) => {
      await factors.remove(staffOf(request), request.params.id);
      return { ok: true as const };
    },
  );

  app.post(
    '/api/v1/me/second-factors/recovery-codes',
    {
      config: { auth: 'staff' },
      schema: {
        tags: [ME_TAG],
        summary: 'Ten new recovery codes, shown once; the old ones stop working',
        response: withErrors({ 200: RecoveryCodes }),
      },
    },
    async (request) => factors.newRecoveryCodes(staffOf(request)),
  );

  app.delete(
    '/api/v1/admin/users/:id/second-factors',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Reset two-step verification of a user',
        description:
          "Removes the user's passkeys, authenticator app and recovery codes, ends their sessions and emails them.",
        params: IdParams,
        response: withErrors({ 200: Ok }),
      },
    },
    async (request) => {
      await factors.reset(staffOf(request), request.params.id);
      return { ok: true as const };
    },
  );
};
