import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authChallenges, auditEvents, chambers, sessions } from '../../db/schema.js';
import { minutes } from '../../lib/clock.js';
import { createSecretBox } from '../../lib/secret-box.js';
import { hashToken } from '../../lib/tokens.js';
import {
  createChamber,
  createStaff,
  createWorld,
  PASSWORD,
  type World,
} from '../../test/factories.js';
import { client } from '../../test/http.js';
import {
  startOidcProvider,
  type TestAccount,
  type TestOidcProvider,
} from '../../test/oidc-provider.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import { isMultiFactor } from './sso.service.js';

let t: TestApp;
let op: TestOidcProvider;
let w: World;
let callbackUrl: string;

beforeAll(async () => {
  t = await buildTestApp();
  callbackUrl = `${t.config.publicUrl}/api/v1/staff/sso/callback`;
  op = await startOidcProvider({ redirectUri: callbackUrl });
  w = await createWorld(t);
});
afterAll(async () => {
  await op?.stop();
  await t?.close();
});

/** The cookies an answer sets, by name: the whole Set-Cookie line of each. */
function setCookies(headers: Record<string, unknown>): Map<string, string> {
  const raw = headers['set-cookie'];
  const lines = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
  return new Map(lines.map((line) => [line.slice(0, line.indexOf('=')), line]));
}
const pair = (line: string | undefined) => line?.split(';')[0];

/**
 * A GET as the browser's top-level navigation sends it: from the staff app (same-origin), or
 * from the provider's site (cross-site), as the callback arrives.
 */
async function navigate(
  url: string,
  cookie?: string,
  site: 'same-origin' | 'cross-site' = 'same-origin',
) {
  const res = await t.app.inject({
    method: 'GET',
    url,
    headers: {
      'sec-fetch-site': site,
      'sec-fetch-mode': 'navigate',
      'sec-fetch-dest': 'document',
      ...(cookie ? { cookie } : {}),
    },
  });
  return {
    status: res.statusCode,
    location: res.headers.location as string | undefined,
    cookies: setCookies(res.headers),
    body: res.body,
  };
}

/** The provider's answer reaching the app, as the browser brings it back from the provider. */
const arrive = (url: string, cookie?: string) => navigate(url, cookie, 'cross-site');

/** Starts a sign-in for the chamber: the provider URL and the browser's request cookie. */
async function start(chamberKey = w.chamber.key) {
  const res = await navigate(`/api/v1/staff/sso/start?chamber=${encodeURIComponent(chamberKey)}`);
  expect(res.status).toBe(302);
  const requestCookie = pair(res.cookies.get('staff_sso'));
  return { ...res, url: new URL(res.location!), requestCookie };
}

/** The path and query the provider sends the browser back to, as the app receives them. */
const callbackPath = (back: URL) => `${back.pathname}${back.search}`;

/**
 * A whole single sign-on: start, the provider's login as `account`, and the callback with the
 * browser's cookie. Answers the callback's answer and the session cookie it set (if any).
 */
async function ssoSignIn(
  account: TestAccount | { deny: true },
  options: { chamberKey?: string; extraParams?: Record<string, string> } = {},
) {
  const started = await start(options.chamberKey);
  const back = await op.signIn(
    started.location!,
    'deny' in account ? account : op.addAccount(account),
  );
  for (const [name, value] of Object.entries(options.extraParams ?? {})) {
    back.searchParams.append(name, value);
  }
  const res = await arrive(callbackPath(back), started.requestCookie);
  const session = res.cookies.get('staff_session');
  return { ...res, back, started, session, sessionCookie: pair(session) };
}

/** The chamber's `staff.sso_refused` rows, oldest first. */
async function refusals(chamberId = w.chamber.id) {
  return t.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.chamberId, chamberId), eq(auditEvents.action, 'staff.sso_refused')))
    .orderBy(auditEvents.id);
}

