import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, signIn, type Client } from '../../test/http.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import {
  PASSWORD,
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
let c: TestChamber;
let other: TestChamber;
let admin: Client;
let otherAdmin: Client;

beforeAll(async () => {
  t = await buildTestApp();
  c = await createChamber(t);
  other = await createChamber(t);
  admin = await staffClient(t, c, c.admin.email);
  otherAdmin = await staffClient(t, other, other.admin.email);
});
afterAll(() => t?.close());

async function count(query: ReturnType<typeof sql>): Promise<number> {
  const r = await t.db.execute<{ n: string | number }>(query);
  return Number(r.rows[0]?.n);
}

const roleRows = () => count(sql`select count(*) as n from roles`);
const userRows = () => count(sql`select count(*) as n from users`);
const memberRows = () => count(sql`select count(*) as n from role_members`);

async function rolesOf(who: Client) {
  const res = await who.get('/api/v1/roles');
  expect(res.status).toBe(200);
  return res.body.roles as any[];
}

async function members(roleId: string) {
  const res = await admin.get(`/api/v1/admin/roles/${roleId}/members`);
  expect(res.status).toBe(200);
  return (res.body.members as any[]).map((m) => m.id);
}

async function usersOf(who: Client = admin) {
  const res = await who.get('/api/v1/admin/users');
  expect(res.status).toBe(200);
  return res.body.users as any[];
}

const unread = async (who: Client) =>
  (await who.get('/api/v1/notifications')).body.unreadCount as number;

describe('GET /api/v1/roles', () => {
  it('lists the chamber’s roles, with the built-in role, to any staff user; patients get 401', async () => {
    const reception = await createRole(t, c, 'Reception');
    await createRole(t, other, 'Other Chamber Only');
    const staff = await createStaff(t, c, { roleIds: [reception] });
    const asStaff = await staffClient(t, c, staff.email);
    const list = await rolesOf(asStaff);
    expect(list).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: c.builtInRoleId,
          name: 'Appointment Reminder Admin',
          isBuiltIn: true,
        }),
        expect.objectContaining({
          id: reception,
          name: 'Reception',
          isBuiltIn: false,
          memberCount: 1,
          activeMemberCount: 1,
        }),
      ]),
    );
    expect(list.map((r) => r.name)).not.toContain('Other Chamber Only');

    const band = await createBand(t, c);
    const p = await createPatient(t, c, { bandId: band });
    const asPatient = await patientClient(t, c, p.email);
    for (const who of [asPatient, client(t.app)]) {
      const res = await who.get('/api/v1/roles');
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthenticated');
    }
  });
});

