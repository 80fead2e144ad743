import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { hours, minutes } from '../../lib/clock.js';
import {
  createBand,
  createChamber,
  createPatient,
  createStaff,
  PASSWORD,
  staffClient,
  takeLink,
  type TestChamber,
} from '../../test/factories.js';
import { client } from '../../test/http.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';

type Kind = 'staff' | 'patient';

const base = (kind: Kind) => (kind === 'staff' ? '/api/v1/staff' : '/api/v1/portal');
const cookieName = (kind: Kind, secure = false) =>
  `${secure ? '__Host-' : ''}${kind === 'staff' ? 'staff' : 'portal'}_session`;

interface Raw {
  status: number;
  body: any;
  headers: Record<string, string | string[] | number | undefined>;
  /** The first Set-Cookie header, whole. */
  setCookie: string | undefined;
  /** `name=value` of that cookie, ready to send back. */
  cookie: string | undefined;
}

/** A POST as a browser page would send it, with no cookie unless given. */
async function post(
  t: TestApp,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Raw> {
  const res = await t.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const set = res.headers['set-cookie'];
  const setCookie = Array.isArray(set) ? set[0] : set;
  let parsed: unknown = res.body;
  try {
    parsed = res.body ? JSON.parse(res.body) : undefined;
  } catch {
    // keep text
  }
  return {
    status: res.statusCode,
    body: parsed,
    headers: res.headers,
    setCookie,
    cookie: setCookie?.split(';')[0],
  };
}

const signInRaw = (
  t: TestApp,
  kind: Kind,
  body: { chamber: string; email: string; password: string },
  headers: Record<string, string> = {},
) => post(t, `${base(kind)}/session`, body, headers);

/** Signs in with the right password and returns a client carrying the new cookie. */
async function signInOk(
  t: TestApp,
  kind: Kind,
  chamber: string,
  email: string,
  password = PASSWORD,
) {
  const res = await signInRaw(t, kind, { chamber, email, password });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return client(t.app, res.cookie);
}

async function count(t: TestApp, query: SQL): Promise<number> {
  const r = await t.db.execute<{ n: number | string }>(query);
  return Number(r.rows[0]?.n);
}

const sessionsOfPatient = (t: TestApp, patientId: string) =>
  count(t, sql`select count(*)::int as n from sessions where patient_id = ${patientId}::uuid`);
const sessionsOfUser = (t: TestApp, userId: string) =>
  count(t, sql`select count(*)::int as n from sessions where user_id = ${userId}::uuid`);
const allSessions = (t: TestApp) => count(t, sql`select count(*)::int as n from sessions`);
const allTokens = (t: TestApp) => count(t, sql`select count(*)::int as n from account_tokens`);
const usableTokensOf = (t: TestApp, patientId: string) =>
  count(
    t,
    sql`select count(*)::int as n from account_tokens where patient_id = ${patientId}::uuid and used_at is null`,
  );

async function accountOf(t: TestApp, patientId: string) {
  const r = await t.db.execute<{ state: string; failed_sign_ins: number; password_hash: string }>(
    sql`select state, failed_sign_ins, password_hash from portal_accounts where patient_id = ${patientId}::uuid`,
  );
  return r.rows[0]!;
}

async function userRow(t: TestApp, userId: string) {
  const r = await t.db.execute<{ failed_sign_ins: number; locked_until: unknown }>(
    sql`select failed_sign_ins, locked_until from users where id = ${userId}::uuid`,
  );
  return r.rows[0]!;
}

function expectError(
  res: { status: number; body: any },
  status: number,
  code: string,
  field?: string,
) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error).toMatchObject({ status, code });
  expect(typeof res.body.error.message).toBe('string');
  expect(res.body.error.message.length).toBeGreaterThan(10);
  if (field === undefined) expect(res.body.error).not.toHaveProperty('field');
  else expect(res.body.error.field).toBe(field);
}

/** The attributes of a Set-Cookie header, lower-cased, without the name=value pair. */
const cookieAttributes = (setCookie: string | undefined) =>
  (setCookie ?? '')
    .split(';')
    .slice(1)
    .map((a) => a.trim().toLowerCase());

/** A chamber with an online band, a staff user and an active patient. */
async function smallWorld(t: TestApp) {
  const chamber = await createChamber(t);
  const band = await createBand(t, chamber, { messaging: true });
  const staff = await createStaff(t, chamber, { name: 'Sam Staff' });
  const patient = await createPatient(t, chamber, { bandId: band, given: 'Pia' });
  return { chamber, band, staff, patient };
}

