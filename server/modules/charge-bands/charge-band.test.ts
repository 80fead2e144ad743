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
  type TestChamber,
} from '../../test/factories.js';

let t: TestApp;
let c: TestChamber;
let other: TestChamber;
let admin: Client;

beforeAll(async () => {
  t = await buildTestApp();
  c = await createChamber(t);
  other = await createChamber(t);
  admin = await staffClient(t, c, c.admin.email);
});
afterAll(() => t?.close());

async function count(query: ReturnType<typeof sql>): Promise<number> {
  const r = await t.db.execute<{ n: string | number }>(query);
  return Number(r.rows[0]?.n);
}

const bandCount = () =>
  count(sql`select count(*) as n from charge_bands where chamber_id = ${c.id}::uuid`);

async function band(id: string) {
  const res = await admin.get('/api/v1/admin/charge-bands');
  expect(res.status).toBe(200);
  return res.body.chargeBands.find((b: any) => b.id === id);
}

/** Emails delivered to this address so far (after running the worker). */
async function mailTo(email: string) {
  await t.deliverMail();
  return t.outbox.filter((m) => m.to === email);
}

let n = 0;
/** A patient added through the API, as Start Page > Patient would. */
async function addPatient(
  chargeBandId: string,
  email: string | null = `p${(n += 1)}@band.example`,
) {
  const res = await admin.post('/api/v1/patients', {
    givenName: 'Band',
    familyName: `Patient${n}`,
    dateOfBirth: '1970-05-06',
    email,
    chargeBandId,
    emailConsent: true,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.id as string, email, record: res.body };
}

describe('GET/POST /api/v1/admin/charge-bands', () => {
  it('creates a band without online access, with empty Online Settings, and lists it with its patients', async () => {
    const res = await admin.post('/api/v1/admin/charge-bands', { name: '  Standard  ' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      name: 'Standard',
      onlineAccess: 'none',
      allowOnlineMessaging: false,
      onlineSignUpInviteCode: '',
      patientCount: 0,
    });
    await addPatient(res.body.id);
    expect(await band(res.body.id)).toMatchObject({ name: 'Standard', patientCount: 1 });
    // Another chamber's list never shows it.
    const otherAdmin = await staffClient(t, other, other.admin.email);
    const list = await otherAdmin.get('/api/v1/admin/charge-bands');
    expect(list.body.chargeBands.map((b: any) => b.id)).not.toContain(res.body.id);
  });

  it('refuses a duplicate name (any case) with 409, and empty names with 422; nothing is stored', async () => {
    await admin.post('/api/v1/admin/charge-bands', { name: 'Private' });
    const before = await bandCount();
    for (const name of ['Private', 'PRIVATE', ' private ']) {
      const res = await admin.post('/api/v1/admin/charge-bands', { name });
      expect(res.status, name).toBe(409);
      expect(res.body.error).toMatchObject({
        status: 409,
        code: 'charge_band_name_taken',
        field: 'name',
      });
    }
    for (const body of [{ name: '' }, { name: '   ' }, { name: 'x'.repeat(101) }, {}]) {
      const res = await admin.post('/api/v1/admin/charge-bands', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'validation_failed', field: 'name' });
    }
    expect(await bandCount()).toBe(before);
    // The same name in another chamber is fine.
    const otherAdmin = await staffClient(t, other, other.admin.email);
    expect((await otherAdmin.post('/api/v1/admin/charge-bands', { name: 'Private' })).status).toBe(
      201,
    );
  });

  it('is for administrators only', async () => {
    const staff = await createStaff(t, c, { roleIds: [c.builtInRoleId] });
    const asStaff = await staffClient(t, c, staff.email);
    const b = await createBand(t, c, { online: 'allow_no_notifications', messaging: true });
    const p = await createPatient(t, c, { bandId: b });
    const asPatient = await patientClient(t, c, p.email);
    const before = await band(b);
    const count0 = await bandCount();
    for (const [who, status, code] of [
      [asStaff, 403, 'admin_required'],
      [asPatient, 401, 'unauthenticated'],
      [client(t.app), 401, 'unauthenticated'],
    ] as const) {
      for (const res of [
        await who.get('/api/v1/admin/charge-bands'),
        await who.post('/api/v1/admin/charge-bands', { name: 'Sneaky' }),
        await who.patch(`/api/v1/admin/charge-bands/${b}`, { allowOnlineMessaging: false }),
        await who.put(`/api/v1/admin/charge-bands/${b}/online-access`, { mode: 'none' }),
      ]) {
        expect(res.status).toBe(status);
        expect(res.body.error.code).toBe(code);
      }
    }
    expect(await band(b)).toEqual(before);
    expect(await bandCount()).toBe(count0);
  });
});