describe('POST/PATCH/DELETE /api/v1/admin/roles', () => {
  it('New Role, rename, delete; the name is free again after deletion', async () => {
    const created = await admin.post('/api/v1/admin/roles', { name: '  Nurses  ' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.any(String),
      name: 'Nurses',
      isBuiltIn: false,
    });
    const id = created.body.id;

    const renamed = await admin.patch(`/api/v1/admin/roles/${id}`, { name: 'Practice Nurses' });
    expect(renamed.status).toBe(200);
    expect((await rolesOf(admin)).find((r) => r.id === id).name).toBe('Practice Nurses');
    // Changing only the case of its own name is allowed.
    expect(
      (await admin.patch(`/api/v1/admin/roles/${id}`, { name: 'PRACTICE nurses' })).status,
    ).toBe(200);

    const deleted = await admin.delete(`/api/v1/admin/roles/${id}`);
    expect(deleted.status).toBe(200);
    expect((await rolesOf(admin)).map((r) => r.id)).not.toContain(id);
    for (const res of [
      await admin.patch(`/api/v1/admin/roles/${id}`, { name: 'Back' }),
      await admin.delete(`/api/v1/admin/roles/${id}`),
      await admin.get(`/api/v1/admin/roles/${id}/members`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    const again = await admin.post('/api/v1/admin/roles', { name: 'practice nurses' });
    expect(again.status).toBe(201);
  });

  it('the built-in role cannot be renamed or deleted (409 role_built_in)', async () => {
    const before = await rolesOf(admin);
    const rename = await admin.patch(`/api/v1/admin/roles/${c.builtInRoleId}`, { name: 'Admins' });
    expect(rename.status).toBe(409);
    expect(rename.body.error).toMatchObject({ status: 409, code: 'role_built_in', field: 'name' });
    const del = await admin.delete(`/api/v1/admin/roles/${c.builtInRoleId}`);
    expect(del.status).toBe(409);
    expect(del.body.error.code).toBe('role_built_in');
    expect(await rolesOf(admin)).toEqual(before);
  });

  it('refuses a taken name in any case (409 role_name_taken) and empty names (422)', async () => {
    const doctors = await createRole(t, c, 'Doctors');
    const physios = await createRole(t, c, 'Physios');
    const before = await rolesOf(admin);
    const rows = await roleRows();
    for (const name of ['Doctors', 'doctors', ' DOCTORS ', 'appointment reminder admin']) {
      const res = await admin.post('/api/v1/admin/roles', { name });
      expect(res.status, name).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'role_name_taken', field: 'name' });
    }
    const rename = await admin.patch(`/api/v1/admin/roles/${physios}`, { name: 'dOcToRs' });
    expect(rename.status).toBe(409);
    expect(rename.body.error).toMatchObject({ code: 'role_name_taken', field: 'name' });
    for (const body of [{ name: '' }, { name: '  ' }, { name: 'x'.repeat(101) }, {}]) {
      const res = await admin.post('/api/v1/admin/roles', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'validation_failed', field: 'name' });
    }
    expect(await rolesOf(admin)).toEqual(before);
    expect(await roleRows()).toBe(rows);
    expect(doctors).toBeTruthy();
    // Another chamber may use the same name.
    expect((await otherAdmin.post('/api/v1/admin/roles', { name: 'Doctors' })).status).toBe(201);
  });

  it('is for administrators: other staff get 403 admin_required', async () => {
    const role = await createRole(t, c, 'Admin Only Test');
    const staff = await createStaff(t, c, { roleIds: [role] });
    const asStaff = await staffClient(t, c, staff.email);
    const before = await rolesOf(admin);
    const rows = await memberRows();
    for (const res of [
      await asStaff.post('/api/v1/admin/roles', { name: 'Sneaky' }),
      await asStaff.patch(`/api/v1/admin/roles/${role}`, { name: 'Sneaky' }),
      await asStaff.delete(`/api/v1/admin/roles/${role}`),
      await asStaff.get(`/api/v1/admin/roles/${role}/members`),
      await asStaff.put(`/api/v1/admin/roles/${c.builtInRoleId}/members/${staff.id}`),
      await asStaff.delete(`/api/v1/admin/roles/${role}/members/${staff.id}`),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('admin_required');
    }
    expect(await rolesOf(admin)).toEqual(before);
    expect(await memberRows()).toBe(rows);
  });
});

describe('role members', () => {
  it('adds (idempotently), lists and removes members', async () => {
    const role = await createRole(t, c, 'Reception Desk');
    const a = await createStaff(t, c, { name: 'Ann Member' });
    const b = await createStaff(t, c, { name: 'Ben Member' });
    expect(await members(role)).toEqual([]);
    for (const id of [a.id, b.id, a.id]) {
      const res = await admin.put(`/api/v1/admin/roles/${role}/members/${id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ok: true });
    }
    const listed = await admin.get(`/api/v1/admin/roles/${role}/members`);
    expect(listed.body.members).toEqual([
      { id: a.id, name: 'Ann Member', email: a.email, active: true },
      { id: b.id, name: 'Ben Member', email: b.email, active: true },
    ]);
    expect((await admin.delete(`/api/v1/admin/roles/${role}/members/${a.id}`)).status).toBe(200);
    expect(await members(role)).toEqual([b.id]);
    const rows = await memberRows();
    const twice = await admin.delete(`/api/v1/admin/roles/${role}/members/${a.id}`);
    expect(twice.status).toBe(404);
    expect(twice.body.error.code).toBe('not_found');
    const unknown = await admin.put(
      `/api/v1/admin/roles/${role}/members/00000000-0000-4000-8000-000000000000`,
    );
    expect(unknown.status).toBe(404);
    expect(await memberRows()).toBe(rows);
  });

  it('another chamber’s role and user ids answer 404 and change nothing', async () => {
    const mine = await createRole(t, c, 'Mine');
    const myUser = await createStaff(t, c, { roleIds: [mine] });
    const theirs = await createRole(t, other, 'Theirs');
    const theirUser = await createStaff(t, other, { roleIds: [theirs] });
    const rows = { roles: await roleRows(), members: await memberRows(), users: await userRows() };
    const otherRolesBefore = await rolesOf(otherAdmin);
    const attempts = [
      // chamber 1's admin reaching into chamber 2
      admin.patch(`/api/v1/admin/roles/${theirs}`, { name: 'Taken over' }),
      admin.delete(`/api/v1/admin/roles/${theirs}`),
      admin.get(`/api/v1/admin/roles/${theirs}/members`),
      admin.put(`/api/v1/admin/roles/${theirs}/members/${theirUser.id}`),
      admin.put(`/api/v1/admin/roles/${theirs}/members/${myUser.id}`),
      admin.put(`/api/v1/admin/roles/${mine}/members/${theirUser.id}`),
      admin.delete(`/api/v1/admin/roles/${theirs}/members/${theirUser.id}`),
      admin.patch(`/api/v1/admin/users/${theirUser.id}`, { active: false }),
      // chamber 2's admin reaching into chamber 1
      otherAdmin.delete(`/api/v1/admin/roles/${mine}`),
      otherAdmin.get(`/api/v1/admin/roles/${mine}/members`),
      otherAdmin.delete(`/api/v1/admin/roles/${mine}/members/${myUser.id}`),
      otherAdmin.put(`/api/v1/admin/roles/${c.builtInRoleId}/members/${theirUser.id}`),
      otherAdmin.patch(`/api/v1/admin/users/${myUser.id}`, { name: 'Renamed' }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect({
      roles: await roleRows(),
      members: await memberRows(),
      users: await userRows(),
    }).toEqual(rows);
    expect(await rolesOf(otherAdmin)).toEqual(otherRolesBefore);
    expect(await members(mine)).toEqual([myUser.id]);
    expect((await usersOf()).find((u) => u.id === myUser.id).name).not.toBe('Renamed');
    const otherUsers = await usersOf(otherAdmin);
    expect(otherUsers.find((u) => u.id === theirUser.id)).toMatchObject({
      active: true,
      roleIds: [theirs],
    });
  });

  it('a removed member no longer sees messages shared with the role and gets no new notifications', async () => {
    const nurses = await createRole(t, c, 'Ward Nurses');
    const stays = await createStaff(t, c, { name: 'Nora Stays', roleIds: [nurses] });
    const leaves = await createStaff(t, c, { name: 'Lena Leaves', roleIds: [nurses] });
    const asStays = await staffClient(t, c, stays.email);
    const asLeaves = await staffClient(t, c, leaves.email);
    // Nora was told that Lena joined (issue 17: access changes are notified); read it.
    const told = (await asStays.get('/api/v1/notifications')).body.notifications;
    expect(told.map((n: { title: string }) => n.title)).toEqual([
      'Admin User added Lena Leaves to Ward Nurses',
    ]);
    expect((await asStays.post('/api/v1/notifications/read-all')).status).toBe(200);
    const band = await createBand(t, c, { messaging: true });
    const p = await createPatient(t, c, { bandId: band, given: 'Role', family: 'Patient' });
    const asPatient = await patientClient(t, c, p.email);

    await admin.patch('/api/v1/admin/settings', { roleForNewMessagesId: nurses });
    const first = await asPatient.post('/api/v1/portal/conversations', { text: 'For the nurses' });
    expect(first.status).toBe(201);
    const conversationId = first.body.conversation.id;
    expect((await asLeaves.get(`/api/v1/conversations/${conversationId}`)).status).toBe(200);
    expect(await unread(asLeaves)).toBe(1);

    expect((await admin.delete(`/api/v1/admin/roles/${nurses}/members/${leaves.id}`)).status).toBe(
      200,
    );
    // Her session stays, but what the role could see is gone: 404, as if it never existed.
    const hidden = await asLeaves.get(`/api/v1/conversations/${conversationId}`);
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.code).toBe('not_found');
    const feed = await asLeaves.get(`/api/v1/patients/${p.id}/feed`);
    expect(feed.status).toBe(200);
    expect(feed.body.conversations).toEqual([]);
    const reply = await asLeaves.post(`/api/v1/conversations/${conversationId}/messages`, {
      text: 'Still here?',
      shareWithPatient: true,
      roleIds: [],
    });
    expect(reply.status).toBe(404);

    const notesBefore = await unread(asLeaves);
    const second = await asPatient.post(`/api/v1/portal/conversations/${conversationId}/messages`, {
      text: 'Second message',
    });
    expect(second.status).toBe(201);
    // One conversation, one notification item counting its two new messages.
    expect(await unread(asStays)).toBe(1);
    const items = (await asStays.get('/api/v1/notifications?unread=true')).body.notifications;
    expect(items.map((n: { count: number }) => n.count)).toEqual([2]);
    const staffNote = await asStays.post(`/api/v1/conversations/${conversationId}/messages`, {
      text: 'Internal note for the nurses',
      shareWithPatient: false,
      roleIds: [nurses],
    });
    expect(staffNote.status).toBe(201);
    expect(await unread(asLeaves)).toBe(notesBefore);
    expect(
      await count(
        sql`select count(*) as n from notifications where chamber_id = ${c.id}::uuid and user_id = ${leaves.id}::uuid`,
      ),
    ).toBe(1);
    expect(await members(nurses)).toEqual([stays.id]);

    await admin.patch('/api/v1/admin/settings', { roleForNewMessagesId: c.builtInRoleId });
  });
});

describe('users: GET/POST /api/v1/admin/users', () => {
  it('lists the chamber’s users only', async () => {
    const list = await usersOf();
    expect(list.find((u) => u.id === c.admin.userId)).toMatchObject({
      email: c.admin.email,
      isAdmin: true,
      active: true,
      hasPassword: true,
    });
    expect(list.map((u) => u.id)).not.toContain(other.admin.userId);
  });

  it('New User with a password can sign in at once', async () => {
    const reception = await createRole(t, c, 'Front Desk');
    const res = await admin.post('/api/v1/admin/users', {
      name: 'Paula Password',
      email: 'paula@clinic.example',
      password: 'a-good-password-7',
      roleIds: [reception],
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.any(String),
      name: 'Paula Password',
      email: 'paula@clinic.example',
      isAdmin: false,
      active: true,
      hasPassword: true,
      roleIds: [reception],
    });
    const paula = await signIn(t.app, 'staff', c.key, 'paula@clinic.example', 'a-good-password-7');
    const me = await paula.get('/api/v1/staff/session');
    expect(me.body.user).toMatchObject({
      id: res.body.id,
      isAdmin: false,
      roles: [{ id: reception, name: 'Front Desk' }],
    });
  });

  it('New User without a password is emailed an invitation whose link sets the password', async () => {
    const res = await admin.post('/api/v1/admin/users', {
      name: 'Ivan Invited',
      email: 'ivan@clinic.example',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ hasPassword: false, active: true });
    const noPassword = await client(t.app).post('/api/v1/staff/session', {
      chamber: c.key,
      email: 'ivan@clinic.example',
      password: PASSWORD,
    });
    expect(noPassword.status).toBe(401);
    expect(noPassword.body.error.code).toBe('invalid_credentials');

    await t.deliverMail();
    const mails = t.outbox.filter((m) => m.to === 'ivan@clinic.example');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toContain('invitation to the staff app');
    const token = mails[0]!.text.match(/\/staff\/set-password#token=([A-Za-z0-9_-]+)/)?.[1];
    expect(token).toBeTruthy();

    // A staff link is no patient link, and a weak password is refused without using the link.
    const asPatientLink = await client(t.app).post('/api/v1/portal/password', {
      token,
      password: 'a-good-password-8',
    });
    expect(asPatientLink.status).toBe(400);
    expect(asPatientLink.body.error).toMatchObject({ code: 'link_invalid', field: 'token' });
    const weak = await client(t.app).post('/api/v1/staff/password', { token, password: 'short1' });
    expect(weak.status).toBe(422);
    expect(weak.body.error).toMatchObject({ code: 'password_too_short', field: 'password' });

    const set = await client(t.app).post('/api/v1/staff/password', {
      token,
      password: 'a-good-password-8',
    });
    expect(set.status).toBe(200);
    await signIn(t.app, 'staff', c.key, 'ivan@clinic.example', 'a-good-password-8');
    expect((await usersOf()).find((u) => u.id === res.body.id).hasPassword).toBe(true);

    const replay = await client(t.app).post('/api/v1/staff/password', {
      token,
      password: 'another-password-9',
    });
    expect(replay.status).toBe(400);
    expect(replay.body.error.code).toBe('link_invalid');
    await signIn(t.app, 'staff', c.key, 'ivan@clinic.example', 'a-good-password-8');
  });

  it('refuses a taken email (409 email_taken), bad input and foreign roles; nothing is stored', async () => {
    const before = await usersOf();
    const rows = await userRows();
    const jobs = await count(sql`select count(*) as n from jobs`);
    for (const email of [c.admin.email, c.admin.email.toUpperCase()]) {
      const res = await admin.post('/api/v1/admin/users', { name: 'Dup', email });
      expect(res.status, email).toBe(409);
      expect(res.body.error).toMatchObject({ status: 409, code: 'email_taken', field: 'email' });
    }
    const cases: [unknown, number, string, string][] = [
      [{ name: 'Bad', email: 'not-an-email' }, 422, 'validation_failed', 'email'],
      [{ name: 'Line\nBreak', email: 'lb@clinic.example' }, 422, 'validation_failed', 'name'],
      [{ name: '', email: 'empty@clinic.example' }, 422, 'validation_failed', 'name'],
      [{ email: 'noname@clinic.example' }, 422, 'validation_failed', 'name'],
      [
        { name: 'Weak', email: 'weak@clinic.example', password: 'short' },
        422,
        'password_too_short',
        'password',
      ],
      [
        { name: 'Nodigit', email: 'nd@clinic.example', password: 'lettersonlyhere' },
        422,
        'password_too_weak',
        'password',
      ],
      [
        { name: 'Foreign', email: 'foreign@clinic.example', roleIds: [other.builtInRoleId] },
        422,
        'role_not_found',
        'roleIds',
      ],
      [
        { name: 'Malformed', email: 'mal@clinic.example', roleIds: ['x'] },
        422,
        'validation_failed',
        'roleIds.0',
      ],
      [
        { name: 'Extra', email: 'extra@clinic.example', active: false },
        422,
        'validation_failed',
        'active',
      ],
    ];
    for (const [body, status, code, field] of cases) {
      const res = await admin.post('/api/v1/admin/users', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error, JSON.stringify(body)).toMatchObject({ code, field });
    }
    expect(await usersOf()).toEqual(before);
    expect(await userRows()).toBe(rows);
    expect(await count(sql`select count(*) as n from jobs`)).toBe(jobs);
    // The same email in another chamber is another person's account: allowed.
    expect(
      (await otherAdmin.post('/api/v1/admin/users', { name: 'Same', email: c.admin.email })).status,
    ).toBe(201);
  });

  it('is for administrators: other staff get 403 admin_required', async () => {
    const staff = await createStaff(t, c);
    const asStaff = await staffClient(t, c, staff.email);
    const rows = await userRows();
    for (const res of [
      await asStaff.get('/api/v1/admin/users'),
      await asStaff.post('/api/v1/admin/users', { name: 'X', email: 'x@clinic.example' }),
      await asStaff.patch(`/api/v1/admin/users/${staff.id}`, { isAdmin: true }),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('admin_required');
    }
    expect(await userRows()).toBe(rows);
    expect((await usersOf()).find((u) => u.id === staff.id).isAdmin).toBe(false);
  });
});

describe('users: PATCH /api/v1/admin/users/:id', () => {
  it('an admin cannot make themselves Inactive or drop their own admin permission', async () => {
    const before = await usersOf();
    for (const [body, field] of [
      [{ active: false }, 'active'],
      [{ isAdmin: false }, 'isAdmin'],
      [{ name: 'Still Me', isAdmin: false }, 'isAdmin'],
    ] as const) {
      const res = await admin.patch(`/api/v1/admin/users/${c.admin.userId}`, body);
      expect(res.status, JSON.stringify(body)).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'cannot_lock_out_self', field });
    }
    expect(await usersOf()).toEqual(before);
    expect((await admin.get('/api/v1/staff/session')).status).toBe(200);
  });

  it('changes name, roles and admin permission; bad input is refused', async () => {
    const role = await createRole(t, c, 'Patch Role');
    const u = await createStaff(t, c, { name: 'Pat Change' });
    const asU = await staffClient(t, c, u.email);
    const res = await admin.patch(`/api/v1/admin/users/${u.id}`, {
      name: 'Pat Changed',
      roleIds: [role, role],
      isAdmin: true,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'Pat Changed', roleIds: [role], isAdmin: true });
    // The running session sees the change at once.
    expect((await asU.get('/api/v1/admin/users')).status).toBe(200);

    const before = await usersOf();
    for (const [body, code, field] of [
      [{ roleIds: [other.builtInRoleId] }, 'role_not_found', 'roleIds'],
      [{ name: 'Tab\there' }, 'validation_failed', 'name'],
      [{ email: 'new@clinic.example' }, 'validation_failed', 'email'],
      [{ active: 'no' }, 'validation_failed', 'active'],
    ] as const) {
      const r = await admin.patch(`/api/v1/admin/users/${u.id}`, body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(r.body.error).toMatchObject({ code, field });
    }
    for (const id of ['00000000-0000-4000-8000-000000000000', 'nope']) {
      const r = await admin.patch(`/api/v1/admin/users/${id}`, { name: 'Ghost' });
      expect(r.status).toBe(404);
    }
    expect(await usersOf()).toEqual(before);
  });

  it('an Inactive user is signed out, cannot sign in, and gets no notifications when a patient writes', async () => {
    const active = await createStaff(t, c, { name: 'Andy Active', roleIds: [c.builtInRoleId] });
    const sleeper = await createStaff(t, c, { name: 'Ines Inactive', roleIds: [c.builtInRoleId] });
    const asActive = await staffClient(t, c, active.email);
    const asSleeper = await staffClient(t, c, sleeper.email);
    const band = await createBand(t, c, { messaging: true });
    const p = await createPatient(t, c, { bandId: band, given: 'Writes', family: 'Often' });
    const asPatient = await patientClient(t, c, p.email);
    await admin.patch('/api/v1/admin/settings', { roleForNewMessagesId: c.builtInRoleId });

    const off = await admin.patch(`/api/v1/admin/users/${sleeper.id}`, { active: false });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ active: false, roleIds: [c.builtInRoleId] });
    expect((await asSleeper.get('/api/v1/notifications')).status).toBe(401);
    const refused = await client(t.app).post('/api/v1/staff/session', {
      chamber: c.key,
      email: sleeper.email,
      password: PASSWORD,
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('account_not_active');

    const activeBefore = await unread(asActive);
    const sent = await asPatient.post('/api/v1/portal/conversations', { text: 'Anyone there?' });
    expect(sent.status).toBe(201);
    expect(await unread(asActive)).toBe(activeBefore + 1);
    expect(
      await count(
        sql`select count(*) as n from notifications where chamber_id = ${c.id}::uuid and user_id = ${sleeper.id}::uuid`,
      ),
    ).toBe(0);

    // Active again: still no notification for what came in meanwhile, but she can read it.
    expect((await admin.patch(`/api/v1/admin/users/${sleeper.id}`, { active: true })).status).toBe(
      200,
    );
    const back = await staffClient(t, c, sleeper.email);
    expect(await unread(back)).toBe(0);
    expect((await back.get(`/api/v1/conversations/${sent.body.conversation.id}`)).status).toBe(200);
  });
});
