import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, type Client } from '../../test/http.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import {
  PASSWORD,
  createBand,
  createChamber,
  createPatient,
  createStaff,
  patientClient,
  staffClient,
  takeLink,
  type TestChamber,
} from '../../test/factories.js';

let t: TestApp;
let c: TestChamber;
let other: TestChamber;
let admin: Client;
let reception: Client;
let otherAdmin: Client;
let online: string;
let standard: string;
let otherBand: string;

beforeAll(async () => {
  t = await buildTestApp();
  c = await createChamber(t);
  other = await createChamber(t);
  admin = await staffClient(t, c, c.admin.email);
  otherAdmin = await staffClient(t, other, other.admin.email);
  const receptionist = await createStaff(t, c, { roleIds: [c.builtInRoleId] });
  reception = await staffClient(t, c, receptionist.email);
  online = await createBand(t, c, { name: 'Online', messaging: true });
  standard = await createBand(t, c, { name: 'Standard', online: 'none', messaging: false });
  otherBand = await createBand(t, other, { name: 'Online', messaging: true });
});
afterAll(() => t?.close());

async function count(query: ReturnType<typeof sql>): Promise<number> {
  const r = await t.db.execute<{ n: string | number }>(query);
  return Number(r.rows[0]?.n);
}
const patientRows = () => count(sql`select count(*) as n from patients`);
const jobRows = () => count(sql`select count(*) as n from jobs`);

async function record(id: string) {
  const res = await admin.get(`/api/v1/patients/${id}`);
  expect(res.status).toBe(200);
  return res.body;
}

function expectError(
  res: { status: number; body: any },
  status: number,
  code: string,
  field?: string,
) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error).toMatchObject({ status, code, message: expect.any(String) });
  if (field !== undefined) expect(res.body.error.field).toBe(field);
}

const WRONG = 'wrong-password-0';

const action = (who: Client, id: string, name: string) =>
  who.post(`/api/v1/patients/${id}/portal-account/${name}`);