describe('PATCH /api/v1/admin/charge-bands/:id', () => {
  it('refuses Online Settings on a band without online access (409 band_not_online) and changes nothing', async () => {
    const res = await admin.post('/api/v1/admin/charge-bands', { name: 'Offline Band' });
    const id = res.body.id;
    const before = await band(id);
    const tick = await admin.patch(`/api/v1/admin/charge-bands/${id}`, {
      allowOnlineMessaging: true,
    });
    expect(tick.status).toBe(409);
    expect(tick.body.error).toMatchObject({
      code: 'band_not_online',
      field: 'allowOnlineMessaging',
    });
    const code = await admin.patch(`/api/v1/admin/charge-bands/${id}`, {
      onlineSignUpInviteCode: 'JOIN1',
    });
    expect(code.status).toBe(409);
    expect(code.body.error).toMatchObject({
      code: 'band_not_online',
      field: 'onlineSignUpInviteCode',
    });
    // A rename together with a refused tick is refused as a whole.
    const both = await admin.patch(`/api/v1/admin/charge-bands/${id}`, {
      name: 'Renamed Offline',
      allowOnlineMessaging: true,
    });
    expect(both.status).toBe(409);
    expect(await band(id)).toEqual(before);

    // The name alone can change without online access.
    const renamed = await admin.patch(`/api/v1/admin/charge-bands/${id}`, { name: 'Walk-in' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id, name: 'Walk-in', onlineAccess: 'none' });
  });

  it('changes the name and the Online Settings of an online band', async () => {
    const created = await admin.post('/api/v1/admin/charge-bands', { name: 'Web' });
    const id = created.body.id;
    const online = await admin.put(`/api/v1/admin/charge-bands/${id}/online-access`, {
      mode: 'allow_no_notifications',
    });
    expect(online.status).toBe(200);
    expect(online.body).toMatchObject({ onlineAccess: 'allow_no_notifications', invited: 0 });
    const res = await admin.patch(`/api/v1/admin/charge-bands/${id}`, {
      name: 'Web Patients',
      allowOnlineMessaging: true,
      onlineSignUpInviteCode: 'WEB-2026',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id,
      name: 'Web Patients',
      onlineAccess: 'allow_no_notifications',
      allowOnlineMessaging: true,
      onlineSignUpInviteCode: 'WEB-2026',
    });
    expect(await band(id)).toMatchObject({ allowOnlineMessaging: true });
    const cleared = await admin.patch(`/api/v1/admin/charge-bands/${id}`, {
      onlineSignUpInviteCode: '',
    });
    expect(cleared.body.onlineSignUpInviteCode).toBe('');
    await admin.patch(`/api/v1/admin/charge-bands/${id}`, { onlineSignUpInviteCode: 'WEB-2026' });
  });

  it('refuses a taken name, a taken or malformed invite code, and unknown or foreign bands', async () => {
    const a = (await admin.post('/api/v1/admin/charge-bands', { name: 'Band A' })).body.id;
    await admin.put(`/api/v1/admin/charge-bands/${a}/online-access`, {
      mode: 'allow_no_notifications',
    });
    await admin.patch(`/api/v1/admin/charge-bands/${a}`, { onlineSignUpInviteCode: 'CODE-A' });
    const b = (await admin.post('/api/v1/admin/charge-bands', { name: 'Band B' })).body.id;
    await admin.put(`/api/v1/admin/charge-bands/${b}/online-access`, {
      mode: 'allow_no_notifications',
    });
    const before = await band(b);

    const name = await admin.patch(`/api/v1/admin/charge-bands/${b}`, { name: 'band a' });
    expect(name.status).toBe(409);
    expect(name.body.error).toMatchObject({ code: 'charge_band_name_taken', field: 'name' });
    const code = await admin.patch(`/api/v1/admin/charge-bands/${b}`, {
      onlineSignUpInviteCode: 'CODE-A',
    });
    expect(code.status).toBe(409);
    expect(code.body.error).toMatchObject({
      code: 'invite_code_taken',
      field: 'onlineSignUpInviteCode',
    });
    for (const body of [
      { onlineSignUpInviteCode: 'no <script>' },
      { onlineSignUpInviteCode: 'x'.repeat(65) },
      { allowOnlineMessaging: 'yes' },
      { onlineAccess: 'allow_and_notify' },
    ]) {
      const res = await admin.patch(`/api/v1/admin/charge-bands/${b}`, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.error).toMatchObject({
        code: 'validation_failed',
        field: Object.keys(body)[0],
      });
    }
    expect(await band(b)).toEqual(before);

    const foreign = (
      await (
        await staffClient(t, other, other.admin.email)
      ).post('/api/v1/admin/charge-bands', { name: 'Foreign Band' })
    ).body.id;
    for (const id of [foreign, '00000000-0000-4000-8000-000000000000', 'not-an-id']) {
      const patch = await admin.patch(`/api/v1/admin/charge-bands/${id}`, { name: 'Mine now' });
      expect(patch.status, id).toBe(404);
      expect(patch.body.error.code).toBe('not_found');
      const put = await admin.put(`/api/v1/admin/charge-bands/${id}/online-access`, {
        mode: 'allow_and_notify',
      });
      expect(put.status, id).toBe(404);
      expect(put.body.error.code).toBe('not_found');
    }
    const otherAdmin = await staffClient(t, other, other.admin.email);
    const otherList = await otherAdmin.get('/api/v1/admin/charge-bands');
    expect(otherList.body.chargeBands.find((x: any) => x.id === foreign)).toMatchObject({
      name: 'Foreign Band',
      onlineAccess: 'none',
    });
  });
});