describe('sign-in, the session, sign-out', () => {
  let t: TestApp;
  let c: TestChamber;
  let staff: { id: string; email: string; name: string };
  let patient: { id: string; email: string; name: string };

  beforeAll(async () => {
    t = await buildTestApp();
    ({ chamber: c, staff, patient } = await smallWorld(t));
  });
  afterAll(() => t?.close());

  it('signs staff in with an HttpOnly SameSite=Strict cookie (no Secure on http) and describes the user', async () => {
    const before = await sessionsOfUser(t, staff.id);
    const res = await signInRaw(t, 'staff', {
      chamber: c.key,
      email: staff.email,
      password: PASSWORD,
    });
    expect(res.status).toBe(200);
    expect(res.setCookie).toMatch(/^staff_session=[A-Za-z0-9_-]{20,}/);
    const attrs = cookieAttributes(res.setCookie);
    expect(attrs).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'path=/']));
    expect(attrs).not.toContain('secure');
    expect(res.body.user).toMatchObject({ id: staff.id, name: 'Sam Staff', email: staff.email });
    // The token travels only in the HttpOnly cookie, never where page scripts can read it.
    expect(JSON.stringify(res.body)).not.toContain(res.cookie!.split('=')[1]!);
    expect(await sessionsOfUser(t, staff.id)).toBe(before + 1);

    const me = await client(t.app, res.cookie).get('/api/v1/staff/session');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      user: { id: staff.id, name: 'Sam Staff', email: staff.email, isAdmin: false, roles: [] },
      chamber: { key: c.key, name: `Clinic ${c.key}` },
      sessionIdleMinutes: 15,
    });
  });

  it('signs a patient in the same way and describes the patient', async () => {
    const before = await sessionsOfPatient(t, patient.id);
    const res = await signInRaw(t, 'patient', {
      chamber: c.key,
      email: patient.email,
      password: PASSWORD,
    });
    expect(res.status).toBe(200);
    expect(res.setCookie).toMatch(/^portal_session=[A-Za-z0-9_-]{20,}/);
    const attrs = cookieAttributes(res.setCookie);
    expect(attrs).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'path=/']));
    expect(attrs).not.toContain('secure');
    expect(await sessionsOfPatient(t, patient.id)).toBe(before + 1);

    const me = await client(t.app, res.cookie).get('/api/v1/portal/session');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      patient: { id: patient.id, name: patient.name },
      chamber: { key: c.key },
      messaging: { allowed: true },
      sessionIdleMinutes: 15,
    });
  });

  it('accepts the email in any case and the chamber key with spaces around it', async () => {
    const res = await signInRaw(t, 'patient', {
      chamber: ` ${c.key.toUpperCase()} `,
      email: patient.email.toUpperCase(),
      password: PASSWORD,
    });
    expect(res.status).toBe(200);
  });

  for (const kind of ['staff', 'patient'] as const) {
    it(`answers the same 401 invalid_credentials for a wrong password, an unknown email and an unknown chamber (${kind})`, async () => {
      const email = kind === 'staff' ? staff.email : patient.email;
      const sessions = await allSessions(t);
      const wrongPassword = await signInRaw(t, kind, {
        chamber: c.key,
        email,
        password: 'not-the-password-9',
      });
      const unknownEmail = await signInRaw(t, kind, {
        chamber: c.key,
        email: `nobody@${c.key}.example`,
        password: PASSWORD,
      });
      const unknownChamber = await signInRaw(t, kind, {
        chamber: 'no-such-chamber',
        email,
        password: PASSWORD,
      });
      expectError(wrongPassword, 401, 'invalid_credentials', 'password');
      expect(unknownEmail.body).toEqual(wrongPassword.body);
      expect(unknownChamber.body).toEqual(wrongPassword.body);
      for (const r of [wrongPassword, unknownEmail, unknownChamber]) {
        expect(r.status).toBe(401);
        expect(r.setCookie).toBeUndefined();
      }
      expect(await allSessions(t)).toBe(sessions);
    });
  }

  it('a patient’s email and password do not sign in to the staff app', async () => {
    const band = await createBand(t, c, { messaging: true });
    const other = await createPatient(t, c, { bandId: band, given: 'Otto' });
    const sessions = await allSessions(t);
    const res = await signInRaw(t, 'staff', {
      chamber: c.key,
      email: other.email,
      password: PASSWORD,
    });
    expectError(res, 401, 'invalid_credentials', 'password');
    expect(await allSessions(t)).toBe(sessions);
  });

  it('issues a new session token at each sign-in, even when the browser sends its old cookie', async () => {
    const first = await signInRaw(t, 'patient', {
      chamber: c.key,
      email: patient.email,
      password: PASSWORD,
    });
    const second = await signInRaw(
      t,
      'patient',
      { chamber: c.key, email: patient.email, password: PASSWORD },
      { cookie: first.cookie! },
    );
    expect(first.cookie).toBeTruthy();
    expect(second.cookie).toBeTruthy();
    expect(second.cookie).not.toBe(first.cookie);
    const staffA = await signInRaw(t, 'staff', {
      chamber: c.key,
      email: staff.email,
      password: PASSWORD,
    });
    const staffB = await signInRaw(t, 'staff', {
      chamber: c.key,
      email: staff.email,
      password: PASSWORD,
    });
    expect(staffB.cookie).not.toBe(staffA.cookie);
  });

  it('refuses a staff cookie on portal routes and a patient cookie on staff routes', async () => {
    const staffRes = await signInRaw(t, 'staff', {
      chamber: c.key,
      email: staff.email,
      password: PASSWORD,
    });
    const patientRes = await signInRaw(t, 'patient', {
      chamber: c.key,
      email: patient.email,
      password: PASSWORD,
    });
    const staffToken = staffRes.cookie!.split('=')[1]!;
    const patientToken = patientRes.cookie!.split('=')[1]!;

    // As sent by a browser: the cookie of the other app.
    expectError(
      await client(t.app, staffRes.cookie).get('/api/v1/portal/session'),
      401,
      'unauthenticated',
    );
    expectError(
      await client(t.app, staffRes.cookie).get('/api/v1/portal/conversations'),
      401,
      'unauthenticated',
    );
    expectError(
      await client(t.app, patientRes.cookie).get('/api/v1/staff/session'),
      401,
      'unauthenticated',
    );
    expectError(
      await client(t.app, patientRes.cookie).get(`/api/v1/patients/${patient.id}`),
      401,
      'unauthenticated',
    );
    // A token moved under the other cookie's name is refused too.
    expectError(
      await client(t.app, `portal_session=${staffToken}`).get('/api/v1/portal/session'),
      401,
      'unauthenticated',
    );
    expectError(
      await client(t.app, `staff_session=${patientToken}`).get('/api/v1/staff/session'),
      401,
      'unauthenticated',
    );
    // Both sessions are still good where they belong.
    expect((await client(t.app, staffRes.cookie).get('/api/v1/staff/session')).status).toBe(200);
    expect((await client(t.app, patientRes.cookie).get('/api/v1/portal/session')).status).toBe(200);
  });

  it('refuses a made-up or absent cookie with 401 unauthenticated', async () => {
    expectError(await client(t.app).get('/api/v1/portal/session'), 401, 'unauthenticated');
    expectError(
      await client(t.app, `portal_session=${'x'.repeat(43)}`).get('/api/v1/portal/session'),
      401,
      'unauthenticated',
    );
    expectError(
      await client(t.app, 'staff_session=short').get('/api/v1/staff/session'),
      401,
      'unauthenticated',
    );
  });

  for (const kind of ['staff', 'patient'] as const) {
    it(`signs out everywhere (${kind}): the cookie is cleared, every session of the account deleted, and replaying an old cookie answers 401`, async () => {
      const email = kind === 'staff' ? staff.email : patient.email;
      const me = await signInOk(t, kind, c.key, email);
      const otherDevice = await signInOk(t, kind, c.key, email);
      const before = await allSessions(t);
      const mine = Number(
        (
          await t.db.execute<{ n: string }>(
            sql`select count(*) as n from sessions where ${kind === 'staff' ? sql`user_id` : sql`patient_id`} = ${kind === 'staff' ? staff.id : patient.id}::uuid`,
          )
        ).rows[0]?.n,
      );
      expect(mine).toBeGreaterThanOrEqual(2);
      const sessions = before - mine + 1;

      const res = await t.app.inject({
        method: 'DELETE',
        url: `${base(kind)}/session`,
        headers: { cookie: me.cookie! },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ ok: true });
      const cleared = String(res.headers['set-cookie']);
      expect(cleared).toMatch(new RegExp(`^${cookieName(kind)}=;`));
      expect(cleared.toLowerCase()).toMatch(/expires=thu, 01 jan 1970|max-age=0/);
      expect(await allSessions(t)).toBe(sessions - 1);

      expectError(await me.get(`${base(kind)}/session`), 401, 'unauthenticated');
      expectError(await otherDevice.get(`${base(kind)}/session`), 401, 'unauthenticated');
      expectError(await me.delete(`${base(kind)}/session`), 401, 'unauthenticated');
      expect(await allSessions(t)).toBe(sessions - 1);
    });
  }

  it('refuses sign-out without a session', async () => {
    const sessions = await allSessions(t);
    expectError(await client(t.app).delete('/api/v1/portal/session'), 401, 'unauthenticated');
    expectError(await client(t.app).delete('/api/v1/staff/session'), 401, 'unauthenticated');
    expect(await allSessions(t)).toBe(sessions);
  });

  it('refuses a sign-in body that is malformed or incomplete, with the field', async () => {
    const sessions = await allSessions(t);
    expectError(
      await post(t, '/api/v1/portal/session', { chamber: c.key, email: patient.email }),
      422,
      'validation_failed',
      'password',
    );
    expectError(
      await post(t, '/api/v1/staff/session', {
        chamber: c.key,
        email: staff.email,
        password: PASSWORD,
        admin: true,
      }),
      422,
      'validation_failed',
      'admin',
    );
    expectError(await post(t, '/api/v1/portal/session', '{"chamber":'), 400, 'malformed_json');
    expect(await allSessions(t)).toBe(sessions);
  });
});

