import { generate } from 'otplib';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { minutes } from '../../lib/clock.js';
import { createChamber, createStaff, PASSWORD, type TestChamber } from '../../test/factories.js';
import { client, type Client } from '../../test/http.js';
import { createSoftAuthenticator } from '../../test/soft-authenticator.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';

let t: TestApp;
let c: TestChamber;
let other: TestChamber;

beforeAll(async () => {
  t = await buildTestApp();
  c = await createChamber(t);
  other = await createChamber(t);
});
afterAll(() => t?.close());

/** A new staff user of the chamber, with its email. */
async function newUser(chamber = c, name?: string): Promise<{ id: string; email: string }> {
  const user = await createStaff(t, chamber, name ? { name } : {});
  return { id: user.id, email: user.email };
}

/** Password sign-in: the answer and a client holding whatever cookie it set. */
async function passwordSignIn(email: string, chamber = c, password = PASSWORD) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/staff/session',
    payload: { chamber: chamber.key, email, password },
  });
  return { status: res.statusCode, body: res.json(), as: withCookie(res.headers['set-cookie']) };
}

function withCookie(set: string | string[] | undefined, fallback?: Client): Client {
  const raw = Array.isArray(set) ? set[0] : set;
  if (!raw) return fallback ?? client(t.app);
  return client(t.app, raw.split(';')[0]);
}

/** The code an authenticator app shows now, `steps` 30-second steps away. */
const codeAt = (secret: string, steps = 0) =>
  generate({ secret, epoch: Math.floor(t.clock().getTime() / 1000) + steps * 30 });

/** Sets up an authenticator app for a signed-in client; the secret and the answer. */
async function enrolTotp(as: Client) {
  const setUp = await as.post('/api/v1/me/second-factors/totp/set-up');
  expect(setUp.status, JSON.stringify(setUp.body)).toBe(200);
  const confirm = await as.post('/api/v1/me/second-factors/totp', {
    challengeId: setUp.body.challengeId,
    code: await codeAt(setUp.body.secret),
  });
  expect(confirm.status, JSON.stringify(confirm.body)).toBe(200);
  return { secret: setUp.body.secret as string, uri: setUp.body.uri as string, confirm };
}

async function actions(userId: string): Promise<{ action: string; details: any }[]> {
  const rows = await t.db.execute<{ action: string; details: any }>(sql`
    select action, details from audit_events
     where chamber_id = ${c.id}::uuid and subject_id = ${userId} order by id`);
  return rows.rows;
}

beforeEach(() => {
  // Each test starts on a fresh 30-second step, so codes of one test never collide with another's.
  t.clock.advance(minutes(1));
});