describe('GET /api/v1/patients?query= (Find and Select patient)', () => {
  const ids: Record<string, string> = {};
  let foreignAlice: string;

  beforeAll(async () => {
    const make = async (given: string, family: string, dateOfBirth: string, email: string) =>
      (
        await createPatient(t, c, {
          bandId: standard,
          given,
          family,
          dateOfBirth,
          email,
          account: 'none',
        })
      ).id;
    ids.alice = await make('Alice', 'Archer', '1980-01-02', 'alice.archer@search.example');
    ids.albert = await make('Albert', 'Archibald', '1975-06-30', 'albert@search.example');
    ids.bob = await make('Bob', 'Baker', '1980-01-02', 'bob.baker@search.example');
    foreignAlice = (
      await createPatient(t, other, {
        bandId: otherBand,
        given: 'Alice',
        family: 'Archer',
        dateOfBirth: '1980-01-02',
        email: 'alice.archer@search.example',
        account: 'none',
      })
    ).id;
  });

  async function find(query: string, who: Client = reception): Promise<string[]> {
    const res = await who.get(`/api/v1/patients?query=${encodeURIComponent(query)}`);
    expect(res.status, query).toBe(200);
    const found = res.body.patients.map((p: any) => p.id);
    expect(found, query).not.toContain(foreignAlice);
    return found;
  }

  it('finds by family name prefix, in any case, sorted by family name', async () => {
    expect(await find('arch')).toEqual([ids.alice, ids.albert]);
    expect(await find('ARCHER')).toEqual([ids.alice]);
    expect(await find('Bak')).toEqual([ids.bob]);
    const res = await reception.get('/api/v1/patients?query=archer');
    expect(res.body.patients[0]).toEqual({
      id: ids.alice,
      givenName: 'Alice',
      familyName: 'Archer',
      name: 'Alice Archer',
      dateOfBirth: '1980-01-02',
      email: 'alice.archer@search.example',
      chargeBandName: 'Standard',
    });
  });

  it('finds by given and family name words in either order', async () => {
    expect(await find('alice archer')).toEqual([ids.alice]);
    expect(await find('arch  alice')).toEqual([ids.alice]);
    expect(await find('al arch')).toEqual([ids.alice, ids.albert]);
    expect(await find('bob archer')).toEqual([]);
  });

  it('finds by date of birth, written 1980-01-02 or 02/01/1980', async () => {
    expect(await find('1980-01-02')).toEqual([ids.alice, ids.bob]);
    expect(await find('02/01/1980')).toEqual([ids.alice, ids.bob]);
    expect(await find('2/1/1980')).toEqual([ids.alice, ids.bob]);
    expect(await find('30/06/1975')).toEqual([ids.albert]);
    expect(await find('1999-09-09')).toEqual([]);
  });

  it('finds by email, whole or prefix', async () => {
    expect(await find('alice.archer@search.example')).toEqual([ids.alice]);
    expect(await find('BOB.BAKER@')).toEqual([ids.bob]);
    expect(await find('nobody@search.example')).toEqual([]);
  });

  it('treats wildcards as plain characters', async () => {
    expect(await find('%')).toEqual([]);
    expect(await find('_')).toEqual([]);
    expect(await find('a%r')).toEqual([]);
  });

  it('never returns another chamber’s patients', async () => {
    const res = await otherAdmin.get('/api/v1/patients?query=archer');
    expect(res.body.patients.map((p: any) => p.id)).toEqual([foreignAlice]);
    const byDate = await otherAdmin.get('/api/v1/patients?query=1980-01-02');
    expect(byDate.body.patients.map((p: any) => p.id)).toEqual([foreignAlice]);
  });

  it('a query of only spaces is refused like an empty one, and does not list every patient', async () => {
    const res = await reception.get('/api/v1/patients?query=%20%20%20');
    expect(res.body.patients?.length ?? 0, JSON.stringify(res.body)).toBe(0);
    expectError(res, 422, 'validation_failed', 'query');
  });

  it('refuses an empty or over-long query, and callers who are not staff', async () => {
    expectError(await reception.get('/api/v1/patients?query='), 422, 'validation_failed', 'query');
    expectError(await reception.get('/api/v1/patients'), 422, 'validation_failed', 'query');
    expectError(
      await reception.get(`/api/v1/patients?query=${'a'.repeat(101)}`),
      422,
      'validation_failed',
      'query',
    );
    const p = await createPatient(t, c, { bandId: online });
    const asPatient = await patientClient(t, c, p.email);
    expectError(await asPatient.get('/api/v1/patients?query=archer'), 401, 'unauthenticated');
    expectError(await client(t.app).get('/api/v1/patients?query=archer'), 401, 'unauthenticated');
  });
});

