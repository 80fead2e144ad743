import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { staffOf, patientOf, type CookieNames } from '../../plugins/auth.js';
import { EmailAddress, Ok, SignIn, withErrors } from '../../lib/schemas.js';
import type { AuthService } from './auth.service.js';

const ResetRequest = Type.Object(
  { chamber: Type.String({ minLength: 1, maxLength: 63 }), email: EmailAddress },
  { additionalProperties: false },
);
const SetPassword = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 200 }),
    password: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);

export interface AuthRouteOptions {
  auth: AuthService;
  cookies: CookieNames;
  secureCookies: boolean;
  signInRateLimit: number;
}

/** Sign-in, sign-out, and password links, for staff (`/staff/...`) and patients (`/portal/...`). */
export async function authRoutes(app: FastifyInstance, opts: AuthRouteOptions): Promise<void> {
  const { auth, cookies } = opts;
  const describe = (kind: 'staff' | 'patient', request: FastifyRequest) =>
    kind === 'staff'
      ? auth.describeStaff(staffOf(request))
      : auth.describePatient(patientOf(request));
  const limited = { rateLimit: { max: opts.signInRateLimit, timeWindow: '1 minute' } };

  const setCookie = (reply: FastifyReply, name: string, token: string) =>
    reply.setCookie(name, token, {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      secure: opts.secureCookies,
    });
  const clearCookie = (reply: FastifyReply, name: string) =>
    reply.clearCookie(name, {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      secure: opts.secureCookies,
    });

  for (const kind of ['staff', 'patient'] as const) {
    const base = kind === 'staff' ? '/api/v1/staff' : '/api/v1/portal';
    const cookie = kind === 'staff' ? cookies.staff : cookies.patient;
    const tag = kind === 'staff' ? 'Staff sign-in' : 'Portal sign-in';

    app.post<{ Body: Static<typeof SignIn> }>(
      `${base}/session`,
      {
        config: { auth: 'public', ...limited },
        schema: {
          tags: [tag],
          summary: 'Sign in with the chamber key, email and password',
          body: SignIn,
          response: withErrors({}),
        },
      },
      async (request, reply) => {
        const anon = { kind: 'anonymous' as const, ip: request.ip };
        if (kind === 'patient') {
          // Described from what sign-in just read and wrote, without reading the session back.
          const session = await auth.signInPatient(anon, request.body);
          setCookie(reply, cookie, session.token);
          const described = await auth.describePatient(
            { chamberId: session.chamber.id, patientId: session.patientId, name: '' },
            session.chamber,
          );
          return reply.status(200).send(described);
        }
        const session = await auth.signInStaff(anon, request.body);
        setCookie(reply, cookie, session.token);
        const actor = await auth.resolveSession(session.token, kind, request.ip);
        if (actor?.kind === 'staff') request.staffActor = actor;
        return reply.status(200).send(await describe(kind, request));
      },
    );

    app.get(
      `${base}/session`,
      {
        config: { auth: kind },
        schema: { tags: [tag], summary: 'The signed-in user, or 401', response: withErrors({}) },
      },
      async (request) => describe(kind, request),
    );

    app.delete(
      `${base}/session`,
      {
        config: { auth: kind },
        schema: { tags: [tag], summary: 'Sign out', response: withErrors({ 200: Ok }) },
      },
      async (request, reply) => {
        await auth.signOut(kind === 'staff' ? staffOf(request) : patientOf(request));
        clearCookie(reply, cookie);
        return { ok: true as const };
      },
    );

    app.post<{ Body: Static<typeof ResetRequest> }>(
      `${base}/password-reset`,
      {
        config: { auth: 'public', ...limited },
        schema: {
          tags: [tag],
          summary:
            'Ask for a password reset link (the answer never says whether the email is known)',
          body: ResetRequest,
          response: withErrors({ 202: Type.Object({ message: Type.String() }) }),
        },
      },
      async (request, reply) => {
        await auth.requestPasswordReset({ kind: 'anonymous', ip: request.ip }, kind, request.body);
        return reply.status(202).send({
          message:
            'If this email belongs to an account, a link to set a new password is on its way. It works for 15 minutes.',
        });
      },
    );

    app.post<{ Body: Static<typeof SetPassword> }>(
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
        clearCookie(reply, cookie);
        return { ok: true as const };
      },
    );
  }
}
