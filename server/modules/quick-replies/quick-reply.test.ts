import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUICK_REPLY_NAME_MAX } from '../../../common/contract/quick-replies.js';
import {
  createBand,
  createChamber,
  createPatient,
  createRole,
  createWorld,
  patientClient,
  staffClient,
  type World,
} from '../../test/factories.js';
import type { Client } from '../../test/http.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';

/*
 * Quick replies (SPEC rule 15): Admin > Configuration > Quick Replies (Name, Text, the roles
 * that may use it), variables checked when saved, every change audited; Insert quick reply
 * lists the ones the user may use, filled for the patient and the user.
 */

let t: TestApp;
let w: World;

beforeAll(async () => {
  t = await buildTestApp();
  w = await createWorld(t);
});
afterAll(() => t?.close());

interface QuickReply {
  id: string;
  name: string;
  text: string;
  roles: { id: string; name: string; deleted: boolean }[];
}

/** Every stored quick reply of the chamber, and the audit rows about quick replies. */
async function snapshot(chamberId = w.chamber.id) {
  const rows = await t.db.execute(sql`
    select id, name, text, role_ids::text as role_ids, updated_at from quick_replies
     where chamber_id = ${chamberId}::uuid order by id`);
  const audits = await t.db.execute<{ n: string | number }>(sql`
    select count(*) as n from audit_events
     where chamber_id = ${chamberId}::uuid and subject_type = 'quick_reply'`);
  return { rows: rows.rows, audits: Number(audits.rows[0]?.n) };
}