describe('GET /api/v1/patients/:id (Patient Record)', () => {
  it('shows the record with its portal account and whether the patient may message', async () => {
    const p = await createPatient(t, c, {
      bandId: online,
      given: 'Rita',
      family: 'Record',
      dateOfBirth: '1966-07-08',
      email: 'rita.record@patients.example',
    });
    const res = await reception.get(`/api/v1/patients/${p.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: p.id,
      givenName: 'Rita',
      familyName: 'Record',
      name: 'Rita Record',
      dateOfBirth: '1966-07-08',
      email: 'rita.record@patients.example',
      mobile: null,
      emailConsent: true,
      chargeBand: { id: online, name: 'Online' },
      portalAccount: {
        email: 'rita.record@patients.example',
        state: 'active',
        failedSignIns: 0,
        invitedAt: expect.any(String),
        activatedAt: expect.any(String),
      },
      messaging: { allowed: true, reason: null, message: null },
      signedUpOnline: null,
    });

    const none = await createPatient(t, c, { bandId: standard, account: 'none' });
    expect((await record(none.id)).portalAccount).toBeNull();
    expect((await record(none.id)).messaging).toMatchObject({
      allowed: false,
      reason: 'account_not_active',
      message: expect.any(String),
    });
    const offline = await createPatient(t, c, { bandId: standard });
    expect((await record(offline.id)).messaging).toMatchObject({
      allowed: false,
      reason: 'band_not_online',
    });
  });

  it('answers 404 for unknown, malformed and other chambers’ ids, and 401 without a staff session', async () => {
    const foreign = await createPatient(t, other, { bandId: otherBand, account: 'none' });
    for (const id of [foreign.id, '00000000-0000-4000-8000-000000000000', 'not-an-id']) {
      expectError(await reception.get(`/api/v1/patients/${id}`), 404, 'not_found');
    }
    const p = await createPatient(t, c, { bandId: online });
    const asPatient = await patientClient(t, c, p.email);
    expectError(await asPatient.get(`/api/v1/patients/${p.id}`), 401, 'unauthenticated');
  });
});

describe('POST /api/v1/patients', () => {
  const valid = () => ({
    givenName: '  Dora ',
    familyName: 'Newman',
    dateOfBirth: '2001-03-04',
    email: 'dora.newman@patients.example',
    mobile: '+44 7700 900123',
    chargeBandId: standard,
  });

  it('adds a patient (admin), with email consent off unless given', async () => {
    const res = await admin.post('/api/v1/patients', valid());
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.any(String),
      givenName: 'Dora',
      familyName: 'Newman',
      dateOfBirth: '2001-03-04',
      email: 'dora.newman@patients.example',
      mobile: '+44 7700 900123',
      emailConsent: false,
      chargeBand: { id: standard, name: 'Standard' },
      portalAccount: null,
    });
    expect(await record(res.body.id)).toMatchObject({ name: 'Dora Newman' });
    const withoutEmail = await admin.post('/api/v1/patients', {
      ...valid(),
      email: null,
      mobile: undefined,
    });
    expect(withoutEmail.status).toBe(201);
    expect(withoutEmail.body).toMatchObject({ email: null, mobile: null });
  });

  it('refuses bad input with the field, and stores nothing', async () => {
    const foreignBand = otherBand;
    const before = await patientRows();
    const cases: [Record<string, unknown>, string, string][] = [
      [{ dateOfBirth: '1980-13-01' }, 'validation_failed', 'dateOfBirth'],
      [{ dateOfBirth: '1980-02-30' }, 'validation_failed', 'dateOfBirth'],
      [{ dateOfBirth: '02/01/1980' }, 'validation_failed', 'dateOfBirth'],
      [{ dateOfBirth: 'yesterday' }, 'validation_failed', 'dateOfBirth'],
      [{ dateOfBirth: '2030-01-01' }, 'validation_failed', 'dateOfBirth'],
      // The test clock stands at 2026-01-05: tomorrow is in the future.
      [{ dateOfBirth: '2026-01-06' }, 'validation_failed', 'dateOfBirth'],
      [{ dateOfBirth: '1850-01-01' }, 'validation_failed', 'dateOfBirth'],
      [
        { chargeBandId: '00000000-0000-4000-8000-000000000000' },
        'charge_band_not_found',
        'chargeBandId',
      ],
      [{ chargeBandId: foreignBand }, 'charge_band_not_found', 'chargeBandId'],
      [{ chargeBandId: 'standard' }, 'validation_failed', 'chargeBandId'],
      [{ givenName: 'Ali\nce' }, 'validation_failed', 'givenName'],
      [{ familyName: 'New\r\nman' }, 'validation_failed', 'familyName'],
      [{ familyName: '   ' }, 'validation_failed', 'familyName'],
      [{ givenName: 'x'.repeat(101) }, 'validation_failed', 'givenName'],
      [{ familyName: undefined }, 'validation_failed', 'familyName'],
      [{ email: 'not-an-email' }, 'validation_failed', 'email'],
      [{ mobile: 'call me maybe' }, 'validation_failed', 'mobile'],
      [{ emailConsent: 'yes' }, 'validation_failed', 'emailConsent'],
      [{ nhsNumber: '123' }, 'validation_failed', 'nhsNumber'],
    ];
    for (const [change, code, field] of cases) {
      const res = await admin.post('/api/v1/patients', { ...valid(), ...change });
      expectError(res, 422, code, field);
    }
    const broken = await admin.call('POST', '/api/v1/patients', '{"givenName": "Dora"', {
      'content-type': 'application/json',
    });
    expectError(broken, 400, 'malformed_json');
    expectError(await reception.post('/api/v1/patients', valid()), 403, 'admin_required');
    expectError(await client(t.app).post('/api/v1/patients', valid()), 401, 'unauthenticated');
    expect(await patientRows()).toBe(before);
  });
});

describe('PATCH /api/v1/patients/:id', () => {
  it('changes the patient; a new email becomes the portal user name', async () => {
    const p = await createPatient(t, c, { bandId: online, email: 'old.mail@patients.example' });
    const res = await admin.patch(`/api/v1/patients/${p.id}`, {
      givenName: 'Patricia',
      familyName: 'Changed',
      mobile: '01234 567890',
      emailConsent: false,
      email: 'new.mail@patients.example',
      dateOfBirth: '1970-10-10',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: 'Patricia Changed',
      mobile: '01234 567890',
      emailConsent: false,
      email: 'new.mail@patients.example',
      dateOfBirth: '1970-10-10',
      portalAccount: { email: 'new.mail@patients.example', state: 'active' },
    });
    await patientClient(t, c, 'new.mail@patients.example');
    const old = await client(t.app).post('/api/v1/portal/session', {
      chamber: c.key,
      email: 'old.mail@patients.example',
      password: PASSWORD,
    });
    expectError(old, 401, 'invalid_credentials');
  });

  it('refuses bad changes with code and field, and changes nothing', async () => {
    const p = await createPatient(t, c, { bandId: online });
    const q = await createPatient(t, c, { bandId: online });
    const before = await record(p.id);
    const cases: [Record<string, unknown>, number, string, string][] = [
      [{ dateOfBirth: '2030-01-01' }, 422, 'validation_failed', 'dateOfBirth'],
      [{ dateOfBirth: '1980-02-30' }, 422, 'validation_failed', 'dateOfBirth'],
      [
        { chargeBandId: '00000000-0000-4000-8000-000000000000' },
        422,
        'charge_band_not_found',
        'chargeBandId',
      ],
      [{ chargeBandId: otherBand }, 422, 'charge_band_not_found', 'chargeBandId'],
      [{ familyName: 'Two\nLines' }, 422, 'validation_failed', 'familyName'],
      [{ email: null }, 409, 'email_required', 'email'],
      [{ email: q.email.toUpperCase() }, 409, 'email_in_use', 'email'],
      [{ portalAccount: null }, 422, 'validation_failed', 'portalAccount'],
    ];
    for (const [body, status, code, field] of cases) {
      expectError(await admin.patch(`/api/v1/patients/${p.id}`, body), status, code, field);
    }
    expectError(
      await reception.patch(`/api/v1/patients/${p.id}`, { familyName: 'Sneaky' }),
      403,
      'admin_required',
    );
    const foreign = await createPatient(t, other, { bandId: otherBand, account: 'none' });
    for (const id of [foreign.id, '00000000-0000-4000-8000-000000000000']) {
      expectError(
        await admin.patch(`/api/v1/patients/${id}`, { familyName: 'X' }),
        404,
        'not_found',
      );
    }
    expect(await record(p.id)).toEqual(before);
    expect(await record(q.id)).toMatchObject({ email: q.email });
    const otherRecord = await otherAdmin.get(`/api/v1/patients/${foreign.id}`);
    expect(otherRecord.body.familyName).not.toBe('X');
  });
});

describe('PATCH /api/v1/patients/:id from the Patient Record (band, consent, mobile)', () => {
  let noMessaging: string;
  beforeAll(async () => {
    noMessaging = await createBand(t, c, { name: 'Online, no messaging', messaging: false });
  });

  /** The `patient.updated` rows of a patient, newest first, read through the Activity tab. */
  async function updates(id: string): Promise<any[]> {
    const res = await reception.get(`/api/v1/patients/${id}/activity`);
    expect(res.status).toBe(200);
    return res.body.events.filter((e: any) => e.action === 'patient.updated');
  }

  it('a charge band of another chamber: 422 on chargeBandId, nothing changed, nothing audited', async () => {
    const p = await createPatient(t, c, { bandId: online });
    const before = await record(p.id);
    const onOtherBand = async () =>
      (await otherAdmin.get('/api/v1/admin/charge-bands')).body.chargeBands.find(
        (b: any) => b.id === otherBand,
      ).patientCount;
    const othersBefore = await onOtherBand();
    const res = await admin.patch(`/api/v1/patients/${p.id}`, {
      chargeBandId: otherBand,
      mobile: '07700 900999',
      emailConsent: false,
    });
    expectError(res, 422, 'charge_band_not_found', 'chargeBandId');
    expect(await record(p.id)).toEqual(before);
    expect(await updates(p.id)).toEqual([]);
    expect(await onOtherBand()).toBe(othersBefore);
  });

  it('moving a patient who may message to a band without online access is allowed; messaging stops at once and the audit says what was lost', async () => {
    const p = await createPatient(t, c, { bandId: online, given: 'Moving', family: 'Patient' });
    const portal = await patientClient(t, c, p.email);
    expect((await portal.post('/api/v1/portal/conversations', { text: 'Before' })).status).toBe(
      201,
    );

    const res = await admin.patch(`/api/v1/patients/${p.id}`, { chargeBandId: standard });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      chargeBand: { id: standard, name: 'Standard' },
      portalAccount: { state: 'active' },
      messaging: { allowed: false, reason: 'band_not_online' },
    });
    expectError(
      await portal.post('/api/v1/portal/conversations', { text: 'After' }),
      403,
      'band_not_online',
    );
    const [moved] = await updates(p.id);
    expect(moved).toMatchObject({
      actor: { kind: 'staff', userId: c.admin.userId },
      subject: { type: 'patient', id: p.id },
      details: {
        fields: ['chargeBandId'],
        chargeBand: { fromId: online, from: 'Online', toId: standard, to: 'Standard' },
        lost: 'portal',
        reason: 'band_not_online',
        invited: false,
      },
    });

    // Back to messaging, then to a band with online access only: only messaging is lost.
    expect(
      (await admin.patch(`/api/v1/patients/${p.id}`, { chargeBandId: online })).body.messaging,
    ).toMatchObject({ allowed: true });
    const [back] = await updates(p.id);
    expect(back.details).not.toHaveProperty('lost');
    const partial = await admin.patch(`/api/v1/patients/${p.id}`, { chargeBandId: noMessaging });
    expect(partial.body.messaging).toMatchObject({
      allowed: false,
      reason: 'messaging_not_allowed',
    });
    expect((await updates(p.id))[0].details).toMatchObject({
      lost: 'messaging',
      reason: 'messaging_not_allowed',
    });
    expectError(
      await portal.post('/api/v1/portal/conversations', { text: 'Still not' }),
      403,
      'messaging_not_allowed',
    );
    // Nothing is deleted: the conversation written before is still there for staff.
    const feed = await reception.get(`/api/v1/patients/${p.id}/feed`);
    expect(feed.status).toBe(200);
    expect(JSON.stringify(feed.body)).toContain('Before');
  });

  it('email consent and mobile: saved, and audited with the fields that changed', async () => {
    const p = await createPatient(t, c, { bandId: online, consent: true });
    const res = await admin.patch(`/api/v1/patients/${p.id}`, {
      emailConsent: false,
      mobile: ' 07700 900123 ',
      givenName: (await record(p.id)).givenName,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ emailConsent: false, mobile: '07700 900123' });
    expect(await record(p.id)).toMatchObject({ emailConsent: false, mobile: '07700 900123' });
    const [row] = await updates(p.id);
    expect(row.details).toEqual({
      fields: ['mobile', 'emailConsent'],
      emailConsent: false,
      invited: false,
    });
    // The mobile number itself is not copied into the audit log.
    expect(JSON.stringify(row)).not.toContain('900123');

    const cleared = await admin.patch(`/api/v1/patients/${p.id}`, {
      mobile: null,
      emailConsent: true,
    });
    expect(cleared.body).toMatchObject({ mobile: null, emailConsent: true });
    expect((await updates(p.id))[0].details).toEqual({
      fields: ['mobile', 'emailConsent'],
      emailConsent: true,
      invited: false,
    });
  });

  it('a change that changes nothing writes nothing and audits nothing', async () => {
    const p = await createPatient(t, c, { bandId: online, consent: true });
    const before = await record(p.id);
    const res = await admin.patch(`/api/v1/patients/${p.id}`, {
      chargeBandId: online,
      emailConsent: true,
      email: before.email,
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(before);
    expect(await updates(p.id)).toEqual([]);
  });

  it('moving a patient without an account onto an Allow And Notify band invites them, and says so in the audit', async () => {
    const notify = await createBand(t, c, { online: 'allow_and_notify', messaging: true });
    const p = await createPatient(t, c, { bandId: standard, account: 'none' });
    const jobs = await jobRows();
    const res = await admin.patch(`/api/v1/patients/${p.id}`, { chargeBandId: notify });
    expect(res.status).toBe(200);
    expect(res.body.portalAccount).toMatchObject({ state: 'invited', email: p.email });
    expect(await jobRows()).toBe(jobs + 1);
    expect((await updates(p.id))[0].details).toMatchObject({
      fields: ['chargeBandId'],
      invited: true,
    });
  });
});

describe('portal account actions', () => {
  /** Every refusal leaves the account and the email queue as they were. */
  async function expectRefusal(
    id: string,
    name: string,
    status: number,
    code: string,
    field?: string,
  ) {
    const before = (await record(id)).portalAccount;
    const jobs = await jobRows();
    expectError(await action(admin, id, name), status, code, field);
    expect((await record(id)).portalAccount).toEqual(before);
    expect(await jobRows()).toBe(jobs);
  }

  it('a patient without an account: only invite works; the invitation link activates the account', async () => {
    const p = await createPatient(t, c, { bandId: online, account: 'none' });
    await expectRefusal(p.id, 'reset', 409, 'no_portal_account');
    await expectRefusal(p.id, 'disable', 409, 'no_portal_account');
    await expectRefusal(p.id, 'unblock', 409, 'account_not_blocked');
    await expectRefusal(p.id, 'enable', 409, 'account_not_disabled');

    const invited = await action(admin, p.id, 'invite');
    expect(invited.status).toBe(200);
    expect(invited.body.portalAccount).toMatchObject({ email: p.email, state: 'invited' });
    const first = await takeLink(t, p.email);
    // Invite again while Invited: a new link replaces the old one.
    expect((await action(admin, p.id, 'invite')).status).toBe(200);
    const second = await takeLink(t, p.email);
    expect(second).not.toBe(first);
    // Reset Portal Login on an Invited account sends a fresh invitation.
    const reset = await action(admin, p.id, 'reset');
    expect(reset.status).toBe(200);
    expect(reset.body.portalAccount.state).toBe('invited');
    const third = await takeLink(t, p.email);
    expect(t.outbox.filter((m) => m.to === p.email).at(-1)!.subject).toContain('invitation');
    for (const old of [first, second]) {
      expectError(
        await client(t.app).post('/api/v1/portal/password', { token: old, password: PASSWORD }),
        400,
        'link_invalid',
        'token',
      );
    }
    const set = await client(t.app).post('/api/v1/portal/password', {
      token: third,
      password: PASSWORD,
    });
    expect(set.status).toBe(200);
    expect((await record(p.id)).portalAccount.state).toBe('active');
    await patientClient(t, c, p.email);
    await expectRefusal(p.id, 'invite', 409, 'account_exists');
  });

  it('cannot invite a patient without an email', async () => {
    const p = await createPatient(t, c, { bandId: online, email: null, account: 'none' });
    await expectRefusal(p.id, 'invite', 422, 'patient_email_missing', 'email');
  });

  it('Reset Portal Login emails a link that sets a new password', async () => {
    const p = await createPatient(t, c, { bandId: online });
    const jobs = await jobRows();
    const res = await action(admin, p.id, 'reset');
    expect(res.status).toBe(200);
    expect(res.body.portalAccount.state).toBe('active');
    expect(await jobRows()).toBe(jobs + 1);
    await t.deliverMail();
    const mail = t.outbox.filter((m) => m.to === p.email).at(-1)!;
    expect(mail.subject).toContain('Set a new password');
    const token = mail.text.match(/\/portal\/c\/[^/\s]+\/set-password#token=([A-Za-z0-9_-]+)/)?.[1];
    const set = await client(t.app).post('/api/v1/portal/password', {
      token,
      password: 'a-brand-new-pass-4',
    });
    expect(set.status).toBe(200);
    const res2 = await client(t.app).post('/api/v1/portal/session', {
      chamber: c.key,
      email: p.email,
      password: 'a-brand-new-pass-4',
    });
    expect(res2.status).toBe(200);
  });

  it('five failed sign-ins block the account; Unblock Portal User (any staff) makes it Active again', async () => {
    const p = await createPatient(t, c, { bandId: online });
    const session = await patientClient(t, c, p.email);
    await expectRefusal(p.id, 'unblock', 409, 'account_not_blocked');
    for (let i = 0; i < 5; i += 1) {
      const res = await client(t.app).post('/api/v1/portal/session', {
        chamber: c.key,
        email: p.email,
        password: WRONG,
      });
      expect(res.status).toBe(401);
    }
    expect((await record(p.id)).portalAccount).toMatchObject({
      state: 'blocked',
      failedSignIns: 5,
    });
    expectError(await session.get('/api/v1/portal/session'), 401, 'unauthenticated');
    const right = await client(t.app).post('/api/v1/portal/session', {
      chamber: c.key,
      email: p.email,
      password: PASSWORD,
    });
    expectError(right, 403, 'account_blocked');
    expect((await record(p.id)).messaging.reason).toBe('account_not_active');

    const res = await action(reception, p.id, 'unblock');
    expect(res.status).toBe(200);
    expect(res.body.portalAccount).toMatchObject({ state: 'active', failedSignIns: 0 });
    await patientClient(t, c, p.email);
    await expectRefusal(p.id, 'unblock', 409, 'account_not_blocked');
  });

  it('a blocked account becomes Active again through Reset Portal Login', async () => {
    const p = await createPatient(t, c, { bandId: online });
    for (let i = 0; i < 5; i += 1) {
      await client(t.app).post('/api/v1/portal/session', {
        chamber: c.key,
        email: p.email,
        password: WRONG,
      });
    }
    expect((await record(p.id)).portalAccount.state).toBe('blocked');
    const res = await action(admin, p.id, 'reset');
    expect(res.status).toBe(200);
    expect(res.body.portalAccount.state).toBe('blocked');
    const token = await takeLink(t, p.email);
    const set = await client(t.app).post('/api/v1/portal/password', {
      token,
      password: 'after-the-block-5',
    });
    expect(set.status).toBe(200);
    expect((await record(p.id)).portalAccount).toMatchObject({ state: 'active', failedSignIns: 0 });
    const ok = await client(t.app).post('/api/v1/portal/session', {
      chamber: c.key,
      email: p.email,
      password: 'after-the-block-5',
    });
    expect(ok.status).toBe(200);
  });

  it('disabling ends the patient’s sessions and refuses sign-in; enabling restores the account', async () => {
    const p = await createPatient(t, c, { bandId: online });
    const phone = await patientClient(t, c, p.email);
    const laptop = await patientClient(t, c, p.email);
    await expectRefusal(p.id, 'enable', 409, 'account_not_disabled');

    const res = await action(admin, p.id, 'disable');
    expect(res.status).toBe(200);
    expect(res.body.portalAccount.state).toBe('disabled');
    expect(res.body.messaging).toMatchObject({ allowed: false, reason: 'account_not_active' });
    for (const s of [phone, laptop]) {
      expectError(await s.get('/api/v1/portal/session'), 401, 'unauthenticated');
      expectError(await s.get('/api/v1/portal/conversations'), 401, 'unauthenticated');
    }
    expect(
      await count(
        sql`select count(*) as n from sessions where chamber_id = ${c.id}::uuid and patient_id = ${p.id}::uuid`,
      ),
    ).toBe(0);
    expectError(
      await client(t.app).post('/api/v1/portal/session', {
        chamber: c.key,
        email: p.email,
        password: PASSWORD,
      }),
      403,
      'account_not_active',
    );
    await expectRefusal(p.id, 'disable', 409, 'account_disabled');
    await expectRefusal(p.id, 'reset', 409, 'account_disabled');
    await expectRefusal(p.id, 'invite', 409, 'account_exists');
    await expectRefusal(p.id, 'unblock', 409, 'account_not_blocked');

    const enabled = await action(admin, p.id, 'enable');
    expect(enabled.status).toBe(200);
    expect(enabled.body.portalAccount.state).toBe('active');
    expect(enabled.body.messaging.allowed).toBe(true);
    await patientClient(t, c, p.email);
  });

  it('enabling a disabled account that never set a password makes it Invited again', async () => {
    const p = await createPatient(t, c, { bandId: online, account: 'invited' });
    expect((await action(admin, p.id, 'disable')).body.portalAccount.state).toBe('disabled');
    const res = await action(admin, p.id, 'enable');
    expect(res.status).toBe(200);
    expect(res.body.portalAccount.state).toBe('invited');
  });

  it('answers 404 for another chamber’s patient and unknown ids, 401 for patients; nothing changes', async () => {
    const foreign = await createPatient(t, other, { bandId: otherBand });
    const before = (await otherAdmin.get(`/api/v1/patients/${foreign.id}`)).body.portalAccount;
    const jobs = await jobRows();
    const asForeign = await patientClient(t, other, foreign.email);
    for (const name of ['invite', 'reset', 'unblock', 'disable', 'enable']) {
      for (const id of [foreign.id, '00000000-0000-4000-8000-000000000000', 'nope']) {
        expectError(await action(admin, id, name), 404, 'not_found');
      }
      expectError(await action(asForeign, foreign.id, name), 401, 'unauthenticated');
    }
    expect((await otherAdmin.get(`/api/v1/patients/${foreign.id}`)).body.portalAccount).toEqual(
      before,
    );
    expect(await jobRows()).toBe(jobs);
    expect((await asForeign.get('/api/v1/portal/session')).status).toBe(200);
  });
});

describe('GET /api/v1/patients/:id/activity', () => {
  it('lists the audit rows of this patient only, newest first', async () => {
    const p = await createPatient(t, c, { bandId: online, given: 'Audit', family: 'Trail' });
    const q = await createPatient(t, c, { bandId: online });
    await patientClient(t, c, q.email);
    await record(p.id);
    await client(t.app).post('/api/v1/portal/session', {
      chamber: c.key,
      email: p.email,
      password: WRONG,
    });
    await patientClient(t, c, p.email);
    await action(admin, p.id, 'disable');
    await action(admin, p.id, 'enable');

    const res = await reception.get(`/api/v1/patients/${p.id}/activity`);
    expect(res.status).toBe(200);
    const events = res.body.events as any[];
    expect(events.every((e) => e.patientId === p.id)).toBe(true);
    const actions = events.map((e) => e.action);
    for (const a of [
      'patient.created',
      'portal_account.invited',
      'portal.password_set',
      'patient.viewed',
      'portal.sign_in_failed',
      'portal.sign_in',
      'portal_account.disabled',
      'portal_account.enabled',
    ]) {
      expect(actions, a).toContain(a);
    }
    expect(actions[0]).toBe('portal_account.enabled');
    expect(actions.at(-1)).toBe('patient.created');
    const ids = events.map((e) => Number(e.id));
    expect([...ids].sort((x, y) => y - x)).toEqual(ids);
    expect(events.find((e) => e.action === 'portal_account.disabled')).toMatchObject({
      actor: { kind: 'staff', userId: c.admin.userId, label: 'Admin User' },
      subject: { type: 'portal_account', id: p.id },
    });
    expect(res.body.nextCursor).toBeNull();
  });

  it('answers 404 across chambers and for unknown patients, 422 for a forged cursor, 401 for patients', async () => {
    const foreign = await createPatient(t, other, { bandId: otherBand, account: 'none' });
    for (const id of [foreign.id, '00000000-0000-4000-8000-000000000000', 'nope']) {
      expectError(await admin.get(`/api/v1/patients/${id}/activity`), 404, 'not_found');
    }
    const p = await createPatient(t, c, { bandId: online });
    expectError(
      await admin.get(`/api/v1/patients/${p.id}/activity?cursor=AAAA`),
      422,
      'validation_failed',
      'cursor',
    );
    const asPatient = await patientClient(t, c, p.email);
    expectError(await asPatient.get(`/api/v1/patients/${p.id}/activity`), 401, 'unauthenticated');
  });
});
