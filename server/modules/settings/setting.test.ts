import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, type Client } from '../../test/http.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import {
  createBand,
  createChamber,
  createPatient,
  createRole,
  createStaff,
  patientClient,
  staffClient,
  type TestChamber,
} from '../../test/factories.js';

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t?.close());

async function auditCount(chamberId: string, action: string): Promise<number> {
  const r = await t.db.execute<{ n: string | number }>(
    sql`select count(*) as n from audit_events where chamber_id = ${chamberId}::uuid and action = ${action}`,
  );
  return Number(r.rows[0]?.n);
}

describe('GET /api/v1/admin/settings: a new chamber', () => {
  it('has the defaults of the SPEC: Role for new messages = Appointment Reminder Admin, no shared items email, Europe/London', async () => {
    for (const portal of [false, true]) {
      const c = await createChamber(t, { portal });
      const admin = await staffClient(t, c, c.admin.email);
      const res = await admin.get('/api/v1/admin/settings');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        chamber: { key: c.key, name: `Clinic ${c.key}` },
        // Patient Portal is as the operator created the chamber.
        patientPortalEnabled: portal,
        roleForNewMessages: {
          id: c.builtInRoleId,
          name: 'Appointment Reminder Admin',
          activeMemberCount: 0,
        },
        sharedItemsEmailEnabled: false,
        timeZone: 'Europe/London',
      });
    }
  });
});

describe('the Role for new messages warning', () => {
  let c: TestChamber;
  let admin: Client;

  beforeAll(async () => {
    c = await createChamber(t);
    admin = await staffClient(t, c, c.admin.email);
  });

  it('warns while the role has no Active members, and not once it has one', async () => {
    const empty = await admin.get('/api/v1/admin/settings');
    expect(empty.body.roleForNewMessagesWarning).toEqual(expect.any(String));
    expect(empty.body.roleForNewMessagesWarning).toContain('Appointment Reminder Admin');
    expect(empty.body.roleForNewMessagesWarning).toContain('no Active members');

    const member = await createStaff(t, c, { roleIds: [c.builtInRoleId] });
    const filled = await admin.get('/api/v1/admin/settings');
    expect(filled.body.roleForNewMessages.activeMemberCount).toBe(1);
    expect(filled.body.roleForNewMessagesWarning).toBeNull();

    // An Inactive member notifies nobody: the warning comes back.
    expect((await admin.patch(`/api/v1/admin/users/${member.id}`, { active: false })).status).toBe(
      200,
    );
    const inactive = await admin.get('/api/v1/admin/settings');
    expect(inactive.body.roleForNewMessages.activeMemberCount).toBe(0);
    expect(inactive.body.roleForNewMessagesWarning).toContain('no Active members');
    expect((await admin.patch(`/api/v1/admin/users/${member.id}`, { active: true })).status).toBe(
      200,
    );
  });

  it('names the chosen role: warns for a role without members, not for one with members', async () => {
    const lonely = await createRole(t, c, 'Lonely Role');
    const res = await admin.patch('/api/v1/admin/settings', { roleForNewMessagesId: lonely });
    expect(res.status).toBe(200);
    expect(res.body.roleForNewMessages).toMatchObject({ id: lonely, name: 'Lonely Role' });
    expect(res.body.roleForNewMessagesWarning).toContain('Lonely Role');

    const busy = await createRole(t, c, 'Busy Role');
    await createStaff(t, c, { roleIds: [busy] });
    const ok = await admin.patch('/api/v1/admin/settings', { roleForNewMessagesId: busy });
    expect(ok.status).toBe(200);
    expect(ok.body.roleForNewMessages).toMatchObject({
      id: busy,
      name: 'Busy Role',
      activeMemberCount: 1,
    });
    expect(ok.body.roleForNewMessagesWarning).toBeNull();
    expect((await admin.get('/api/v1/admin/settings')).body.roleForNewMessages.id).toBe(busy);
  });
});