describe('authenticator app (TOTP)', () => {
  it('enrols with a code, gives ten recovery codes once, and asks for a code after the password', async () => {
    const user = await newUser();
    const first = await passwordSignIn(user.email);
    expect(first.status).toBe(200);
    expect(first.body.user.id).toBe(user.id);
    const { secret, uri, confirm } = await enrolTotp(first.as);
    expect(uri).toMatch(/^otpauth:\/\/totp\//);
    expect(uri).toContain(`secret=${secret}`);
    expect(confirm.body.factor).toMatchObject({ kind: 'totp', name: 'Authenticator app' });
    expect(confirm.body.recoveryCodes).toHaveLength(10);
    expect(new Set(confirm.body.recoveryCodes).size).toBe(10);
    expect(confirm.body.signedIn).toBe(false);

    // Stored sealed and hashed: neither the secret nor a code is in the database as typed.
    const stored = await t.db.execute<{ totp_secret: string }>(
      sql`select totp_secret from staff_second_factors where user_id = ${user.id}::uuid`,
    );
    expect(stored.rows[0]!.totp_secret).not.toContain(secret);
    const hashes = await t.db.execute<{ code_hash: string }>(
      sql`select code_hash from staff_recovery_codes where user_id = ${user.id}::uuid`,
    );
    expect(hashes.rows).toHaveLength(10);
    for (const code of confirm.body.recoveryCodes)
      expect(hashes.rows.map((r) => r.code_hash)).not.toContain(code);

    const list = await first.as.get('/api/v1/me/second-factors');
    expect(list.body).toMatchObject({ recoveryCodesLeft: 10, required: false });
    expect(list.body.factors).toHaveLength(1);

    t.clock.advance(minutes(1));
    const second = await passwordSignIn(user.email);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({
      next: 'second_factor',
      methods: ['totp', 'recovery_code'],
    });
    // Half signed in: nothing but the second step answers.
    for (const url of ['/api/v1/staff/session', '/api/v1/inbox', '/api/v1/me/second-factors']) {
      const res = await second.as.get(url);
      expect(res.status, url).toBe(401);
      expect(res.body.error.code, url).toBe('second_factor_required');
    }
    const step = await second.as.get('/api/v1/staff/session/second-factor');
    expect(step.body).toMatchObject({ next: 'second_factor', methods: ['totp', 'recovery_code'] });

    const wrong = await second.as.post('/api/v1/staff/session/second-factor', {
      method: 'totp',
      code: '000000' === (await codeAt(secret)) ? '111111' : '000000',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatchObject({ code: 'invalid_code', field: 'code' });

    const code = await codeAt(secret);
    const right = await t.app.inject({
      method: 'POST',
      url: '/api/v1/staff/session/second-factor',
      headers: { cookie: second.as.cookie!, 'content-type': 'application/json' },
      payload: { method: 'totp', code },
    });
    expect(right.statusCode, right.body).toBe(200);
    expect(right.json().user.id).toBe(user.id);
    const full = withCookie(right.headers['set-cookie']);
    expect(full.cookie).not.toBe(second.as.cookie);
    expect((await full.get('/api/v1/staff/session')).status).toBe(200);
    expect((await full.get('/api/v1/inbox')).status).toBe(200);
    // The half session's token ended with it.
    expect((await second.as.get('/api/v1/staff/session/second-factor')).status).toBe(401);

    // The same code is accepted once: a second sign-in in the same 30 seconds cannot reuse it.
    const again = await passwordSignIn(user.email);
    const replay = await again.as.post('/api/v1/staff/session/second-factor', {
      method: 'totp',
      code,
    });
    expect(replay.status).toBe(401);

    const log = await actions(user.id);
    expect(log.map((r) => r.action)).toEqual(
      expect.arrayContaining([
        'staff.second_factor_added',
        'staff.recovery_codes_created',
        'staff.sign_in_started',
        'staff.second_factor_failed',
      ]),
    );
    expect(
      log.find((r) => r.action === 'staff.sign_in' && r.details?.secondFactor === 'totp'),
    ).toBeTruthy();
  });

  it('allows one step of clock drift either way, not two', async () => {
    const user = await newUser();
    const { as } = await passwordSignIn(user.email);
    const { secret } = await enrolTotp(as);
    for (const [steps, ok] of [
      [-1, true],
      [1, true],
      [-2, false],
      [2, false],
    ] as const) {
      t.clock.advance(minutes(2));
      const half = await passwordSignIn(user.email);
      const res = await half.as.post('/api/v1/staff/session/second-factor', {
        method: 'totp',
        code: await codeAt(secret, steps),
      });
      expect(res.status, `drift ${steps}`).toBe(ok ? 200 : 401);
    }
  });

  it('five wrong codes lock the user like five wrong passwords, and wrong passwords count too', async () => {
    const user = await newUser();
    const { as } = await passwordSignIn(user.email);
    const { secret } = await enrolTotp(as);
    t.clock.advance(minutes(1));
    // Two wrong passwords, then three wrong codes: the fifth failure in a row locks.
    for (let i = 0; i < 2; i++)
      expect((await passwordSignIn(user.email, c, 'wrong-password-0')).status).toBe(401);
    const half = await passwordSignIn(user.email);
    expect(half.body.next).toBe('second_factor');
    const wrongCode = (await codeAt(secret)) === '123456' ? '654321' : '123456';
    for (let i = 0; i < 2; i++) {
      const res = await half.as.post('/api/v1/staff/session/second-factor', {
        method: 'totp',
        code: wrongCode,
      });
      expect(res.status).toBe(401);
    }
    const fifth = await half.as.post('/api/v1/staff/session/second-factor', {
      method: 'totp',
      code: wrongCode,
    });
    expect(fifth.status).toBe(403);
    expect(fifth.body.error.code).toBe('account_locked');
    // The half session ended; even the right code and the right password are refused now.
    expect((await half.as.get('/api/v1/staff/session/second-factor')).status).toBe(401);
    const locked = await passwordSignIn(user.email);
    expect(locked.status).toBe(403);
    expect(locked.body.error.code).toBe('account_locked');
    // After the lock, the count starts again.
    t.clock.advance(minutes(16));
    const later = await passwordSignIn(user.email);
    expect(later.body.next).toBe('second_factor');
    const ok = await later.as.post('/api/v1/staff/session/second-factor', {
      method: 'totp',
      code: await codeAt(secret),
    });
    expect(ok.status).toBe(200);
  });

  it('cancelling the second step ends that half session only, not the user’s other sessions', async () => {
    const user = await newUser();
    const { as } = await passwordSignIn(user.email);
    await enrolTotp(as);
    const half = await passwordSignIn(user.email);
    const cancel = await half.as.delete('/api/v1/staff/session');
    expect(cancel.status).toBe(200);
    expect((await half.as.get('/api/v1/staff/session/second-factor')).status).toBe(401);
    // Whoever knows only the password cannot sign the user out of their devices.
    expect((await as.get('/api/v1/staff/session')).status).toBe(200);
    // A full session's sign-out still ends every session (rule 8).
    const other = await passwordSignIn(user.email);
    expect((await as.delete('/api/v1/staff/session')).status).toBe(200);
    expect((await other.as.get('/api/v1/staff/session/second-factor')).status).toBe(401);
  });

  it('the second step lives five minutes', async () => {
    const user = await newUser();
    const { as } = await passwordSignIn(user.email);
    const { secret } = await enrolTotp(as);
    t.clock.advance(minutes(1));
    const half = await passwordSignIn(user.email);
    expect(new Date(half.body.expiresAt).getTime() - t.clock().getTime()).toBe(minutes(5));
    t.clock.advance(minutes(5));
    const late = await half.as.post('/api/v1/staff/session/second-factor', {
      method: 'totp',
      code: await codeAt(secret),
    });
    expect(late.status).toBe(401);
    expect(late.body.error.code).toBe('unauthenticated');
  });

  it('a wrong code while confirming the set-up changes nothing, and the set-up can be retried', async () => {
    const user = await newUser();
    const { as } = await passwordSignIn(user.email);
    const setUp = await as.post('/api/v1/me/second-factors/totp/set-up');
    const bad = await as.post('/api/v1/me/second-factors/totp', {
      challengeId: setUp.body.challengeId,
      code: 'abc',
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.field).toBe('code');
    expect((await as.get('/api/v1/me/second-factors')).body.factors).toHaveLength(0);
    const good = await as.post('/api/v1/me/second-factors/totp', {
      challengeId: setUp.body.challengeId,
      code: await codeAt(setUp.body.secret),
    });
    expect(good.status).toBe(200);
    // One authenticator app per user.
    const twice = await enrolTotp(as).catch((e: Error) => e);
    expect(twice).toBeInstanceOf(Error);
    // Another user cannot confirm this user's set-up.
    const other = await newUser(c);
    const otherAs = (await passwordSignIn(other.email)).as;
    const mine = await as.post('/api/v1/me/second-factors/totp/set-up');
    const stolen = await otherAs.post('/api/v1/me/second-factors/totp', {
      challengeId: mine.body.challengeId,
      code: await codeAt(mine.body.secret),
    });
    expect(stolen.status).toBe(422);
    expect(stolen.body.error.code).toBe('challenge_expired');
  });
});

describe('recovery codes', () => {
  it('each works once, new ones void the old, and they need a factor first', async () => {
    const user = await newUser();
    const { as } = await passwordSignIn(user.email);
    const none = await as.post('/api/v1/me/second-factors/recovery-codes');
    expect(none.status).toBe(409);
    const { confirm } = await enrolTotp(as);
    const codes: string[] = confirm.body.recoveryCodes;

    const half = await passwordSignIn(user.email);
    // Typed loosely: upper case, no dashes.
    const used = await half.as.post('/api/v1/staff/session/second-factor', {
      method: 'recovery_code',
      code: codes[0]!.toUpperCase().replace(/-/g, ''),
    });
    expect(used.status, JSON.stringify(used.body)).toBe(200);
    const again = await passwordSignIn(user.email);
    const reused = await again.as.post('/api/v1/staff/session/second-factor', {
      method: 'recovery_code',
      code: codes[0],
    });
    expect(reused.status).toBe(401);
    const full = withCookie(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/staff/session/second-factor',
          headers: { cookie: again.as.cookie!, 'content-type': 'application/json' },
          payload: { method: 'recovery_code', code: codes[1] },
        })
      ).headers['set-cookie'],
    );
    expect((await full.get('/api/v1/me/second-factors')).body.recoveryCodesLeft).toBe(8);
    const fresh = await full.post('/api/v1/me/second-factors/recovery-codes');
    expect(fresh.status).toBe(200);
    expect(fresh.body.codes).toHaveLength(10);
    const old = await passwordSignIn(user.email);
    expect(
      (
        await old.as.post('/api/v1/staff/session/second-factor', {
          method: 'recovery_code',
          code: codes[2],
        })
      ).status,
    ).toBe(401);
  });
});

describe('Require two-step verification for staff', () => {
  it('leads a user without a factor to set one up, and nothing else answers first', async () => {
    const admin = client(t.app, (await passwordSignIn(c.admin.email)).as.cookie);
    const on = await admin.patch('/api/v1/admin/settings', { requireStaffTwoStep: true });
    expect(on.status, JSON.stringify(on.body)).toBe(200);
    expect(on.body.requireStaffTwoStep).toBe(true);
    try {
      const user = await newUser();
      const half = await passwordSignIn(user.email);
      expect(half.body).toMatchObject({
        next: 'set_up_second_factor',
        methods: ['passkey', 'totp'],
      });
      expect(new Date(half.body.expiresAt).getTime() - t.clock().getTime()).toBe(minutes(15));
      for (const url of ['/api/v1/staff/session', '/api/v1/inbox', '/api/v1/notifications']) {
        const res = await half.as.get(url);
        expect(res.status, url).toBe(401);
      }
      expect((await half.as.post('/api/v1/me/second-factors/recovery-codes')).status).toBe(401);
      // The second step itself has nothing to check yet.
      const answer = await half.as.post('/api/v1/staff/session/second-factor', {
        method: 'recovery_code',
        code: 'aaaa-bbbb-cccc',
      });
      expect(answer.status).toBe(409);
      const list = await half.as.get('/api/v1/me/second-factors');
      expect(list.status).toBe(200);
      expect(list.body.required).toBe(true);

      const setUp = await half.as.post('/api/v1/me/second-factors/totp/set-up');
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/me/second-factors/totp',
        headers: { cookie: half.as.cookie!, 'content-type': 'application/json' },
        payload: { challengeId: setUp.body.challengeId, code: await codeAt(setUp.body.secret) },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ signedIn: true });
      expect(res.json().recoveryCodes).toHaveLength(10);
      const full = withCookie(res.headers['set-cookie']);
      expect((await full.get('/api/v1/inbox')).status).toBe(200);
      expect((await half.as.get('/api/v1/me/second-factors')).status).toBe(401);

      // The last factor stays while two-step is required.
      const factorId = res.json().factor.id;
      const remove = await full.delete(`/api/v1/me/second-factors/${factorId}`);
      expect(remove.status).toBe(409);
      expect(remove.body.error.code).toBe('last_factor_required');
      expect((await full.get('/api/v1/me/second-factors')).body.factors).toHaveLength(1);
    } finally {
      await admin.patch('/api/v1/admin/settings', { requireStaffTwoStep: false });
    }
  });
});

