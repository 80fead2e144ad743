import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client } from '../../test/http.js';
import {
  createBand,
  createChamber,
  createPatient,
  staffClient,
  takeLink,
  type TestChamber,
} from '../../test/factories.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';

/*
 * Finding 7 of issue 17: a password is scored by how easy it is to guess (zxcvbn), not only
 * matched against the breached list, for patients and staff alike, and a refusal says why in
 * words a person can act on.
 */

let t: TestApp;
let c: TestChamber;
let band: string;

beforeAll(async () => {
  t = await buildTestApp();
  c = await createChamber(t);
  band = await createBand(t, c);
});
afterAll(() => t?.close());

const anon = () => client(t.app);

async function usableTokens(column: 'patient_id' | 'user_id', id: string): Promise<number> {
  const r = await t.db.execute<{ n: string | number }>(
    sql.raw(
      `select count(*) as n from account_tokens where ${column} = '${id}' and used_at is null`,
    ),
  );
  return Number(r.rows[0]?.n);
}

/** Passwords that pass the old rules (length, a letter and a digit, not listed verbatim). */
const GUESSABLE: [string, RegExp][] = [
  ['aaaaaaaaa1', /Repeated characters like "aaa" are easy to guess\. Add another word or two\./],
  ['abcdefghij1', /Sequences like "abc" or "6543" are easy to guess/],
  ['qwertyuiop1', /similar to a commonly used password/],
  ['Password2024', /similar to a commonly used password/],
  ['monkey123456', /similar to a commonly used password/],
  ['Summer2024!', /similar to a commonly used password\. Add another word or two\./],
];

describe('patients: a guessable password is refused with advice (finding 7)', () => {
  it('refuses guessable passwords on the invitation link, which stays usable', async () => {
    const p = await createPatient(t, c, { bandId: band, account: 'invited', given: 'Alice' });
    const token = await takeLink(t, p.email);
    for (const [password, advice] of GUESSABLE) {
      const res = await anon().post('/api/v1/portal/password', { token, password });
      expect(res.status, password).toBe(422);
      expect(res.body.error, password).toMatchObject({
        status: 422,
        code: 'password_too_weak',
        field: 'password',
      });
      expect(res.body.error.message, password).toMatch(advice);
    }
    expect(await usableTokens('patient_id', p.id)).toBe(1);
    const ok = await anon().post('/api/v1/portal/password', {
      token,
      password: 'lantern orchard 71',
    });
    expect(ok.status).toBe(200);
  });

  it("refuses a password made of the patient's own name, email or clinic", async () => {
    const p = await createPatient(t, c, {
      bandId: band,
      account: 'invited',
      given: 'Philippa',
      family: 'Quarrington',
    });
    const token = await takeLink(t, p.email);
    for (const password of ['Quarrington1', 'Philippa2021', `${p.email}1`, `${c.key}clinic`]) {
      const res = await anon().post('/api/v1/portal/password', { token, password });
      expect(res.status, password).toBe(422);
      expect(res.body.error.code, password).toBe('password_too_weak');
    }
    // The same words are fine for someone else: they are only guessable for this person.
    const other = await createPatient(t, c, { bandId: band, account: 'invited' });
    const res = await anon().post('/api/v1/portal/password', {
      token: await takeLink(t, other.email),
      password: 'Quarrington1',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it('refuses a guessable password on a reset link too', async () => {
    const p = await createPatient(t, c, { bandId: band });
    const reset = await anon().post('/api/v1/portal/password-reset', {
      chamber: c.key,
      email: p.email,
    });
    expect(reset.status).toBe(202);
    const token = await takeLink(t, p.email);
    const res = await anon().post('/api/v1/portal/password', { token, password: 'aaaaaaaaa1' });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('password_too_weak');
  });
});

describe('staff: the same rule (finding 7)', () => {
  it('refuses a guessable password when an admin creates a user with one, and creates nobody', async () => {
    const admin = await staffClient(t, c, c.admin.email);
    for (const [password, advice] of GUESSABLE) {
      const res = await admin.post('/api/v1/admin/users', {
        name: 'Gus Guessable',
        email: 'gus@clinic.example',
        password,
        roleIds: [],
      });
      expect(res.status, password).toBe(422);
      expect(res.body.error, password).toMatchObject({
        code: 'password_too_weak',
        field: 'password',
      });
      expect(res.body.error.message, password).toMatch(advice);
    }
    const own = await admin.post('/api/v1/admin/users', {
      name: 'Gus Guessable',
      email: 'gus@clinic.example',
      password: 'Guessable2024',
      roleIds: [],
    });
    expect(own.status).toBe(422);
    const users = await admin.get('/api/v1/admin/users');
    expect(users.body.users.map((u: { email: string }) => u.email)).not.toContain(
      'gus@clinic.example',
    );
    const ok = await admin.post('/api/v1/admin/users', {
      name: 'Gus Guessable',
      email: 'gus@clinic.example',
      password: 'lantern orchard 71',
      roleIds: [],
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
  });

  it('refuses a guessable password on a staff invitation or reset link', async () => {
    const admin = await staffClient(t, c, c.admin.email);
    const made = await admin.post('/api/v1/admin/users', {
      name: 'Ivy Invited',
      email: 'ivy@clinic.example',
      roleIds: [],
    });
    expect(made.status).toBe(201);
    const token = await takeLink(t, 'ivy@clinic.example');
    for (const password of ['aaaaaaaaa1', 'IvyInvited1']) {
      const res = await anon().post('/api/v1/staff/password', { token, password });
      expect(res.status, password).toBe(422);
      expect(res.body.error.code, password).toBe('password_too_weak');
    }
    expect(await usableTokens('user_id', made.body.id)).toBe(1);
    const ok = await anon().post('/api/v1/staff/password', {
      token,
      password: 'lantern orchard 71',
    });
    expect(ok.status).toBe(200);
  });
});
