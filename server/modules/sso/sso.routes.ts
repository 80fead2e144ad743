import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  SignInOptions,
  SignInOptionsQuery,
  SsoSettings,
  SsoSettingsChanges,
  SsoStartQuery,
} from '../../../common/contract/staff-identity.js';
import type { ServiceContext } from '../../lib/context.js';
import { Ok, withErrors } from '../../lib/schemas.js';
import { staffOf, type CookieNames } from '../../plugins/auth.js';
import type { AuthService } from '../auth/auth.service.js';
import { createSsoService, SSO_REQUEST_MS } from './sso.service.js';

export interface SsoRouteOptions {
  ctx: ServiceContext;
  auth: AuthService;
  cookies: CookieNames;
  secureCookies: boolean;
  signInRateLimit: number;
}

/** A browser navigation answered with a redirect (no body). */
const Redirect = (description: string) =>
  Type.Null({
    description,
    headers: { location: { type: 'string', description: 'where the browser goes next' } },
  });

/**
 * The provider's answer (RFC 6749 4.1.2, RFC 9207): every parameter is read, none refused here,
 * since providers add their own (session_state...).
 */
const CallbackQuery = Type.Object(
  {
    code: Type.Optional(Type.String()),
    state: Type.Optional(Type.String()),
    iss: Type.Optional(Type.String()),
    error: Type.Optional(Type.String()),
    error_description: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

/** Single sign-on through OpenID Connect (rule 19), and what the staff sign-in page offers. */
export const ssoRoutes: FastifyPluginAsyncTypebox<SsoRouteOptions> = async (app, opts) => {
  const sso = createSsoService(opts.ctx, opts.auth);
  // Counted in the database: the limit holds across every web process.
  const limited = {
    rateLimit: { max: opts.signInRateLimit, timeWindow: '1 minute', shared: true },
  };
  const sessionCookie = {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: opts.secureCookies,
  } as const;
  // Ties the provider's answer to the browser that started the sign-in (login CSRF). Lax: the
  // answer arrives as a top-level navigation from the provider's site.
  const requestCookie = `${opts.secureCookies ? '__Host-' : ''}staff_sso`;
  const requestCookieOptions = {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: opts.secureCookies,
  } as const;
  const refused = (reason: string) => `/staff/?sso_error=${reason}`;

  app.get(
    '/api/v1/admin/sso',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Single sign-on settings (the client secret is never shown)',
        response: withErrors({ 200: SsoSettings }),
      },
    },
    async (request) => sso.settings(staffOf(request)),
  );

  app.put(
    '/api/v1/admin/sso',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Configure single sign-on',
        description:
          'The provider is looked up first (OpenID discovery; its issuer must be the one given, https, or http on 127.0.0.1, ::1 or localhost): when it cannot be, 422 `sso_issuer_unreachable` and nothing is saved. The client secret is stored encrypted; left out, the saved one is kept.',
        body: SsoSettingsChanges,
        response: withErrors({ 200: SsoSettings }),
      },
    },
    async (request) => sso.save(staffOf(request), request.body),
  );

  app.delete(
    '/api/v1/admin/sso',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Remove single sign-on: staff sign in with their passwords again',
        response: withErrors({ 200: Ok }),
      },
    },
    async (request) => {
      await sso.remove(staffOf(request));
      return { ok: true as const };
    },
  );

  app.get(
    '/api/v1/staff/sign-in-options',
    {
      config: { auth: 'public', ...limited },
      schema: {
        tags: ['Staff sign-in'],
        summary: 'What the staff sign-in page offers for a clinic code',
        description:
          "Single sign-on (the button's name and where it starts), whether passwords are accepted, and whether passkeys work at this address. An unknown clinic code answers as a clinic with nothing configured.",
        querystring: SignInOptionsQuery,
        response: withErrors({ 200: SignInOptions }),
      },
    },
    async (request) => sso.signInOptions(request.query.chamber),
  );

  // A browser navigation: it answers 302 (declared below with its Location), never JSON.
  app.get(
    '/api/v1/staff/sso/start',
    {
      config: { auth: 'public', ...limited },
      schema: {
        tags: ['Staff sign-in'],
        summary: "Start signing in at the clinic's identity provider (a browser navigation)",
        description:
          "Redirects to the provider's authorization endpoint (authorization code with PKCE S256, scope `openid email profile`), or to `/staff/?sso_error=not_configured` (or `provider_error`).",
        querystring: SsoStartQuery,
        response: withErrors({
          302: Redirect('to the provider, or back to /staff/ with sso_error'),
        }),
      },
    },
    async (request, reply) => {
      const started = await sso.start({ kind: 'anonymous', ip: request.ip }, request.query.chamber);
      reply.header('cache-control', 'no-store');
      if (!started.ok) {
        if (started.detail)
          request.log.warn(
            { reason: started.reason, detail: started.detail },
            'single sign-on not started',
          );
        return reply.redirect(refused(started.reason), 302);
      }
      reply.setCookie(requestCookie, started.binding, {
        ...requestCookieOptions,
        maxAge: SSO_REQUEST_MS / 1000,
      });
      return reply.redirect(started.url, 302);
    },
  );

  // A browser navigation: it answers 302 (declared below with its Location), never JSON.
  app.get(
    '/api/v1/staff/sso/callback',
    {
      config: { auth: 'public', ...limited },
      schema: {
        tags: ['Staff sign-in'],
        summary: "The identity provider's answer (register this URL at the provider)",
        description:
          'Signs the staff user in (the session cookie, as `POST /staff/session` sets it: fully, or half signed in when the clinic requires two-step verification and the provider reports no multi-factor sign-in) and redirects to `/staff/`; refused, redirects to `/staff/?sso_error=<reason>` (wrong_state, wrong_nonce, provider_error, email_not_verified, unknown_user, inactive, locked, not_configured) without a cookie.',
        querystring: CallbackQuery,
        response: withErrors({ 302: Redirect('to /staff/, or /staff/?sso_error=<reason>') }),
      },
    },
    async (request, reply) => {
      const params = new URL(request.url, 'http://callback.invalid').searchParams;
      const signedIn = await sso.finish(
        { kind: 'anonymous', ip: request.ip },
        params,
        request.cookies[requestCookie],
      );
      reply.header('cache-control', 'no-store');
      reply.clearCookie(requestCookie, requestCookieOptions);
      if (!signedIn.ok) {
        request.log.info(
          { reason: signedIn.reason, ...(signedIn.detail ? { detail: signedIn.detail } : {}) },
          'single sign-on refused',
        );
        return reply.redirect(refused(signedIn.reason), 302);
      }
      reply.setCookie(opts.cookies.staff, signedIn.token, sessionCookie);
      return reply.redirect('/staff/', 302);
    },
  );
};