describe('passkeys', () => {
  const origin = 'http://localhost:3000';

  async function enrolPasskey(as: Client, device = createSoftAuthenticator({ origin })) {
    const options = await as.post('/api/v1/me/second-factors/passkeys/options');
    expect(options.status, JSON.stringify(options.body)).toBe(200);
    expect(options.body.options.rp.id).toBe('localhost');
    const added = await as.post('/api/v1/me/second-factors/passkeys', {
      name: 'Work laptop',
      challengeId: options.body.challengeId,
      response: device.register(options.body.options),
    });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    return { device, added };
  }

  it('a passkey is a second step after the password', async () => {
    const user = await newUser();
    const { as } = await passwordSignIn(user.email);
    const { device, added } = await enrolPasskey(as);
    expect(added.body.factor).toMatchObject({ kind: 'passkey', name: 'Work laptop' });
    expect(added.body.recoveryCodes).toHaveLength(10);

    const half = await passwordSignIn(user.email);
    expect(half.body).toMatchObject({
      next: 'second_factor',
      methods: ['passkey', 'recovery_code'],
    });
    const options = await half.as.post('/api/v1/staff/session/second-factor/passkey-options');
    expect(options.status).toBe(200);
    const res = await half.as.post('/api/v1/staff/session/second-factor', {
      method: 'passkey',
      challengeId: options.body.challengeId,
      response: device.authenticate(options.body.options, { userVerified: false }),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // A challenge is used once.
    const half2 = await passwordSignIn(user.email);
    const replay = await half2.as.post('/api/v1/staff/session/second-factor', {
      method: 'passkey',
      challengeId: options.body.challengeId,
      response: device.authenticate(options.body.options),
    });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('passkey_refused');
  });

  it('a passkey alone signs in (it stands for both steps) only with user verification', async () => {
    const user = await newUser();
    const { as } = await passwordSignIn(user.email);
    const { device } = await enrolPasskey(as);

    const start = await client(t.app).post('/api/v1/staff/passkey-options', { chamber: c.key });
    expect(start.status).toBe(200);
    expect(start.body.options.allowCredentials ?? []).toEqual([]);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/staff/session/passkey',
      payload: {
        chamber: c.key,
        challengeId: start.body.challengeId,
        response: device.authenticate(start.body.options),
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().user.id).toBe(user.id);
    const full = withCookie(res.headers['set-cookie']);
    expect((await full.get('/api/v1/inbox')).status).toBe(200);

    // Without user verification (no PIN, no biometrics) it is only one factor: refused.
    const noUv = await client(t.app).post('/api/v1/staff/passkey-options', { chamber: c.key });
    const refused = await client(t.app).post('/api/v1/staff/session/passkey', {
      chamber: c.key,
      challengeId: noUv.body.challengeId,
      response: device.authenticate(noUv.body.options, { userVerified: false }),
    });
    expect(refused.status).toBe(401);
    // Another clinic's code with this clinic's passkey: refused.
    const elsewhere = await client(t.app).post('/api/v1/staff/passkey-options', {
      chamber: other.key,
    });
    const crossed = await client(t.app).post('/api/v1/staff/session/passkey', {
      chamber: other.key,
      challengeId: elsewhere.body.challengeId,
      response: device.authenticate(elsewhere.body.options),
    });
    expect(crossed.status).toBe(401);
    expect(crossed.headers['set-cookie']).toBeUndefined();
    // A cloned authenticator replaying an old counter: refused.
    const clone = await client(t.app).post('/api/v1/staff/passkey-options', { chamber: c.key });
    const cloned = await client(t.app).post('/api/v1/staff/session/passkey', {
      chamber: c.key,
      challengeId: clone.body.challengeId,
      response: device.authenticate(clone.body.options, { counter: 1 }),
    });
    expect(cloned.status).toBe(401);
    const failures = (await actions(user.id)).filter((r) => r.action === 'staff.sign_in_failed');
    expect(failures.map((r) => r.details.reason)).toEqual(
      expect.arrayContaining(['passkey_refused']),
    );
  });

  it('an Inactive user cannot sign in with their passkey', async () => {
    const user = await newUser();
    const { as } = await passwordSignIn(user.email);
    const { device } = await enrolPasskey(as);
    const admin = (await passwordSignIn(c.admin.email)).as;
    expect((await admin.patch(`/api/v1/admin/users/${user.id}`, { active: false })).status).toBe(
      200,
    );
    const start = await client(t.app).post('/api/v1/staff/passkey-options', { chamber: c.key });
    const res = await client(t.app).post('/api/v1/staff/session/passkey', {
      chamber: c.key,
      challengeId: start.body.challengeId,
      response: device.authenticate(start.body.options),
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('account_not_active');
  });
});

describe('Reset two-step verification', () => {
  it('an admin removes every factor, ends the sessions and emails the user; audited', async () => {
    const user = await newUser();
    const { as } = await passwordSignIn(user.email);
    await enrolTotp(as);
    const admin = (await passwordSignIn(c.admin.email)).as;
    const users = await admin.get('/api/v1/admin/users');
    expect(users.body.users.find((u: { id: string }) => u.id === user.id).twoStep).toBe(true);

    // Not by a non-admin, not on another chamber's user.
    expect((await as.delete(`/api/v1/admin/users/${user.id}/second-factors`)).status).toBe(403);
    const stranger = await newUser(other);
    expect((await admin.delete(`/api/v1/admin/users/${stranger.id}/second-factors`)).status).toBe(
      404,
    );

    const res = await admin.delete(`/api/v1/admin/users/${user.id}/second-factors`);
    expect(res.status).toBe(200);
    expect((await as.get('/api/v1/staff/session')).status).toBe(401);
    const after = await passwordSignIn(user.email);
    expect(after.body.user.id).toBe(user.id);
    expect((await after.as.get('/api/v1/me/second-factors')).body).toMatchObject({
      factors: [],
      recoveryCodesLeft: 0,
    });
    await t.deliverMail();
    const mail = t.outbox.find((m) => m.to === user.email);
    expect(mail?.subject).toContain('two-step verification was reset');
    expect(mail?.text).toContain('Admin User');
    const reset = (await actions(user.id)).find((r) => r.action === 'staff.second_factor_reset');
    expect(reset?.details).toMatchObject({ totp: true, passkeys: 0 });
  });
});