describe('cross-site requests, media types and security headers', () => {
  let t: TestApp;
  let c: TestChamber;
  let patient: { id: string; email: string };

  beforeAll(async () => {
    t = await buildTestApp();
    ({ chamber: c, patient } = await smallWorld(t));
  });
  afterAll(() => t?.close());

  const good = () => ({ chamber: c.key, email: patient.email, password: PASSWORD });

  it('refuses a POST from another site (Origin) with 403 cross_origin_refused and stores nothing', async () => {
    const sessions = await allSessions(t);
    const tokens = await allTokens(t);
    const account = await accountOf(t, patient.id);
    for (const origin of ['https://evil.example', 'null', 'not a url']) {
      expectError(await signInRaw(t, 'patient', good(), { origin }), 403, 'cross_origin_refused');
    }
    expectError(
      await post(
        t,
        '/api/v1/portal/password-reset',
        { chamber: c.key, email: patient.email },
        { origin: 'https://evil.example' },
      ),
      403,
      'cross_origin_refused',
    );
    expect(await allSessions(t)).toBe(sessions);
    expect(await allTokens(t)).toBe(tokens);
    expect(await accountOf(t, patient.id)).toEqual(account);
  });

  it('refuses a cross-site request from a signed-in browser (sign-out is not forced)', async () => {
    const me = await signInOk(t, 'patient', c.key, patient.email);
    const sessions = await allSessions(t);
    const res = await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/portal/session',
      headers: { cookie: me.cookie!, origin: 'https://evil.example' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('cross_origin_refused');
    expect(await allSessions(t)).toBe(sessions);
    expect((await me.get('/api/v1/portal/session')).status).toBe(200);
  });

  it('refuses Sec-Fetch-Site: cross-site without an Origin header', async () => {
    const sessions = await allSessions(t);
    expectError(
      await signInRaw(t, 'patient', good(), { 'sec-fetch-site': 'cross-site' }),
      403,
      'cross_origin_refused',
    );
    expect(await allSessions(t)).toBe(sessions);
  });

  it('accepts a same-origin Origin and Sec-Fetch-Site: same-origin', async () => {
    // app.inject sends Host "localhost:80"; a browser at the demo address sends these:
    const sameOrigin = await signInRaw(t, 'patient', good(), {
      host: '127.0.0.1:3000',
      origin: 'http://127.0.0.1:3000',
      'sec-fetch-site': 'same-origin',
    });
    expect(sameOrigin.status, JSON.stringify(sameOrigin.body)).toBe(200);
    const fetchMeta = await signInRaw(t, 'patient', good(), { 'sec-fetch-site': 'same-origin' });
    expect(fetchMeta.status).toBe(200);
    const noHeaders = await signInRaw(t, 'patient', good());
    expect(noHeaders.status).toBe(200);
  });

  it('accepts a same-origin Origin when the Host header spells out the default port', async () => {
    // app.inject sends "Host: localhost:80" (request.host is "localhost:80"); RFC 9110 allows a
    // Host header with the default port, and a proxy may forward one ("$host:$server_port").
    // The origin http://localhost is the same origin as http://localhost:80.
    const http = await signInRaw(t, 'patient', good(), { origin: 'http://localhost' });
    expect(http.status, JSON.stringify(http.body)).toBe(200);
    const explicit = await signInRaw(t, 'patient', good(), { origin: 'http://localhost:80' });
    expect(explicit.status, JSON.stringify(explicit.body)).toBe(200);
    const https = await signInRaw(t, 'patient', good(), {
      host: 'portal.example:443',
      origin: 'https://portal.example',
    });
    expect(https.status, JSON.stringify(https.body)).toBe(200);
  });

  it('refuses an Origin of the same host name on another port', async () => {
    expectError(
      await signInRaw(t, 'patient', good(), {
        host: '127.0.0.1:3000',
        origin: 'http://127.0.0.1:4000',
      }),
      403,
      'cross_origin_refused',
    );
  });

  it('refuses a text/plain body (what an HTML form can send) with 415 unsupported_media_type', async () => {
    const sessions = await allSessions(t);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/portal/session',
      headers: { 'content-type': 'text/plain' },
      payload: JSON.stringify(good()),
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({
      error: {
        status: 415,
        code: 'unsupported_media_type',
        message: expect.any(String),
      },
    });
    const form = await t.app.inject({
      method: 'POST',
      url: '/api/v1/portal/session',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `chamber=${c.key}&email=${encodeURIComponent(patient.email)}&password=${PASSWORD}`,
    });
    expect(form.statusCode).toBe(415);
    expect(form.json().error.code).toBe('unsupported_media_type');
    expect(await allSessions(t)).toBe(sessions);
  });

  it('sends security headers on API answers, success and refusal alike', async () => {
    const ok = await signInRaw(t, 'patient', good());
    const refused = await client(t.app).get('/api/v1/portal/session');
    const me = await client(t.app, ok.cookie).get('/api/v1/portal/session');
    for (const res of [ok, refused, me]) {
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(String(res.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
  });
});

describe('session expiry', () => {
  let t: TestApp;
  let c: TestChamber;
  let staff: { id: string; email: string };
  let patient: { id: string; email: string };

  beforeAll(async () => {
    t = await buildTestApp();
    ({ chamber: c, staff, patient } = await smallWorld(t));
  });
  afterAll(() => t?.close());

  for (const kind of ['staff', 'patient'] as const) {
    it(`ends a ${kind} session after 15 minutes idle, and deletes it`, async () => {
      const email = kind === 'staff' ? staff.email : patient.email;
      const me = await signInOk(t, kind, c.key, email);
      const sessions = await allSessions(t);
      t.clock.advance(minutes(14) + 59_000);
      expect((await me.get(`${base(kind)}/session`)).status).toBe(200);
      // That request counted as activity: 15 minutes from it, the session is gone.
      t.clock.advance(minutes(15));
      expectError(await me.get(`${base(kind)}/session`), 401, 'unauthenticated');
      expect(await allSessions(t)).toBe(sessions - 1);
      // It stays gone: no resurrection by a later request.
      expectError(await me.get(`${base(kind)}/session`), 401, 'unauthenticated');
    });
  }

  it('ends a session exactly at 15 minutes without activity', async () => {
    const me = await signInOk(t, 'patient', c.key, patient.email);
    t.clock.advance(minutes(15));
    expectError(await me.get('/api/v1/portal/session'), 401, 'unauthenticated');
  });

  it('keeps a session in use past 15 minutes; last-seen is written at most every 5 seconds', async () => {
    const me = await signInOk(t, 'patient', c.key, patient.email);
    const row = async () => {
      const r = await t.db.execute<{ last_seen_at: Date | string }>(
        sql`select last_seen_at from sessions where patient_id = ${patient.id}::uuid`,
      );
      expect(r.rows).toHaveLength(1);
      return new Date(r.rows[0]!.last_seen_at).getTime();
    };
    const signedInAt = t.clock().getTime();
    expect(await row()).toBe(signedInAt);

    t.clock.advance(4_000);
    expect((await me.get('/api/v1/portal/session')).status).toBe(200);
    expect(await row()).toBe(signedInAt);

    t.clock.advance(1_000);
    expect((await me.get('/api/v1/portal/session')).status).toBe(200);
    expect(await row()).toBe(signedInAt + 5_000);

    t.clock.advance(55_000);
    expect((await me.get('/api/v1/portal/session')).status).toBe(200);
    expect(await row()).toBe(signedInAt + minutes(1));

    for (let i = 0; i < 4; i += 1) {
      t.clock.advance(minutes(10));
      expect((await me.get('/api/v1/portal/conversations')).status).toBe(200);
    }
    expect(await row()).toBe(signedInAt + minutes(41));
  });

  it('ends a session 12 hours after sign-in however active it is', async () => {
    const me = await signInOk(t, 'staff', c.key, staff.email);
    for (let elapsed = 0; elapsed < hours(12) - minutes(10); elapsed += minutes(10)) {
      t.clock.advance(minutes(10));
      const res = await me.get('/api/v1/staff/session');
      expect(res.status, `after ${(elapsed + minutes(10)) / 60_000} minutes`).toBe(200);
    }
    t.clock.advance(minutes(10));
    expectError(await me.get('/api/v1/staff/session'), 401, 'unauthenticated');
    expect(await sessionsOfUser(t, staff.id)).toBe(0);
  });
});

describe('patient lockout (rule 8)', () => {
  let t: TestApp;
  let c: TestChamber;
  let band: string;

  beforeAll(async () => {
    t = await buildTestApp();
    c = await createChamber(t);
    band = await createBand(t, c, { messaging: true });
  });
  afterAll(() => t?.close());

  const wrong = (email: string) =>
    signInRaw(t, 'patient', { chamber: c.key, email, password: 'wrong-password-1' });
  const right = (email: string, password = PASSWORD) =>
    signInRaw(t, 'patient', { chamber: c.key, email, password });

  async function block(p: { id: string; email: string }) {
    for (let i = 0; i < 5; i += 1)
      expectError(await wrong(p.email), 401, 'invalid_credentials', 'password');
    expect((await accountOf(t, p.id)).state).toBe('blocked');
  }

  it('blocks the account at the fifth failed sign-in, ending its sessions; staff see Blocked', async () => {
    const p = await createPatient(t, c, { bandId: band });
    const open = await signInOk(t, 'patient', c.key, p.email);
    for (let i = 1; i <= 4; i += 1) {
      expectError(await wrong(p.email), 401, 'invalid_credentials', 'password');
      expect(await accountOf(t, p.id)).toMatchObject({ state: 'active', failed_sign_ins: i });
    }
    expect((await open.get('/api/v1/portal/session')).status).toBe(200);
    expectError(await wrong(p.email), 401, 'invalid_credentials', 'password');
    expect(await accountOf(t, p.id)).toMatchObject({ state: 'blocked' });
    expectError(await open.get('/api/v1/portal/session'), 401, 'unauthenticated');
    expect(await sessionsOfPatient(t, p.id)).toBe(0);

    const admin = await staffClient(t, c, c.admin.email);
    const record = await admin.get(`/api/v1/patients/${p.id}`);
    expect(record.status).toBe(200);
    expect(record.body.portalAccount.state).toBe('blocked');
  });

  it('blocks the account when five wrong passwords arrive at the same moment', async () => {
    const p = await createPatient(t, c, { bandId: band });
    const answers = await Promise.all(Array.from({ length: 5 }, () => wrong(p.email)));
    for (const a of answers) expectError(a, 401, 'invalid_credentials', 'password');
    expect(await accountOf(t, p.id)).toMatchObject({ state: 'blocked' });
    expectError(await right(p.email), 403, 'account_blocked', 'email');
    expect(await sessionsOfPatient(t, p.id)).toBe(0);
  });

  it('answers the right password on a blocked account with 403 account_blocked, a wrong one with 401; nothing changes', async () => {
    const p = await createPatient(t, c, { bandId: band });
    await block(p);
    const account = await accountOf(t, p.id);
    expectError(await right(p.email), 403, 'account_blocked', 'email');
    expectError(await wrong(p.email), 401, 'invalid_credentials', 'password');
    expect(await accountOf(t, p.id)).toEqual(account);
    expect(await sessionsOfPatient(t, p.id)).toBe(0);
  });

  it('a successful sign-in resets the failure count', async () => {
    const p = await createPatient(t, c, { bandId: band });
    for (let i = 0; i < 4; i += 1) await wrong(p.email);
    expect((await right(p.email)).status).toBe(200);
    expect(await accountOf(t, p.id)).toMatchObject({ state: 'active', failed_sign_ins: 0 });
    for (let i = 0; i < 4; i += 1) await wrong(p.email);
    expect(await accountOf(t, p.id)).toMatchObject({ state: 'active', failed_sign_ins: 4 });
  });

  it('Unblock Portal User (staff) restores sign-in; unblocking an unblocked account is refused', async () => {
    const p = await createPatient(t, c, { bandId: band });
    await block(p);
    const admin = await staffClient(t, c, c.admin.email);
    const res = await admin.post(`/api/v1/patients/${p.id}/portal-account/unblock`);
    expect(res.status).toBe(200);
    expect(res.body.portalAccount).toMatchObject({ state: 'active', failedSignIns: 0 });
    expect(await accountOf(t, p.id)).toMatchObject({ state: 'active', failed_sign_ins: 0 });
    expect((await right(p.email)).status).toBe(200);

    const again = await admin.post(`/api/v1/patients/${p.id}/portal-account/unblock`);
    expectError(again, 409, 'account_not_blocked');
    expect(await accountOf(t, p.id)).toMatchObject({ state: 'active' });
  });

  it('Unblock Portal User needs a staff session', async () => {
    const p = await createPatient(t, c, { bandId: band });
    await block(p);
    const patientSelf = await createPatient(t, c, { bandId: band });
    const asPatient = await signInOk(t, 'patient', c.key, patientSelf.email);
    expectError(
      await asPatient.post(`/api/v1/patients/${p.id}/portal-account/unblock`),
      401,
      'unauthenticated',
    );
    expectError(
      await client(t.app).post(`/api/v1/patients/${p.id}/portal-account/unblock`),
      401,
      'unauthenticated',
    );
    expect((await accountOf(t, p.id)).state).toBe('blocked');
  });

  it('a password reset link unblocks the account', async () => {
    const p = await createPatient(t, c, { bandId: band });
    await block(p);
    const asked = await post(t, '/api/v1/portal/password-reset', {
      chamber: c.key,
      email: p.email,
    });
    expect(asked.status).toBe(202);
    const token = await takeLink(t, p.email);
    const set = await post(t, '/api/v1/portal/password', { token, password: 'brand-new-pass-42' });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(await accountOf(t, p.id)).toMatchObject({ state: 'active', failed_sign_ins: 0 });
    expectError(await right(p.email), 401, 'invalid_credentials', 'password');
    expect((await right(p.email, 'brand-new-pass-42')).status).toBe(200);
  });

  it('with the Patient Portal switched off, the right password answers 403 portal_disabled and no session starts', async () => {
    const p = await createPatient(t, c, { bandId: band });
    const admin = await staffClient(t, c, c.admin.email);
    const off = await admin.patch('/api/v1/admin/settings', { patientPortalEnabled: false });
    expect(off.status).toBe(200);
    try {
      const sessions = await allSessions(t);
      expectError(await right(p.email), 403, 'portal_disabled');
      expectError(await wrong(p.email), 401, 'invalid_credentials', 'password');
      expect(await allSessions(t)).toBe(sessions);
    } finally {
      await admin.patch('/api/v1/admin/settings', { patientPortalEnabled: true });
    }
    expect((await right(p.email)).status).toBe(200);
  });
});

describe('staff lockout and Inactive users', () => {
  let t: TestApp;
  let c: TestChamber;

  beforeAll(async () => {
    t = await buildTestApp();
    c = await createChamber(t);
  });
  afterAll(() => t?.close());

  const attempt = (email: string, password: string) =>
    signInRaw(t, 'staff', { chamber: c.key, email, password });

  it('locks a staff user for 15 minutes after 5 failures, even for the right password', async () => {
    const s = await createStaff(t, c, { name: 'Lou Locked' });
    for (let i = 0; i < 5; i += 1) {
      expectError(
        await attempt(s.email, 'wrong-password-1'),
        401,
        'invalid_credentials',
        'password',
      );
    }
    const sessions = await allSessions(t);
    expectError(await attempt(s.email, PASSWORD), 403, 'account_locked', 'email');
    t.clock.advance(minutes(14));
    expectError(await attempt(s.email, PASSWORD), 403, 'account_locked', 'email');
    expect(await allSessions(t)).toBe(sessions);

    t.clock.advance(minutes(1));
    const ok = await attempt(s.email, PASSWORD);
    expect(ok.status).toBe(200);
    expect(await userRow(t, s.id)).toMatchObject({ failed_sign_ins: 0, locked_until: null });
  });

  it('locks a staff user when five wrong passwords arrive at the same moment', async () => {
    const s = await createStaff(t, c, { name: 'Para Llel' });
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => attempt(s.email, 'wrong-password-1')),
    );
    for (const a of answers) expectError(a, 401, 'invalid_credentials', 'password');
    const sessions = await allSessions(t);
    expectError(await attempt(s.email, PASSWORD), 403, 'account_locked', 'email');
    expect(await allSessions(t)).toBe(sessions);
  });

  it('a password reset lifts the lockout and ends the user’s sessions', async () => {
    const s = await createStaff(t, c, { name: 'Reg Reset' });
    const open = await signInOk(t, 'staff', c.key, s.email);
    for (let i = 0; i < 5; i += 1) await attempt(s.email, 'wrong-password-1');
    expectError(await attempt(s.email, PASSWORD), 403, 'account_locked', 'email');

    const asked = await post(t, '/api/v1/staff/password-reset', { chamber: c.key, email: s.email });
    expect(asked.status).toBe(202);
    const token = await takeLink(t, s.email);
    const set = await post(t, '/api/v1/staff/password', { token, password: 'staff-new-pass-77' });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expectError(await open.get('/api/v1/staff/session'), 401, 'unauthenticated');
    expect((await attempt(s.email, 'staff-new-pass-77')).status).toBe(200);
  });

  it('an Inactive user cannot sign in (403 account_not_active) and their sessions end at once', async () => {
    const s = await createStaff(t, c, { name: 'Ina Active' });
    const open = await signInOk(t, 'staff', c.key, s.email);
    const admin = await staffClient(t, c, c.admin.email);
    const res = await admin.patch(`/api/v1/admin/users/${s.id}`, { active: false });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expectError(await open.get('/api/v1/staff/session'), 401, 'unauthenticated');
    expect(await sessionsOfUser(t, s.id)).toBe(0);

    expectError(await attempt(s.email, PASSWORD), 403, 'account_not_active', 'email');
    expectError(await attempt(s.email, 'wrong-password-1'), 401, 'invalid_credentials', 'password');
    expect(await sessionsOfUser(t, s.id)).toBe(0);

    // No reset link for an Inactive user either.
    const tokens = await allTokens(t);
    expect(
      (await post(t, '/api/v1/staff/password-reset', { chamber: c.key, email: s.email })).status,
    ).toBe(202);
    expect(await allTokens(t)).toBe(tokens);

    expect((await admin.patch(`/api/v1/admin/users/${s.id}`, { active: true })).status).toBe(200);
    expect((await attempt(s.email, PASSWORD)).status).toBe(200);
  });

  it('a session open when the user is made Inactive dies even without the sessions being deleted', async () => {
    const s = await createStaff(t, c, { name: 'Ned Nodelete' });
    const open = await signInOk(t, 'staff', c.key, s.email);
    await t.db.execute(sql`update users set active = false where id = ${s.id}::uuid`);
    expectError(await open.get('/api/v1/staff/session'), 401, 'unauthenticated');
    expect(await sessionsOfUser(t, s.id)).toBe(0);
  });
});

describe('reset and invitation links (rule 8)', () => {
  let t: TestApp;
  let c: TestChamber;
  let band: string;

  beforeAll(async () => {
    t = await buildTestApp();
    c = await createChamber(t);
    band = await createBand(t, c, { messaging: true });
  });
  afterAll(() => t?.close());

  const requestReset = (email: string, chamber = c.key) =>
    post(t, '/api/v1/portal/password-reset', { chamber, email });
  const setPassword = (token: string, password: string) =>
    post(t, '/api/v1/portal/password', { token, password });
  const mailsTo = (email: string) => t.outbox.filter((m) => m.to === email).length;

  it('answers 202 with the same body for a known and an unknown email; only the known one gets a link', async () => {
    const p = await createPatient(t, c, { bandId: band });
    await t.deliverMail();
    const tokens = await allTokens(t);
    const outbox = t.outbox.length;

    const known = await requestReset(p.email);
    const unknown = await requestReset(`nobody-${p.id}@patients.example`);
    const unknownChamber = await requestReset(p.email, 'no-such-chamber');
    for (const r of [known, unknown, unknownChamber]) {
      expect(r.status).toBe(202);
      expect(r.body).toEqual(known.body);
    }
    expect(known.body.message).toMatch(/If this email belongs to an account/);
    expect(await allTokens(t)).toBe(tokens + 1);

    await t.deliverMail();
    expect(t.outbox.length).toBe(outbox + 1);
    const mail = t.outbox.at(-1)!;
    expect(mail.to).toBe(p.email);
    expect(mail.text).toContain(`/portal/c/${c.key}/set-password#token=`);
    expect(mail.text).toMatch(/\/set-password#token=[A-Za-z0-9_-]{20,}/);
  });

  it('sends at most one reset email every 3 minutes for the same email; a newer link retires the older', async () => {
    const p = await createPatient(t, c, { bandId: band });
    expect((await requestReset(p.email)).status).toBe(202);
    const first = await takeLink(t, p.email);
    const sent = mailsTo(p.email);
    const tokens = await allTokens(t);

    t.clock.advance(minutes(2) + 59_000);
    expect((await requestReset(p.email)).status).toBe(202);
    await t.deliverMail();
    expect(mailsTo(p.email)).toBe(sent);
    expect(await allTokens(t)).toBe(tokens);

    t.clock.advance(1_000);
    expect((await requestReset(p.email)).status).toBe(202);
    const second = await takeLink(t, p.email);
    expect(mailsTo(p.email)).toBe(sent + 1);
    expect(second).not.toBe(first);

    expectError(await setPassword(first, 'another-pass-31'), 400, 'link_invalid', 'token');
    expect((await setPassword(second, 'another-pass-31')).status).toBe(200);
  });

  it('sets the password with the link, ends every session of the patient, and the link works once', async () => {
    const p = await createPatient(t, c, { bandId: band });
    const phone = await signInOk(t, 'patient', c.key, p.email);
    const laptop = await signInOk(t, 'patient', c.key, p.email);
    expect(await sessionsOfPatient(t, p.id)).toBe(2);

    expect((await requestReset(p.email)).status).toBe(202);
    const token = await takeLink(t, p.email);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/portal/password',
      payload: { token, password: 'fresh-password-58' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true });
    expect(await sessionsOfPatient(t, p.id)).toBe(0);
    expectError(await phone.get('/api/v1/portal/session'), 401, 'unauthenticated');
    expectError(await laptop.get('/api/v1/portal/session'), 401, 'unauthenticated');

    expectError(
      await signInRaw(t, 'patient', { chamber: c.key, email: p.email, password: PASSWORD }),
      401,
      'invalid_credentials',
      'password',
    );
    const fresh = await signInOk(t, 'patient', c.key, p.email, 'fresh-password-58');

    const hash = (await accountOf(t, p.id)).password_hash;
    expectError(await setPassword(token, 'third-password-77'), 400, 'link_invalid', 'token');
    expect((await accountOf(t, p.id)).password_hash).toBe(hash);
    // The refused replay ended nothing.
    expect((await fresh.get('/api/v1/portal/session')).status).toBe(200);
  });

  it('refuses a reset link 15 minutes after it was sent; one just under 15 minutes works', async () => {
    const late = await createPatient(t, c, { bandId: band });
    const onTime = await createPatient(t, c, { bandId: band });
    await requestReset(late.email);
    await requestReset(onTime.email);
    const lateToken = await takeLink(t, late.email);
    const onTimeToken = await takeLink(t, onTime.email);

    t.clock.advance(minutes(14) + 59_000);
    expect((await setPassword(onTimeToken, 'on-time-pass-12')).status).toBe(200);
    t.clock.advance(1_000);
    const before = await accountOf(t, late.id);
    expectError(await setPassword(lateToken, 'too-late-pass-12'), 400, 'link_invalid', 'token');
    expect(await accountOf(t, late.id)).toEqual(before);
    expect(
      (await signInRaw(t, 'patient', { chamber: c.key, email: late.email, password: PASSWORD }))
        .status,
    ).toBe(200);
  });

  it('refuses a made-up, a malformed and a staff-only link without using it up', async () => {
    const p = await createPatient(t, c, { bandId: band });
    const s = await createStaff(t, c, { name: 'Link Staff' });
    expectError(
      await setPassword('x'.repeat(43), 'good-password-12'),
      400,
      'link_invalid',
      'token',
    );
    expectError(await setPassword('short', 'good-password-12'), 400, 'link_invalid', 'token');
    expectError(
      await post(t, '/api/v1/portal/password', { password: 'good-password-12' }),
      422,
      'validation_failed',
      'token',
    );

    // A patient's link on the staff endpoint (and the other way round) is not a link there.
    await requestReset(p.email);
    const patientToken = await takeLink(t, p.email);
    await post(t, '/api/v1/staff/password-reset', { chamber: c.key, email: s.email });
    const staffToken = await takeLink(t, s.email);
    expectError(
      await post(t, '/api/v1/staff/password', {
        token: patientToken,
        password: 'good-password-12',
      }),
      400,
      'link_invalid',
      'token',
    );
    expectError(await setPassword(staffToken, 'good-password-12'), 400, 'link_invalid', 'token');
    expect((await setPassword(patientToken, 'good-password-12')).status).toBe(200);
    expect(
      (await post(t, '/api/v1/staff/password', { token: staffToken, password: 'good-password-12' }))
        .status,
    ).toBe(200);
  });

  it('refuses weak passwords with the rule broken, and the link stays usable', async () => {
    const p = await createPatient(t, c, { bandId: band });
    await requestReset(p.email);
    const token = await takeLink(t, p.email);
    const before = await accountOf(t, p.id);
    const cases: [string, string][] = [
      ['short1', 'password_too_short'],
      ['abc123def', 'password_too_short'],
      ['onlyletterspassword', 'password_too_weak'],
      ['12345678901234', 'password_too_weak'],
      ['password123', 'password_breached'],
      ['PASSWORD123', 'password_breached'],
      ['q1w2e3r4t5', 'password_breached'],
    ];
    for (const [password, code] of cases) {
      const res = await setPassword(token, password);
      expectError(res, 422, code, 'password');
    }
    expect(await accountOf(t, p.id)).toEqual(before);
    expect(await usableTokensOf(t, p.id)).toBe(1);
    expect((await setPassword(token, 'a-good-one-2026')).status).toBe(200);
    expect(await usableTokensOf(t, p.id)).toBe(0);
  });

  it('an invitation (staff Invite) lives 24 hours and activates the account', async () => {
    const admin = () => staffClient(t, c, c.admin.email);
    const onTime = await createPatient(t, c, { bandId: band, account: 'none' });
    const late = await createPatient(t, c, { bandId: band, account: 'none' });
    for (const p of [onTime, late]) {
      const res = await (await admin()).post(`/api/v1/patients/${p.id}/portal-account/invite`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.portalAccount.state).toBe('invited');
    }
    const onTimeToken = await takeLink(t, onTime.email);
    const lateToken = await takeLink(t, late.email);
    expect(t.outbox.at(-1)!.text).toMatch(/24 hours/);

    // An invited account has no password yet: it cannot sign in.
    expectError(
      await signInRaw(t, 'patient', { chamber: c.key, email: late.email, password: PASSWORD }),
      401,
      'invalid_credentials',
      'password',
    );

    t.clock.advance(hours(23) + minutes(59));
    expect((await setPassword(onTimeToken, 'invited-pass-11')).status).toBe(200);
    expect(await accountOf(t, onTime.id)).toMatchObject({ state: 'active' });
    expect(
      (
        await signInRaw(t, 'patient', {
          chamber: c.key,
          email: onTime.email,
          password: 'invited-pass-11',
        })
      ).status,
    ).toBe(200);

    t.clock.advance(minutes(1));
    expectError(await setPassword(lateToken, 'invited-pass-11'), 400, 'link_invalid', 'token');
    expect(await accountOf(t, late.id)).toMatchObject({ state: 'invited' });
    const record = await (await admin()).get(`/api/v1/patients/${late.id}`);
    expect(record.body.portalAccount.state).toBe('invited');
  });
});

describe('sign-in rate limit', () => {
  let t: TestApp;
  let c: TestChamber;
  let patient: { id: string; email: string };

  beforeAll(async () => {
    t = await buildTestApp({ config: { signInRateLimitPerMinute: 3 } });
    c = await createChamber(t);
    const band = await createBand(t, c, { messaging: true });
    patient = await createPatient(t, c, { bandId: band });
  });
  afterAll(() => t?.close());

  it('answers the 4th attempt within a minute with 429, Retry-After and the one error shape; nothing happens', async () => {
    for (let i = 0; i < 3; i += 1) {
      const res = await signInRaw(t, 'patient', {
        chamber: c.key,
        email: patient.email,
        password: 'wrong-password-1',
      });
      expectError(res, 401, 'invalid_credentials', 'password');
    }
    const account = await accountOf(t, patient.id);
    const sessions = await allSessions(t);
    const res = await signInRaw(t, 'patient', {
      chamber: c.key,
      email: patient.email,
      password: PASSWORD,
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(res.body).toEqual({
      error: { status: 429, code: 'too_many_requests', message: expect.any(String) },
    });
    expect(res.setCookie).toBeUndefined();
    // Without a trusted proxy, a forged X-Forwarded-For does not buy a fresh allowance.
    const forged = await signInRaw(
      t,
      'patient',
      { chamber: c.key, email: patient.email, password: PASSWORD },
      { 'x-forwarded-for': '203.0.113.9' },
    );
    expectError(forged, 429, 'too_many_requests');
    expect(await allSessions(t)).toBe(sessions);
    expect(await accountOf(t, patient.id)).toEqual(account);
  });

  it('behind one proxy (PORTAL_TRUST_PROXY=1) counts the address the proxy added, not one the client wrote', async () => {
    const proxied = await buildTestApp({
      config: {
        signInRateLimitPerMinute: 3,
        trustProxy: loadConfig({ PORTAL_TRUST_PROXY: '1' }).trustProxy,
      },
    });
    try {
      const pc = await createChamber(proxied);
      const band = await createBand(proxied, pc, { messaging: true });
      const p = await createPatient(proxied, pc, { bandId: band });
      // nginx with `$proxy_add_x_forwarded_for` appends the address it saw to the client's own.
      const via = (client: string, forged: string) => ({
        'x-forwarded-for': `${forged}, ${client}`,
      });
      const attempt = (headers: Record<string, string>, password = 'wrong-password-1') =>
        signInRaw(proxied, 'patient', { chamber: pc.key, email: p.email, password }, headers);
      for (let i = 0; i < 3; i += 1)
        expectError(
          await attempt(via('198.51.100.7', `203.0.113.${i}`)),
          401,
          'invalid_credentials',
          'password',
        );
      // A fresh forged entry buys nothing: the 4th attempt from that client is refused.
      expectError(
        await attempt(via('198.51.100.7', '203.0.113.99'), PASSWORD),
        429,
        'too_many_requests',
      );
      // Another client behind the same proxy still may.
      expectError(
        await attempt(via('198.51.100.8', '203.0.113.0')),
        401,
        'invalid_credentials',
        'password',
      );
      // And the audit rows name the client the proxy saw.
      const ips = await proxied.db.execute<{ ip: string }>(
        sql`select host(ip) as ip from audit_events where chamber_id = ${pc.id}::uuid and action = 'portal.sign_in_failed' order by id`,
      );
      expect(ips.rows.map((r) => r.ip)).toEqual([
        '198.51.100.7',
        '198.51.100.7',
        '198.51.100.7',
        '198.51.100.8',
      ]);
    } finally {
      await proxied.close();
    }
  });

  it('reads PORTAL_TRUST_PROXY as a switch, a number of proxies or their addresses, and refuses anything else', () => {
    const read = (v: string) => loadConfig({ PORTAL_TRUST_PROXY: v }).trustProxy;
    expect(read('')).toBe(false);
    expect(read('false')).toBe(false);
    expect(read('true')).toBe(true);
    expect(read('2')).toBe(2);
    expect(read('127.0.0.1, 10.0.0.0/8,::1')).toEqual(['127.0.0.1', '10.0.0.0/8', '::1']);
    for (const bad of [
      'yes',
      '0',
      '11',
      '10.0.0.0/33',
      'nginx.internal',
      '127.0.0.1,',
      '1.2.3.4/8/8',
    ])
      expect(() => read(bad), bad).toThrow(/PORTAL_TRUST_PROXY must be/);
  });

  it('limits password-reset requests too', async () => {
    const tokens = await allTokens(t);
    const answers: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      answers.push(
        (
          await post(t, '/api/v1/portal/password-reset', {
            chamber: c.key,
            email: `nobody-${i}@patients.example`,
          })
        ).status,
      );
    }
    expect(answers).toEqual([202, 202, 202, 429]);
    const res = await post(t, '/api/v1/portal/password-reset', {
      chamber: c.key,
      email: patient.email,
    });
    expectError(res, 429, 'too_many_requests');
    expect(res.headers['retry-after']).toBeDefined();
    expect(await allTokens(t)).toBe(tokens);
  });
});

describe('secure cookies (https deployments)', () => {
  let t: TestApp;
  let c: TestChamber;
  let staff: { id: string; email: string };
  let patient: { id: string; email: string };

  beforeAll(async () => {
    t = await buildTestApp({ config: { secureCookies: true } });
    ({ chamber: c, staff, patient } = await smallWorld(t));
  });
  afterAll(() => t?.close());

  for (const kind of ['staff', 'patient'] as const) {
    it(`names the ${kind} cookie __Host-… and marks it Secure, HttpOnly, SameSite=Strict, Path=/`, async () => {
      const email = kind === 'staff' ? staff.email : patient.email;
      const res = await signInRaw(t, kind, { chamber: c.key, email, password: PASSWORD });
      expect(res.status).toBe(200);
      expect(res.setCookie!.startsWith(`${cookieName(kind, true)}=`)).toBe(true);
      const attrs = cookieAttributes(res.setCookie);
      expect(attrs).toEqual(
        expect.arrayContaining(['secure', 'httponly', 'samesite=strict', 'path=/']),
      );
      // __Host- cookies must not carry a Domain.
      expect(attrs.some((a) => a.startsWith('domain='))).toBe(false);

      expect((await client(t.app, res.cookie).get(`${base(kind)}/session`)).status).toBe(200);
      const token = res.cookie!.split('=')[1]!;
      expectError(
        await client(t.app, `${cookieName(kind)}=${token}`).get(`${base(kind)}/session`),
        401,
        'unauthenticated',
      );
      const out = await client(t.app, res.cookie).delete(`${base(kind)}/session`);
      expect(out.status).toBe(200);
      expect(String(out.headers['set-cookie'])).toMatch(new RegExp(`^${cookieName(kind, true)}=;`));
      expect(String(out.headers['set-cookie']).toLowerCase()).toContain('secure');
    });
  }
});