async function newestRow(action: string, chamberId = w.chamber.id) {
  const rows = await t.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.chamberId, chamberId), eq(auditEvents.action, action)))
    .orderBy(sql`${auditEvents.id} desc`)
    .limit(1);
  return rows[0];
}

/** Expects the callback refused for `reason`: back to /staff/ with the reason, no session, audited. */
async function expectRefused(
  res: Awaited<ReturnType<typeof navigate>>,
  reason: string,
  before: number,
  subjectId?: string,
) {
  expect(res.status).toBe(302);
  expect(res.location).toBe(`/staff/?sso_error=${reason}`);
  expect(res.cookies.has('staff_session')).toBe(false);
  const rows = await refusals();
  expect(rows.length).toBe(before + 1);
  const row = rows.at(-1)!;
  expect(row.details).toEqual({ reason });
  expect(row.actorKind).toBe('anonymous');
  if (subjectId) expect(row.subjectId).toBe(subjectId);
}

async function chamberRow(id = w.chamber.id) {
  const [row] = await t.db.select().from(chambers).where(eq(chambers.id, id));
  return row!;
}

/** A port nothing listens on (bound and released again). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const settings = (overrides: Record<string, unknown> = {}) => ({
  issuer: op.issuer,
  clientId: op.clientId,
  clientSecret: op.clientSecret,
  allowPasswordSignIn: true,
  ...overrides,
});

describe('isMultiFactor (amr and acr)', () => {
  it('counts mfa, or factors of two kinds, or a multi-factor acr', () => {
    expect(isMultiFactor(['mfa'], undefined)).toBe(true);
    expect(isMultiFactor(['pwd', 'otp'], undefined)).toBe(true);
    expect(isMultiFactor(['hwk', 'pin'], undefined)).toBe(true);
    expect(isMultiFactor(['swk', 'fpt'], undefined)).toBe(true);
    expect(isMultiFactor(['pwd', 'sms'], undefined)).toBe(true);
    expect(isMultiFactor(['pwd'], undefined)).toBe(false);
    expect(isMultiFactor(['otp'], undefined)).toBe(false);
    expect(isMultiFactor(['hwk'], undefined)).toBe(false);
    // Two values of one kind (two things the user knows), or no factor at all: not multi-factor.
    expect(isMultiFactor(['pwd', 'kba'], undefined)).toBe(false);
    expect(isMultiFactor(['pwd', 'rba', 'geo'], undefined)).toBe(false);
    expect(isMultiFactor('mfa', undefined)).toBe(false);
    expect(
      isMultiFactor(['pwd'], 'http://schemas.openid.net/pape/policies/2007/06/multi-factor'),
    ).toBe(true);
    expect(isMultiFactor(undefined, 'https://refeds.org/profile/mfa')).toBe(true);
    expect(isMultiFactor(undefined, 'urn:example:mfa')).toBe(true);
    expect(isMultiFactor(undefined, 'urn:example:nomfa')).toBe(false);
    expect(isMultiFactor(undefined, '1')).toBe(false);
  });
});

describe('before single sign-on is configured', () => {
  it('the admin sees it unconfigured, with the redirect URI to register', async () => {
    const res = await w.as.admin.get('/api/v1/admin/sso');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      configured: false,
      issuer: null,
      clientId: null,
      clientSecretSet: false,
      name: null,
      allowPasswordSignIn: true,
      redirectUri: 'http://127.0.0.1:3000/api/v1/staff/sso/callback',
    });
    expect((await w.as.receptionist.get('/api/v1/admin/sso')).status).toBe(403);
    expect((await client(t.app).get('/api/v1/admin/sso')).status).toBe(401);
  });

  it('the sign-in page offers passwords only, for a known or an unknown clinic alike', async () => {
    const anonymous = client(t.app);
    const known = await anonymous.get(`/api/v1/staff/sign-in-options?chamber=${w.chamber.key}`);
    expect(known.status).toBe(200);
    expect(known.body).toEqual({ singleSignOn: null, passwordSignIn: true, passkeys: true });
    const unknown = await anonymous.get('/api/v1/staff/sign-in-options?chamber=no-such-clinic');
    expect(unknown.status).toBe(200);
    expect(unknown.body).toEqual(known.body);
  });

  it('start sends the browser back with not_configured', async () => {
    for (const key of [w.chamber.key, 'no-such-clinic']) {
      const res = await navigate(`/api/v1/staff/sso/start?chamber=${key}`);
      expect(res.status).toBe(302);
      expect(res.location).toBe('/staff/?sso_error=not_configured');
      expect(res.cookies.size).toBe(0);
    }
  });
});

describe('Admin > Configuration > Security > Single sign-on', () => {
  it('refuses an issuer that cannot be looked up, and saves nothing', async () => {
    const before = await chamberRow();
    const port = await closedPort();
    const down = await w.as.admin.put(
      '/api/v1/admin/sso',
      settings({ issuer: `http://127.0.0.1:${port}` }),
    );
    expect(down.status).toBe(422);
    expect(down.body.error).toMatchObject({ code: 'sso_issuer_unreachable', field: 'issuer' });
    // The provider answers at localhost too, but names itself 127.0.0.1: not the same issuer.
    const renamed = await w.as.admin.put(
      '/api/v1/admin/sso',
      settings({ issuer: op.issuer.replace('127.0.0.1', 'localhost') }),
    );
    expect(renamed.status).toBe(422);
    expect(renamed.body.error).toMatchObject({ code: 'sso_issuer_unreachable', field: 'issuer' });
    expect(renamed.body.error.message).toContain(op.issuer);
    // No discovery document at this path.
    const wrongPath = await w.as.admin.put(
      '/api/v1/admin/sso',
      settings({ issuer: `${op.issuer}/elsewhere` }),
    );
    expect(wrongPath.status).toBe(422);
    expect(wrongPath.body.error.code).toBe('sso_issuer_unreachable');

    const after = await chamberRow();
    expect(after.ssoIssuer).toBeNull();
    expect(after.ssoClientSecret).toBeNull();
    expect(after.updatedAt).toEqual(before.updatedAt);
    expect(await newestRow('settings.sso_updated')).toBeUndefined();
  });

  it('refuses plain http off this machine, a URL with a query, and a first save without a secret', async () => {
    for (const issuer of [
      'http://idp.example.com',
      'ftp://127.0.0.1',
      'not a url',
      `${op.issuer}?x=1`,
    ]) {
      const res = await w.as.admin.put('/api/v1/admin/sso', settings({ issuer }));
      expect(res.status, issuer).toBe(422);
      expect(res.body.error, issuer).toMatchObject({ code: 'validation_failed', field: 'issuer' });
    }
    const noSecret = await w.as.admin.put(
      '/api/v1/admin/sso',
      settings({ clientSecret: undefined }),
    );
    expect(noSecret.status).toBe(422);
    expect(noSecret.body.error).toMatchObject({ code: 'validation_failed', field: 'clientSecret' });
    const notAdmin = await w.as.receptionist.put('/api/v1/admin/sso', settings());
    expect(notAdmin.status).toBe(403);
    expect((await chamberRow()).ssoIssuer).toBeNull();
  });

  it('saves the provider with the secret sealed, never shown again, and audited without it', async () => {
    const res = await w.as.admin.put('/api/v1/admin/sso', settings());
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({
      configured: true,
      issuer: op.issuer,
      clientId: op.clientId,
      clientSecretSet: true,
      name: null,
      allowPasswordSignIn: true,
      redirectUri: callbackUrl,
    });
    const read = await w.as.admin.get('/api/v1/admin/sso');
    expect(read.body).toEqual(res.body);
    expect(JSON.stringify(read.body)).not.toContain(op.clientSecret);

    const row = await chamberRow();
    expect(row.ssoClientSecret).not.toBeNull();
    expect(row.ssoClientSecret).not.toContain(op.clientSecret);
    expect(createSecretBox(t.config).open(row.ssoClientSecret!)).toBe(op.clientSecret);

    const audit = await newestRow('settings.sso_updated');
    expect(audit?.details).toEqual({
      issuer: op.issuer,
      clientId: op.clientId,
      name: null,
      allowPasswordSignIn: true,
      secretChanged: true,
    });
    expect(JSON.stringify(audit)).not.toContain(op.clientSecret);
  });

  it('keeps the saved secret when it is left out, and names the button', async () => {
    const sealed = (await chamberRow()).ssoClientSecret;
    const res = await w.as.admin.put(
      '/api/v1/admin/sso',
      settings({ clientSecret: undefined, name: 'Riverside Login' }),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ name: 'Riverside Login', clientSecretSet: true });
    expect((await chamberRow()).ssoClientSecret).toBe(sealed);
    expect((await newestRow('settings.sso_updated'))?.details).toMatchObject({
      name: 'Riverside Login',
      secretChanged: false,
    });
  });

  it('the sign-in page now offers the provider by its name, or its host', async () => {
    const anonymous = client(t.app);
    const named = await anonymous.get(`/api/v1/staff/sign-in-options?chamber=${w.chamber.key}`);
    expect(named.body).toEqual({
      singleSignOn: {
        name: 'Riverside Login',
        startUrl: `/api/v1/staff/sso/start?chamber=${w.chamber.key}`,
      },
      passwordSignIn: true,
      passkeys: true,
    });
    await w.as.admin.put('/api/v1/admin/sso', settings({ clientSecret: undefined, name: null }));
    const hosted = await anonymous.get(`/api/v1/staff/sign-in-options?chamber=${w.chamber.key}`);
    expect(hosted.body.singleSignOn.name).toBe(new URL(op.issuer).host);
  });
});

describe('signing in through the provider', () => {
  it('start stores the request (state hashed, verifier sealed) and sends the browser to the provider with PKCE', async () => {
    const started = await start();
    expect(started.location!.startsWith(`${op.issuer}/`)).toBe(true);
    const query = started.url.searchParams;
    expect(query.get('response_type')).toBe('code');
    expect(query.get('scope')).toBe('openid email profile');
    expect(query.get('redirect_uri')).toBe(callbackUrl);
    expect(query.get('client_id')).toBe(op.clientId);
    expect(query.get('code_challenge_method')).toBe('S256');
    expect(query.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const state = query.get('state')!;
    const [row] = await t.db
      .select()
      .from(authChallenges)
      .where(eq(authChallenges.challenge, hashToken(state)));
    expect(row).toMatchObject({
      chamberId: w.chamber.id,
      purpose: 'sso',
      nonce: query.get('nonce'),
    });
    expect(row!.secret).toMatch(/^v1\./);
    expect(row!.expiresAt.getTime() - t.clock().getTime()).toBe(minutes(10));
    // The browser's request cookie: HttpOnly, Lax (the provider's answer is a cross-site navigation).
    const cookie = started.cookies.get('staff_sso')!;
    expect(cookie).toContain(state);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
  });

  it('signs a staff user in by their verified email (any case) and sets the session cookie', async () => {
    const res = await ssoSignIn(
      { email: w.receptionist.email.toUpperCase(), email_verified: true, amr: ['pwd'] },
      // Parameters some providers add are no reason to refuse.
      { extraParams: { session_state: 'abc.def', scope: 'openid email profile' } },
    );
    expect(res.status).toBe(302);
    expect(res.location).toBe('/staff/');
    // The cookie auth.routes.ts sets: SameSite=Strict is fine here, for the next requests come
    // from /staff/ on this origin, where the redirect leads.
    expect(res.session).toMatch(/HttpOnly/i);
    expect(res.session).toMatch(/SameSite=Strict/i);
    expect(res.session).toMatch(/Path=\//);
    expect(res.cookies.get('staff_sso')).toMatch(/staff_sso=;|Max-Age=0|Expires=Thu, 01 Jan 1970/);
    const me = await client(t.app, res.sessionCookie).get('/api/v1/staff/session');
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ id: w.receptionist.id, email: w.receptionist.email });
    const audit = await newestRow('staff.sign_in');
    expect(audit).toMatchObject({ subjectId: w.receptionist.id, actorUserId: w.receptionist.id });
    expect(audit?.details).toEqual({ method: 'sso', secondFactor: null });
    const [session] = await t.db
      .select()
      .from(sessions)
      .where(eq(sessions.tokenHash, hashToken(res.sessionCookie!.split('=')[1]!)));
    expect(session).toMatchObject({ method: 'sso', stage: 'full' });
    expect(op.hits.get('/token')).toBeGreaterThan(0);
  });

  it('with two-step verification required, a password-only sign-in at the provider is half signed in', async () => {
    const on = await w.as.admin.patch('/api/v1/admin/settings', { requireStaffTwoStep: true });
    expect(on.status, JSON.stringify(on.body)).toBe(200);
    try {
      const res = await ssoSignIn({ email: w.nurse.email, email_verified: true, amr: ['pwd'] });
      expect(res.location).toBe('/staff/');
      expect(res.sessionCookie).toBeDefined();
      const me = await client(t.app, res.sessionCookie).get('/api/v1/staff/session');
      expect(me.status).toBe(401);
      expect(me.body.error.code).toBe('second_factor_required');

      for (const reported of [
        { amr: ['pwd', 'otp'] },
        { amr: ['mfa'] },
        { amr: ['pwd'], acr: 'http://schemas.openid.net/pape/policies/2007/06/multi-factor' },
      ]) {
        const full = await ssoSignIn({ email: w.nurse.email, email_verified: true, ...reported });
        const fullMe = await client(t.app, full.sessionCookie).get('/api/v1/staff/session');
        expect(fullMe.status, JSON.stringify(reported)).toBe(200);
        expect((await newestRow('staff.sign_in'))?.details).toEqual({
          method: 'sso',
          secondFactor: 'sso_mfa',
        });
      }
    } finally {
      await w.as.admin.patch('/api/v1/admin/settings', { requireStaffTwoStep: false });
    }
  });

  it('refuses (provider_error) when the provider refuses the client secret', async () => {
    const wrong = await w.as.admin.put(
      '/api/v1/admin/sso',
      settings({ clientSecret: 'not-the-secret' }),
    );
    expect(wrong.status).toBe(200);
    try {
      const before = (await refusals()).length;
      const res = await ssoSignIn({ email: w.nurse.email, email_verified: true });
      await expectRefused(res, 'provider_error', before);
    } finally {
      await w.as.admin.put('/api/v1/admin/sso', settings());
    }
  });

  it('works with a client that must send its secret in the form body', async () => {
    const saved = await w.as.admin.put(
      '/api/v1/admin/sso',
      settings({ clientId: op.postClientId, clientSecret: op.postClientSecret }),
    );
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    try {
      for (let i = 0; i < 2; i += 1) {
        const res = await ssoSignIn({ email: w.nurse.email, email_verified: true });
        expect(res.location).toBe('/staff/');
        expect((await client(t.app, res.sessionCookie).get('/api/v1/staff/session')).status).toBe(
          200,
        );
      }
    } finally {
      await w.as.admin.put('/api/v1/admin/sso', settings());
    }
  });
});

describe('refused sign-ins: each audited, none with a session', () => {
  it('an unknown state', async () => {
    const before = (await refusals()).length;
    const started = await start();
    const res = await arrive(
      `/api/v1/staff/sso/callback?code=abc&state=unknown-state&iss=${encodeURIComponent(op.issuer)}`,
      started.requestCookie,
    );
    await expectRefused(res, 'wrong_state', before);
  });

  it('a state used twice', async () => {
    const first = await ssoSignIn({ email: w.nurse.email, email_verified: true });
    expect(first.location).toBe('/staff/');
    const before = (await refusals()).length;
    const again = await arrive(callbackPath(first.back), first.started.requestCookie);
    await expectRefused(again, 'wrong_state', before);
  });

  it("a provider's answer reaching another browser than the one that started (login CSRF)", async () => {
    // Someone signs in at the provider as themselves and sends the answer's link to a colleague:
    // the colleague's browser has no request cookie, or one of its own sign-in.
    const attacker = await start();
    const back = await op.signIn(
      attacker.location!,
      op.addAccount({ email: w.nurse.email, email_verified: true }),
    );
    const victim = await start();
    const before = (await refusals()).length;
    const res = await arrive(callbackPath(back), victim.requestCookie);
    await expectRefused(res, 'wrong_state', before);

    const attacker2 = await start();
    const back2 = await op.signIn(
      attacker2.location!,
      op.addAccount({ email: w.nurse.email, email_verified: true }),
    );
    const noCookie = await arrive(callbackPath(back2));
    await expectRefused(noCookie, 'wrong_state', before + 1);
    // The request was used up all the same.
    const retried = await arrive(callbackPath(back2), attacker2.requestCookie);
    await expectRefused(retried, 'wrong_state', before + 2);
  });

  it('an answer after the request expired (10 minutes)', async () => {
    const started = await start();
    const back = await op.signIn(
      started.location!,
      op.addAccount({ email: w.nurse.email, email_verified: true }),
    );
    const before = (await refusals()).length;
    t.clock.advance(minutes(10) + 1);
    const res = await arrive(callbackPath(back), started.requestCookie);
    await expectRefused(res, 'wrong_state', before);
  });

  it('a wrong nonce in the ID token', async () => {
    const started = await start();
    const state = started.url.searchParams.get('state')!;
    await t
      .ownerDb()
      .update(authChallenges)
      .set({ nonce: 'another-nonce-than-the-one-sent' })
      .where(eq(authChallenges.challenge, hashToken(state)));
    const back = await op.signIn(
      started.location!,
      op.addAccount({ email: w.nurse.email, email_verified: true }),
    );
    const before = (await refusals()).length;
    const res = await arrive(callbackPath(back), started.requestCookie);
    await expectRefused(res, 'wrong_nonce', before);
  });

  it('an email the provider has not verified', async () => {
    const before = (await refusals()).length;
    const res = await ssoSignIn({ email: w.nurse.email, email_verified: false });
    await expectRefused(res, 'email_not_verified', before);
    expect((await refusals()).at(-1)!.actorLabel).toBe(w.nurse.email);
    const missing = await ssoSignIn({ email: w.nurse.email });
    await expectRefused(missing, 'email_not_verified', before + 1);
  });

  it("the email of another chamber's user, and an unknown email", async () => {
    const other = await createChamber(t);
    const stranger = await createStaff(t, other, { name: 'Oscar Other' });
    const before = (await refusals()).length;
    const res = await ssoSignIn({ email: stranger.email, email_verified: true });
    await expectRefused(res, 'unknown_user', before);
    expect((await refusals(other.id)).length).toBe(0);
    const unknown = await ssoSignIn({ email: 'nobody@nowhere.example', email_verified: true });
    await expectRefused(unknown, 'unknown_user', before + 1);
    expect((await refusals()).at(-1)!.subjectId).toBeNull();
  });

  it('an Inactive or locked user', async () => {
    const leaver = await createStaff(t, w.chamber, { name: 'Lee Leaver' });
    await t.services.users.update(w.chamber.admin, leaver.id, { active: false });
    const before = (await refusals()).length;
    const inactive = await ssoSignIn({ email: leaver.email, email_verified: true });
    await expectRefused(inactive, 'inactive', before, leaver.id);

    const locked = await createStaff(t, w.chamber, { name: 'Lou Locked' });
    for (let i = 0; i < 5; i += 1) {
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/staff/session',
        payload: { chamber: w.chamber.key, email: locked.email, password: 'wrong-password-x' },
      });
    }
    const refused = await ssoSignIn({ email: locked.email, email_verified: true });
    await expectRefused(refused, 'locked', before + 1, locked.id);
  });

  it('an error from the provider (the user cancelled)', async () => {
    const before = (await refusals()).length;
    const res = await ssoSignIn({ deny: true });
    expect(res.back.searchParams.get('error')).toBe('access_denied');
    await expectRefused(res, 'provider_error', before);
  });
});

describe('Allow password sign-in off', () => {
  it('staff must use the provider; the admin keeps the password', async () => {
    const off = await w.as.admin.put(
      '/api/v1/admin/sso',
      settings({ clientSecret: undefined, allowPasswordSignIn: false }),
    );
    expect(off.status).toBe(200);
    expect(off.body.allowPasswordSignIn).toBe(false);
    const options = await client(t.app).get(
      `/api/v1/staff/sign-in-options?chamber=${w.chamber.key}`,
    );
    expect(options.body.passwordSignIn).toBe(false);
    expect(options.body.singleSignOn).not.toBeNull();

    const nurse = await t.app.inject({
      method: 'POST',
      url: '/api/v1/staff/session',
      payload: { chamber: w.chamber.key, email: w.nurse.email, password: PASSWORD },
    });
    expect(nurse.statusCode).toBe(403);
    expect(nurse.json().error.code).toBe('password_sign_in_off');
    expect(setCookies(nurse.headers).has('staff_session')).toBe(false);

    const admin = await t.app.inject({
      method: 'POST',
      url: '/api/v1/staff/session',
      payload: { chamber: w.chamber.key, email: w.chamber.admin.email, password: PASSWORD },
    });
    expect(admin.statusCode).toBe(200);

    const viaProvider = await ssoSignIn({ email: w.nurse.email, email_verified: true });
    expect(viaProvider.location).toBe('/staff/');
  });
});

describe('removing single sign-on', () => {
  it('clears every setting and pending request, audited; passwords work again', async () => {
    const pending = await start();
    const res = await w.as.admin.delete('/api/v1/admin/sso');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true });
    const row = await chamberRow();
    expect(row).toMatchObject({
      ssoIssuer: null,
      ssoClientId: null,
      ssoClientSecret: null,
      ssoName: null,
      ssoAllowPasswordSignIn: true,
    });
    expect((await newestRow('settings.sso_removed'))?.details).toEqual({
      issuer: op.issuer,
      clientId: op.clientId,
    });
    expect((await w.as.admin.get('/api/v1/admin/sso')).body).toMatchObject({
      configured: false,
      clientSecretSet: false,
    });
    const options = await client(t.app).get(
      `/api/v1/staff/sign-in-options?chamber=${w.chamber.key}`,
    );
    expect(options.body).toEqual({ singleSignOn: null, passwordSignIn: true, passkeys: true });
    const state = pending.url.searchParams.get('state')!;
    expect(
      await t.db
        .select()
        .from(authChallenges)
        .where(eq(authChallenges.challenge, hashToken(state))),
    ).toEqual([]);
    expect((await navigate(`/api/v1/staff/sso/start?chamber=${w.chamber.key}`)).location).toBe(
      '/staff/?sso_error=not_configured',
    );
    const nurse = await t.app.inject({
      method: 'POST',
      url: '/api/v1/staff/session',
      payload: { chamber: w.chamber.key, email: w.nurse.email, password: PASSWORD },
    });
    expect(nurse.statusCode).toBe(200);
  });
});