describe('PATCH /api/v1/admin/settings', () => {
  let c: TestChamber;
  let other: TestChamber;
  let admin: Client;

  beforeAll(async () => {
    c = await createChamber(t);
    other = await createChamber(t);
    admin = await staffClient(t, c, c.admin.email);
  });

  it('changes each setting, audits it, and another chamber keeps its own', async () => {
    const before = await auditCount(c.id, 'settings.updated');
    const res = await admin.patch('/api/v1/admin/settings', {
      timeZone: 'America/New_York',
      sharedItemsEmailEnabled: true,
      patientPortalEnabled: false,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      timeZone: 'America/New_York',
      sharedItemsEmailEnabled: true,
      patientPortalEnabled: false,
    });
    expect(await auditCount(c.id, 'settings.updated')).toBe(before + 1);
    const reread = await admin.get('/api/v1/admin/settings');
    expect(reread.body).toMatchObject({
      timeZone: 'America/New_York',
      sharedItemsEmailEnabled: true,
      patientPortalEnabled: false,
    });
    // The staff app shows times in the new zone.
    expect((await admin.get('/api/v1/staff/session')).body.chamber.timeZone).toBe(
      'America/New_York',
    );

    const otherAdmin = await staffClient(t, other, other.admin.email);
    expect((await otherAdmin.get('/api/v1/admin/settings')).body).toMatchObject({
      timeZone: 'Europe/London',
      sharedItemsEmailEnabled: false,
      patientPortalEnabled: true,
    });

    const back = await admin.patch('/api/v1/admin/settings', {
      timeZone: 'Europe/London',
      sharedItemsEmailEnabled: false,
      patientPortalEnabled: true,
    });
    expect(back.status).toBe(200);
  });

  it('accepts the current IANA names of time zones, not only their legacy aliases', async () => {
    // Europe/Kyiv (2022), Asia/Kolkata, Asia/Kathmandu, America/Argentina/Buenos_Aires and
    // Etc/UTC are the canonical names in the IANA database; Node's Intl list holds older aliases.
    const refused: string[] = [];
    for (const timeZone of [
      'Europe/Kiev',
      'Europe/Kyiv',
      'Asia/Kolkata',
      'Asia/Kathmandu',
      'America/Argentina/Buenos_Aires',
      'Etc/UTC',
    ]) {
      const res = await admin.patch('/api/v1/admin/settings', { timeZone });
      if (res.status !== 200) refused.push(`${timeZone}: ${res.status} ${res.body.error?.code}`);
      else expect(res.body.timeZone).toBe(timeZone);
    }
    await admin.patch('/api/v1/admin/settings', { timeZone: 'Europe/London' });
    expect(refused).toEqual([]);
  });

  it('refuses a time zone that is not an IANA zone, naming the field, and changes nothing', async () => {
    const before = (await admin.get('/api/v1/admin/settings')).body;
    const audits = await auditCount(c.id, 'settings.updated');
    for (const timeZone of ['Mars/Olympus_Mons', 'GMT+25', '', 'x'.repeat(65)]) {
      const res = await admin.patch('/api/v1/admin/settings', {
        timeZone,
        sharedItemsEmailEnabled: true,
      });
      expect(res.status, timeZone).toBe(422);
      expect(res.body.error).toMatchObject({
        status: 422,
        code: 'validation_failed',
        field: 'timeZone',
        message: expect.any(String),
      });
    }
    expect((await admin.get('/api/v1/admin/settings')).body).toEqual(before);
    expect(await auditCount(c.id, 'settings.updated')).toBe(audits);
  });

  it('refuses a role of another chamber, an unknown role and a deleted role with role_not_found', async () => {
    const before = (await admin.get('/api/v1/admin/settings')).body;
    const audits = await auditCount(c.id, 'settings.updated');
    const deleted = await createRole(t, c, 'Soon Deleted');
    expect((await admin.delete(`/api/v1/admin/roles/${deleted}`)).status).toBe(200);
    for (const id of [
      other.builtInRoleId,
      await createRole(t, other, 'Other Chamber Role'),
      '00000000-0000-4000-8000-000000000000',
      deleted,
    ]) {
      const res = await admin.patch('/api/v1/admin/settings', { roleForNewMessagesId: id });
      expect(res.status, id).toBe(422);
      expect(res.body.error).toMatchObject({
        code: 'role_not_found',
        field: 'roleForNewMessagesId',
      });
    }
    const malformed = await admin.patch('/api/v1/admin/settings', {
      roleForNewMessagesId: 'not-a-role-id',
    });
    expect(malformed.status).toBe(422);
    expect(malformed.body.error).toMatchObject({
      code: 'validation_failed',
      field: 'roleForNewMessagesId',
    });
    expect((await admin.get('/api/v1/admin/settings')).body).toEqual(before);
    expect(await auditCount(c.id, 'settings.updated')).toBe(audits);
  });

  it('refuses unknown fields, wrong types and malformed JSON', async () => {
    const before = (await admin.get('/api/v1/admin/settings')).body;
    const extra = await admin.patch('/api/v1/admin/settings', { colour: 'blue' });
    expect(extra.status).toBe(422);
    expect(extra.body.error).toMatchObject({ code: 'validation_failed', field: 'colour' });
    const wrongType = await admin.patch('/api/v1/admin/settings', {
      sharedItemsEmailEnabled: 'yes',
    });
    expect(wrongType.status).toBe(422);
    expect(wrongType.body.error).toMatchObject({
      code: 'validation_failed',
      field: 'sharedItemsEmailEnabled',
    });
    const broken = await admin.call('PATCH', '/api/v1/admin/settings', '{"timeZone": ', {
      'content-type': 'application/json',
    });
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('malformed_json');
    expect((await admin.get('/api/v1/admin/settings')).body).toEqual(before);
  });

  it('is for administrators: other staff get 403 admin_required, patients and strangers 401', async () => {
    const staff = await createStaff(t, c, { roleIds: [c.builtInRoleId] });
    const asStaff = await staffClient(t, c, staff.email);
    const band = await createBand(t, c);
    const patient = await createPatient(t, c, { bandId: band });
    const asPatient = await patientClient(t, c, patient.email);
    const before = (await admin.get('/api/v1/admin/settings')).body;
    const audits = await auditCount(c.id, 'settings.updated');
    for (const res of [
      await asStaff.get('/api/v1/admin/settings'),
      await asStaff.patch('/api/v1/admin/settings', { timeZone: 'UTC' }),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject({ status: 403, code: 'admin_required' });
    }

    const anonymous = client(t.app);
    for (const who of [asPatient, anonymous]) {
      for (const res of [
        await who.get('/api/v1/admin/settings'),
        await who.patch('/api/v1/admin/settings', { timeZone: 'UTC' }),
      ]) {
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('unauthenticated');
      }
    }
    expect((await admin.get('/api/v1/admin/settings')).body).toEqual(before);
    expect(await auditCount(c.id, 'settings.updated')).toBe(audits);
  });
});