describe('PUT /api/v1/admin/charge-bands/:id/online-access', () => {
  it('refuses an unknown mode and changes nothing', async () => {
    const id = (await admin.post('/api/v1/admin/charge-bands', { name: 'Mode Test' })).body.id;
    const before = await band(id);
    for (const body of [{ mode: 'allow' }, {}, { mode: 'none', extra: true }]) {
      const res = await admin.put(`/api/v1/admin/charge-bands/${id}/online-access`, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.field).toEqual(expect.any(String));
    }
    expect(await band(id)).toEqual(before);
  });

  it('Allow And Notify invites every patient on the band with an email and no account, now and later', async () => {
    const id = (await admin.post('/api/v1/admin/charge-bands', { name: 'Notify Band' })).body.id;
    const p1 = await addPatient(id);
    const p2 = await addPatient(id);
    const noEmail = await addPatient(id, null);
    // A patient with a portal account already is not invited again.
    const existing = await createPatient(t, c, { bandId: id, account: 'active' });
    const existingMails = (await mailTo(existing.email)).length;
    expect((await mailTo(p1.email!)).length).toBe(0);

    const res = await admin.put(`/api/v1/admin/charge-bands/${id}/online-access`, {
      mode: 'allow_and_notify',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, onlineAccess: 'allow_and_notify', invited: 2 });

    for (const p of [p1, p2]) {
      const mails = await mailTo(p.email!);
      expect(mails).toHaveLength(1);
      expect(mails[0]!.subject).toContain('invitation to the Patient Portal');
      expect(mails[0]!.text).toMatch(/\/portal\/c\/[^/\s]+\/set-password#token=[A-Za-z0-9_-]+/);
      const record = await admin.get(`/api/v1/patients/${p.id}`);
      expect(record.body.portalAccount).toMatchObject({ email: p.email, state: 'invited' });
    }
    expect((await admin.get(`/api/v1/patients/${noEmail.id}`)).body.portalAccount).toBeNull();
    expect((await mailTo(existing.email)).length).toBe(existingMails);
    expect((await admin.get(`/api/v1/patients/${existing.id}`)).body.portalAccount.state).toBe(
      'active',
    );

    // The invitation works: the patient sets a password and signs in.
    const token = (await mailTo(p1.email!))[0]!.text.match(/#token=([A-Za-z0-9_-]+)/)![1];
    const set = await client(t.app).post('/api/v1/portal/password', { token, password: PASSWORD });
    expect(set.status).toBe(200);
    await patientClient(t, c, p1.email!);

    // Later: a patient added to the band is invited at once.
    const later = await addPatient(id);
    expect(later.record.portalAccount).toMatchObject({ state: 'invited' });
    expect(await mailTo(later.email!)).toHaveLength(1);

    // And a patient moved onto the band too.
    const elsewhere = (await admin.post('/api/v1/admin/charge-bands', { name: 'Elsewhere' })).body
      .id;
    const mover = await addPatient(elsewhere);
    expect(mover.record.portalAccount).toBeNull();
    expect(await mailTo(mover.email!)).toHaveLength(0);
    const moved = await admin.patch(`/api/v1/patients/${mover.id}`, { chargeBandId: id });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({
      chargeBand: { id, name: 'Notify Band' },
      portalAccount: { state: 'invited' },
    });
    const moverMail = await mailTo(mover.email!);
    expect(moverMail).toHaveLength(1);
    expect(moverMail[0]!.text).toMatch(/\/portal\/c\/[^/\s]+\/set-password#token=/);

    expect(await band(id)).toMatchObject({ patientCount: 6 });
  });

  it('Allow With No Notifications gives access without any email, now or later', async () => {
    const id = (await admin.post('/api/v1/admin/charge-bands', { name: 'Quiet Band' })).body.id;
    const p = await addPatient(id);
    const jobs = await count(sql`select count(*) as n from jobs where chamber_id = ${c.id}::uuid`);
    const res = await admin.put(`/api/v1/admin/charge-bands/${id}/online-access`, {
      mode: 'allow_no_notifications',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ onlineAccess: 'allow_no_notifications', invited: 0 });
    expect(await count(sql`select count(*) as n from jobs where chamber_id = ${c.id}::uuid`)).toBe(
      jobs,
    );
    const later = await addPatient(id);
    const elsewhere = (await admin.post('/api/v1/admin/charge-bands', { name: 'Quiet Origin' }))
      .body.id;
    const mover = await addPatient(elsewhere);
    await admin.patch(`/api/v1/patients/${mover.id}`, { chargeBandId: id });
    for (const x of [p, later, mover]) {
      expect(await mailTo(x.email!)).toHaveLength(0);
      expect((await admin.get(`/api/v1/patients/${x.id}`)).body.portalAccount).toBeNull();
    }
  });

  it('switching back to no online access deletes nothing and keeps the Online Settings', async () => {
    const id = await createBand(t, c, {
      name: 'Was Online',
      online: 'allow_no_notifications',
      messaging: true,
    });
    await admin.patch(`/api/v1/admin/charge-bands/${id}`, { onlineSignUpInviteCode: 'WAS-ON' });
    const p = await createPatient(t, c, { bandId: id });
    const asPatient = await patientClient(t, c, p.email);
    const sent = await asPatient.post('/api/v1/portal/conversations', {
      text: 'Before the switch',
    });
    expect(sent.status).toBe(201);

    const tables = ['patients', 'portal_accounts', 'conversations', 'messages', 'notifications'];
    const snapshot = async () =>
      Object.fromEntries(
        await Promise.all(
          tables.map(async (table) => [
            table,
            await count(sql`select count(*) as n from ${sql.raw(table)}`),
          ]),
        ),
      );
    const before = await snapshot();
    const off = await admin.put(`/api/v1/admin/charge-bands/${id}/online-access`, { mode: 'none' });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({
      onlineAccess: 'none',
      allowOnlineMessaging: true,
      onlineSignUpInviteCode: 'WAS-ON',
    });
    expect(await band(id)).toMatchObject({ onlineAccess: 'none', patientCount: 1 });
    expect(await snapshot()).toEqual(before);
    const record = await admin.get(`/api/v1/patients/${p.id}`);
    expect(record.body).toMatchObject({
      portalAccount: { state: 'active' },
      messaging: { allowed: false, reason: 'band_not_online' },
    });

    // On again, with the tick as it was: the patient may message again, the conversation intact.
    const on = await admin.put(`/api/v1/admin/charge-bands/${id}/online-access`, {
      mode: 'allow_no_notifications',
    });
    expect(on.body).toMatchObject({
      onlineAccess: 'allow_no_notifications',
      allowOnlineMessaging: true,
    });
    const inbox = await asPatient.get('/api/v1/portal/conversations');
    expect(inbox.status).toBe(200);
    expect(inbox.body.conversations.map((x: any) => x.id)).toEqual([sent.body.conversation.id]);
  });

  it('PATCH and PUT answer with the band as the list shows it, including its patient count', async () => {
    const id = await createBand(t, c, { name: 'Counted Band', messaging: false });
    await addPatient(id);
    await addPatient(id);
    expect(await band(id)).toMatchObject({ patientCount: 2 });
    const patched = await admin.patch(`/api/v1/admin/charge-bands/${id}`, {
      allowOnlineMessaging: true,
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toEqual(await band(id));
    const put = await admin.put(`/api/v1/admin/charge-bands/${id}/online-access`, {
      mode: 'allow_no_notifications',
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ ...(await band(id)), invited: 0 });
  });

  it('audits each change of online access', async () => {
    const id = (await admin.post('/api/v1/admin/charge-bands', { name: 'Audited Band' })).body.id;
    await admin.put(`/api/v1/admin/charge-bands/${id}/online-access`, { mode: 'allow_and_notify' });
    await admin.put(`/api/v1/admin/charge-bands/${id}/online-access`, { mode: 'none' });
    const r = await t.db.execute<{ details: any }>(
      sql`select details from audit_events where chamber_id = ${c.id}::uuid and action = 'charge_band.online_access_changed' and subject_id = ${id} order by id`,
    );
    expect(
      r.rows.map((x) => (typeof x.details === 'string' ? JSON.parse(x.details) : x.details)),
    ).toEqual([
      { from: 'none', to: 'allow_and_notify', invited: 0 },
      { from: 'allow_and_notify', to: 'none', invited: 0 },
    ]);
  });
});