async function create(body: Record<string, unknown>, as: Client = w.as.admin) {
  const res = await as.post('/api/v1/admin/quick-replies', body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as QuickReply;
}

const adminList = async (as: Client = w.as.admin) => {
  const res = await as.get('/api/v1/admin/quick-replies');
  expect(res.status).toBe(200);
  return res.body.quickReplies as QuickReply[];
};

const usable = async (as: Client, patientId = w.alice.id) => {
  const res = await as.get(`/api/v1/quick-replies?patientId=${patientId}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.quickReplies as { id: string; name: string; text: string }[];
};

describe('Quick Replies (admin)', () => {
  it('New Quick Reply: 201 with its roles; listed by name; changed and deleted', async () => {
    const ready = await create({
      name: '  Prescription ready ',
      text: 'Dear {patient.firstName}, your prescription is ready.\r\n{user.name}',
      roleIds: [w.roles.nurses, w.roles.nurses],
    });
    expect(ready).toEqual({
      id: expect.any(String),
      name: 'Prescription ready',
      text: 'Dear {patient.firstName}, your prescription is ready.\n{user.name}',
      roles: [{ id: w.roles.nurses, name: 'Nurses', deleted: false }],
    });
    const booked = await create({ name: 'appointment needed', text: 'Please book.' });
    expect(booked.roles).toEqual([]);
    const names = (await adminList()).map((q) => q.name);
    expect(names.indexOf('appointment needed')).toBeLessThan(names.indexOf('Prescription ready'));

    const changed = await w.as.admin.patch(`/api/v1/admin/quick-replies/${ready.id}`, {
      name: 'Prescription collected',
      text: 'Collected, {patient.lastName}.',
      roleIds: [w.roles.reception, w.roles.nurses],
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toEqual({
      id: ready.id,
      name: 'Prescription collected',
      text: 'Collected, {patient.lastName}.',
      roles: [
        { id: w.roles.reception, name: 'Reception', deleted: false },
        { id: w.roles.nurses, name: 'Nurses', deleted: false },
      ],
    });
    const everyone = await w.as.admin.patch(`/api/v1/admin/quick-replies/${ready.id}`, {
      roleIds: [],
    });
    expect(everyone.body.roles).toEqual([]);

    const gone = await w.as.admin.delete(`/api/v1/admin/quick-replies/${ready.id}`);
    expect(gone.status).toBe(200);
    expect(gone.body).toEqual({ ok: true });
    expect((await adminList()).map((q) => q.id)).not.toContain(ready.id);
    const missing = await w.as.admin.delete(`/api/v1/admin/quick-replies/${randomUUID()}`);
    expect(missing.status).toBe(404);
    for (const again of [
      await w.as.admin.delete(`/api/v1/admin/quick-replies/${ready.id}`),
      await w.as.admin.patch(`/api/v1/admin/quick-replies/${ready.id}`, { name: 'Back' }),
    ]) {
      expect(again.status).toBe(404);
      expect(again.body).toEqual(missing.body);
    }
  });

  it('an unknown, misspelt or unbalanced variable: 422 variable_unknown on text, naming it; nothing stored', async () => {
    const kept = await create({ name: 'Variables', text: 'Hello {patient.firstName}' });
    const before = await snapshot();
    const cases: [string, string][] = [
      ['Hi {patient.first}', '{patient.first}'],
      ['Regards, {user.name', '{user.name'],
      ['Regards, user.name} today', 'user.name}'],
      ['{clinic.email} please', '{clinic.email}'],
      ['{Patient.FirstName}', '{Patient.FirstName}'],
      ['{ user.name }', '{ user.name }'],
      ['{}', '{}'],
    ];
    for (const [text, named] of cases) {
      const made = await w.as.admin.post('/api/v1/admin/quick-replies', { name: 'Bad', text });
      expect(made.status, text).toBe(422);
      expect(made.body.error, text).toMatchObject({ code: 'variable_unknown', field: 'text' });
      expect(made.body.error.message, text).toBe(
        `${named} is not a variable. Use {patient.firstName}, {patient.lastName}, {clinic.name}, {clinic.phone} or {user.name}.`,
      );
      const changed = await w.as.admin.patch(`/api/v1/admin/quick-replies/${kept.id}`, { text });
      expect(changed.status, text).toBe(422);
      expect(changed.body.error).toMatchObject({ code: 'variable_unknown', field: 'text' });
    }
    expect(await snapshot()).toEqual(before);
    // Every known variable, next to each other, is fine.
    const all = await create({
      name: 'All variables',
      text: '{patient.firstName}{patient.lastName} {clinic.name} {clinic.phone} {user.name}',
    });
    expect(all.text).toContain('{user.name}');
  });

  it('a blank or too long name or text, control characters, unknown fields: 422 with the field, nothing stored; a taken name 409 on name', async () => {
    const taken = await create({ name: 'Results normal', text: 'Your results are normal.' });
    const before = await snapshot();
    const cases: [Record<string, unknown>, string, number][] = [
      [{ name: '', text: 'x' }, 'name', 422],
      [{ name: '   ', text: 'x' }, 'name', 422],
      [{ name: '\u200b\u200b', text: 'x' }, 'name', 422],
      [{ name: 'Line\nbreak', text: 'x' }, 'name', 422],
      [{ name: 'x'.repeat(QUICK_REPLY_NAME_MAX + 1), text: 'x' }, 'name', 422],
      [{ text: 'x' }, 'name', 422],
      [{ name: 'No text' }, 'text', 422],
      [{ name: 'Blank', text: ' \n\t ' }, 'text', 422],
      [{ name: 'Invisible', text: '\u200b\u2800' }, 'text', 422],
      [{ name: 'Long', text: '😀'.repeat(5001) }, 'text', 422],
      [{ name: 'Control', text: 'a\u0007b' }, 'text', 422],
      [{ name: 'Roles', text: 'x', roleIds: ['nope'] }, 'roleIds.0', 422],
      [{ name: 'Colour', text: 'x', colour: 'red' }, 'colour', 422],
      [{ name: 'RESULTS NORMAL', text: 'x' }, 'name', 409],
      [{ name: ' results normal ', text: 'x' }, 'name', 409],
    ];
    for (const [body, field, status] of cases) {
      const res = await w.as.admin.post('/api/v1/admin/quick-replies', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.field, JSON.stringify(body)).toBe(field);
    }
    const other = await create({ name: 'Results abnormal', text: 'Please call us.' });
    const after = await snapshot();
    const renamed = await w.as.admin.patch(`/api/v1/admin/quick-replies/${other.id}`, {
      name: 'results NORMAL',
    });
    expect(renamed.status).toBe(409);
    expect(renamed.body.error).toMatchObject({ code: 'quick_reply_name_taken', field: 'name' });
    expect((await w.as.admin.patch(`/api/v1/admin/quick-replies/${other.id}`, {})).status).toBe(
      422,
    );
    expect(await snapshot()).toEqual(after);
    expect(after.rows.length).toBe(before.rows.length + 1);
    // Its own name in another case is not "taken"; 5,000 characters (emoji count one) is fine.
    const recased = await w.as.admin.patch(`/api/v1/admin/quick-replies/${taken.id}`, {
      name: 'RESULTS NORMAL',
      text: '😀'.repeat(5000),
    });
    expect(recased.status, JSON.stringify(recased.body)).toBe(200);
    expect(recased.body.name).toBe('RESULTS NORMAL');
  });

  it('an unknown, deleted or other chamber’s role: 422 role_not_found on roleIds, nothing stored; a role deleted later shows as deleted', async () => {
    const c2 = await createChamber(t);
    const theirs = await createRole(t, c2, 'Their role');
    const gone = await createRole(t, w.chamber, 'Gone role');
    expect((await w.as.admin.delete(`/api/v1/admin/roles/${gone}`)).status).toBe(200);
    const reply = await create({ name: 'Role checked', text: 'x', roleIds: [w.roles.nurses] });
    const before = await snapshot();
    for (const roleId of [randomUUID(), theirs, gone, c2.builtInRoleId]) {
      const roleIds = [w.roles.nurses, roleId];
      const made = await w.as.admin.post('/api/v1/admin/quick-replies', {
        name: 'Elsewhere',
        text: 'x',
        roleIds,
      });
      expect(made.status, roleId).toBe(422);
      expect(made.body.error).toMatchObject({ code: 'role_not_found', field: 'roleIds' });
      const moved = await w.as.admin.patch(`/api/v1/admin/quick-replies/${reply.id}`, { roleIds });
      expect(moved.status, roleId).toBe(422);
      expect(moved.body.error).toMatchObject({ code: 'role_not_found', field: 'roleIds' });
    }
    expect(await snapshot()).toEqual(before);

    const temp = await createRole(t, w.chamber, 'Short-lived');
    const q = await create({ name: 'Short-lived reply', text: 'x', roleIds: [temp] });
    expect((await w.as.admin.delete(`/api/v1/admin/roles/${temp}`)).status).toBe(200);
    expect((await adminList()).find((x) => x.id === q.id)?.roles).toEqual([
      { id: temp, name: 'Short-lived', deleted: true },
    ]);
  });

  it('staff without the admin permission: 403 on every admin route; patients 401 on every route; nothing changed', async () => {
    const q = await create({ name: 'Admins only', text: 'x' });
    const before = await snapshot();
    for (const c of [w.as.receptionist, w.as.nurse]) {
      for (const res of [
        await c.get('/api/v1/admin/quick-replies'),
        await c.post('/api/v1/admin/quick-replies', { name: 'Mine', text: 'x' }),
        await c.patch(`/api/v1/admin/quick-replies/${q.id}`, { name: 'Mine' }),
        await c.delete(`/api/v1/admin/quick-replies/${q.id}`),
      ]) {
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe('admin_required');
      }
    }
    for (const res of [
      await w.as.alice.get(`/api/v1/quick-replies?patientId=${w.alice.id}`),
      await w.as.alice.get('/api/v1/admin/quick-replies'),
      await w.as.alice.post('/api/v1/admin/quick-replies', { name: 'Mine', text: 'x' }),
      await w.as.alice.patch(`/api/v1/admin/quick-replies/${q.id}`, { name: 'Mine' }),
      await w.as.alice.delete(`/api/v1/admin/quick-replies/${q.id}`),
    ]) {
      expect(res.status).toBe(401);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('another chamber’s admin neither lists nor changes these quick replies', async () => {
    const q = await create({ name: 'Ours', text: 'x' });
    const c2 = await createChamber(t);
    const theirAdmin = await staffClient(t, c2, c2.admin.email);
    const before = await snapshot();
    expect(await adminList(theirAdmin)).toEqual([]);
    for (const res of [
      await theirAdmin.patch(`/api/v1/admin/quick-replies/${q.id}`, { name: 'Theirs now' }),
      await theirAdmin.delete(`/api/v1/admin/quick-replies/${q.id}`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    // Nor uses them: their staff list is empty, and our patient is not theirs.
    const theirBand = await createBand(t, c2, { name: 'Theirs' });
    const theirPatient = await createPatient(t, c2, { bandId: theirBand, account: 'none' });
    expect(await usable(theirAdmin, theirPatient.id)).toEqual([]);
    expect((await theirAdmin.get(`/api/v1/quick-replies?patientId=${w.alice.id}`)).status).toBe(
      404,
    );
    expect(await snapshot()).toEqual(before);
  });

  it('every change is audited: quick_reply.created, .updated and .deleted, with who and what', async () => {
    const q = await create({ name: 'Audited', text: 'One', roleIds: [w.roles.nurses] });
    await w.as.admin.patch(`/api/v1/admin/quick-replies/${q.id}`, {
      name: 'Audited reply',
      text: 'Two',
      roleIds: [],
    });
    await w.as.admin.delete(`/api/v1/admin/quick-replies/${q.id}`);
    const rows = await t.db.execute<{
      action: string;
      actor_user_id: string;
      details: Record<string, unknown> | string;
    }>(sql`
      select action, actor_user_id::text as actor_user_id, details from audit_events
       where subject_type = 'quick_reply' and subject_id = ${q.id} order by id`);
    const parsed = rows.rows.map((r) => ({
      ...r,
      details: typeof r.details === 'string' ? JSON.parse(r.details) : r.details,
    }));
    const admin = w.chamber.admin.userId;
    expect(parsed).toEqual([
      {
        action: 'quick_reply.created',
        actor_user_id: admin,
        details: { name: 'Audited', text: 'One', roleIds: [w.roles.nurses] },
      },
      {
        action: 'quick_reply.updated',
        actor_user_id: admin,
        details: { from: 'Audited', to: 'Audited reply', text: 'Two', roleIds: [] },
      },
      { action: 'quick_reply.deleted', actor_user_id: admin, details: { name: 'Audited reply' } },
    ]);
  });
});

describe('Insert quick reply (staff)', () => {
  it('lists only the quick replies the user may use (for everyone, or one of their roles), by name', async () => {
    const v = await createWorld(t);
    const everyone = await create({ name: 'For everyone', text: 'x' }, v.as.admin);
    const nurses = await create(
      { name: 'Nurses only', text: 'x', roleIds: [v.roles.nurses] },
      v.as.admin,
    );
    const both = await create(
      { name: 'Both teams', text: 'x', roleIds: [v.roles.reception, v.roles.nurses] },
      v.as.admin,
    );
    const builtIn = await create(
      { name: 'Admin role', text: 'x', roleIds: [v.roles.builtIn] },
      v.as.admin,
    );
    const ids = async (c: Client) => (await usable(c, v.alice.id)).map((q) => q.id);
    expect(await ids(v.as.nurse)).toEqual([both.id, everyone.id, nurses.id]);
    expect(await ids(v.as.receptionist)).toEqual([builtIn.id, both.id, everyone.id]);
    // The admin holds no role: only what is for everyone.
    expect(await ids(v.as.admin)).toEqual([everyone.id]);
    // Roles are read fresh: the nurse moved to Reception loses "Nurses only" at once.
    const moved = await v.as.admin.patch(`/api/v1/admin/users/${v.nurse.id}`, {
      roleIds: [v.roles.reception],
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(await ids(v.as.nurse)).toEqual([both.id, everyone.id]);
  });

  it('fills the variables for the patient and the user; an empty Clinic phone becomes empty text', async () => {
    const v = await createWorld(t);
    const q = await create(
      {
        name: 'Filled',
        text: 'Dear {patient.firstName} {patient.lastName}, call {clinic.name} on {clinic.phone}.\n{user.name}',
      },
      v.as.admin,
    );
    const clinic = `Clinic ${v.chamber.key}`;
    expect(await usable(v.as.nurse, v.alice.id)).toEqual([
      { id: q.id, name: 'Filled', text: `Dear Alice Archer, call ${clinic} on .\nNina Nurse` },
    ]);
    const phone = await v.as.admin.patch('/api/v1/admin/settings', {
      clinicPhone: '020 7946 0000',
    });
    expect(phone.status, JSON.stringify(phone.body)).toBe(200);
    expect((await usable(v.as.receptionist, v.bob.id))[0]?.text).toBe(
      `Dear Bob Baker, call ${clinic} on 020 7946 0000.\nRita Reception`,
    );
    // A value that looks like a variable is inserted as it is, never filled again.
    const odd = await createPatient(t, v.chamber, {
      bandId: v.band,
      given: '{user.name}',
      family: '$& $1',
      account: 'none',
    });
    expect((await usable(v.as.nurse, odd.id))[0]?.text).toBe(
      `Dear {user.name} $& $1, call ${clinic} on 020 7946 0000.\nNina Nurse`,
    );
  });

  it('a patient of another chamber, an unknown or malformed patient id: 404 or 422, as the Feed', async () => {
    const c2 = await createChamber(t);
    const theirBand = await createBand(t, c2, { name: 'Theirs' });
    const theirs = await createPatient(t, c2, { bandId: theirBand, account: 'none' });
    for (const patientId of [theirs.id, randomUUID()]) {
      const res = await w.as.receptionist.get(`/api/v1/quick-replies?patientId=${patientId}`);
      expect(res.status).toBe(404);
      const feed = await w.as.receptionist.get(`/api/v1/patients/${patientId}/feed`);
      expect(res.body).toEqual({
        error: { ...feed.body.error, message: expect.any(String) },
      });
    }
    for (const url of ['/api/v1/quick-replies', '/api/v1/quick-replies?patientId=nope']) {
      const res = await w.as.receptionist.get(url);
      expect(res.status, url).toBe(422);
      expect(res.body.error.field).toBe('patientId');
    }
    // A patient's session: 401 (the route is for staff), as every staff route answers.
    expect(
      (
        await (
          await patientClient(t, w.chamber, w.bob.email)
        ).get(`/api/v1/quick-replies?patientId=${w.bob.id}`)
      ).status,
    ).toBe(401);
  });
});
