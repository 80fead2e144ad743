import { and, eq, gt, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, notifications } from '../../db/schema.js';
import { createStaff, createWorld, staffClient, type World } from '../../test/factories.js';
import type { Client } from '../../test/http.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import { ALL } from '../fhir/fhir-test-support.js';

/*
 * Issue 17, finding 4: an admin can read a role's internal notes by joining the role (or
 * adding anyone to it), or by making an integration with the internal-notes scope. Both stay
 * allowed, and both are made visible: System Activity marks the row as privileged, and every
 * Active member of the roles concerned is told in the app (a notification of kind
 * `access_change`), except the admin who did it and the new member.
 */

let t: TestApp;
let w: World;
let nurse2: { id: string; email: string; name: string };
let sleeper: { id: string; email: string; name: string };
let asNurse2: Client;

beforeAll(async () => {
  t = await buildTestApp();
  w = await createWorld(t);
  nurse2 = await createStaff(t, w.chamber, { name: 'Noor Nurse', roleIds: [w.roles.nurses] });
  asNurse2 = await staffClient(t, w.chamber, nurse2.email);
  // An Inactive member of Nurses: told nothing.
  sleeper = await createStaff(t, w.chamber, { name: 'Ivy Inactive', roleIds: [w.roles.nurses] });
  await t.services.users.update(w.chamber.admin, sleeper.id, { active: false });
  // Noor was told of Ivy joining Nurses: read, so the tests below start from nothing unread.
  expect((await asNurse2.post('/api/v1/notifications/read-all')).status).toBe(200);
});
afterAll(() => t?.close());

/** The access-change notifications each user of the chamber has, by user id. */
async function accessChanges(since = 0) {
  const rows = await t.db
    .select({ userId: notifications.userId, detail: notifications.detail, seq: notifications.seq })
    .from(notifications)
    .where(
      and(
        eq(notifications.chamberId, w.chamber.id),
        eq(notifications.kind, 'access_change'),
        gt(notifications.seq, since),
      ),
    )
    .orderBy(notifications.seq);
  const byUser = new Map<string, string[]>();
  for (const r of rows) byUser.set(r.userId, [...(byUser.get(r.userId) ?? []), r.detail ?? '']);
  return byUser;
}

async function lastSeq(): Promise<number> {
  const [row] = await t.db
    .select({ seq: sql<number>`coalesce(max(${notifications.seq}), 0)` })
    .from(notifications);
  return Number(row?.seq ?? 0);
}

/** System Activity as the admin sees it, newest first. */
async function systemActivity(query = ''): Promise<any[]> {
  const res = await w.as.admin.get(`/api/v1/admin/audit${query ? `?${query}` : ''}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.events;
}

describe('an admin joins a role, or adds someone to it', () => {
  it('joining Nurses: every other Active nurse is told "Admin User joined Nurses"; the row is privileged', async () => {
    const since = await lastSeq();
    const res = await w.as.admin.put(
      `/api/v1/admin/roles/${w.roles.nurses}/members/${w.chamber.admin.userId}`,
    );
    expect(res.status).toBe(200);
    const told = await accessChanges(since);
    expect(Object.fromEntries(told)).toEqual({
      [w.nurse.id]: ['Admin User joined Nurses'],
      [nurse2.id]: ['Admin User joined Nurses'],
    });

    // The nurse sees it on her Start Page: no patient, no conversation, nothing to reply to.
    const list = await asNurse2.get('/api/v1/notifications');
    expect(list.status).toBe(200);
    expect(list.body.notifications[0]).toMatchObject({
      kind: 'access_change',
      title: 'Admin User joined Nurses',
      patient: null,
      conversationId: null,
      messageId: null,
      preview: null,
      answeredBy: null,
      read: false,
    });
    expect(list.body.unreadCount).toBe(1);
    expect((await asNurse2.get('/api/v1/notifications/unread-count')).body.unreadCount).toBe(1);

    const [row] = await systemActivity('action=role.member_added');
    expect(row).toMatchObject({
      action: 'role.member_added',
      privileged: true,
      actor: { userId: w.chamber.admin.userId },
      subject: { type: 'role', id: w.roles.nurses, label: 'Nurses' },
      details: { userId: w.chamber.admin.userId, notified: 2 },
    });

    // Adding a member who is one already changes nothing and tells nobody again.
    const again = await lastSeq();
    await w.as.admin.put(`/api/v1/admin/roles/${w.roles.nurses}/members/${w.chamber.admin.userId}`);
    expect((await accessChanges(again)).size).toBe(0);
  });

  it('adding another user: "Admin User added Rita Reception to Nurses", not to the new member nor to the admin', async () => {
    const since = await lastSeq();
    const res = await w.as.admin.put(
      `/api/v1/admin/roles/${w.roles.nurses}/members/${w.receptionist.id}`,
    );
    expect(res.status).toBe(200);
    expect(Object.fromEntries(await accessChanges(since))).toEqual({
      [w.nurse.id]: ['Admin User added Rita Reception to Nurses'],
      [nurse2.id]: ['Admin User added Rita Reception to Nurses'],
    });
  });

  it('the same through User Management: a new user with Nurses, and a user given Nurses', async () => {
    let since = await lastSeq();
    const created = await w.as.admin.post('/api/v1/admin/users', {
      name: 'Sam Smith',
      email: 'sam@side-doors.example',
      roleIds: [w.roles.nurses, w.roles.reception],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const told = await accessChanges(since);
    expect(told.get(w.nurse.id)).toEqual(['Admin User added Sam Smith to Nurses']);
    // Rita is in Reception and (since the last test) Nurses: told of both.
    expect([...(told.get(w.receptionist.id) ?? [])].sort()).toEqual([
      'Admin User added Sam Smith to Nurses',
      'Admin User added Sam Smith to Reception',
    ]);
    expect(told.has(created.body.id)).toBe(false);
    expect(told.has(sleeper.id)).toBe(false);

    since = await lastSeq();
    const before = (await systemActivity('action=role.member_added')).length;
    const changed = await w.as.admin.patch(`/api/v1/admin/users/${w.nurse.id}`, {
      roleIds: [w.roles.nurses, w.roles.reception],
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(Object.fromEntries(await accessChanges(since))).toEqual({
      [w.receptionist.id]: ['Admin User added Nina Nurse to Reception'],
      [created.body.id]: ['Admin User added Nina Nurse to Reception'],
    });
    const rows = await systemActivity('action=role.member_added');
    expect(rows.length).toBe(before + 1);
    expect(rows[0]).toMatchObject({
      privileged: true,
      subject: { type: 'role', id: w.roles.reception },
      details: { userId: w.nurse.id },
    });
  });
});

describe('an admin gives an integration the internal-notes scope', () => {
  it('every Active member of every role is told once; the row is privileged', async () => {
    const since = await lastSeq();
    const res = await w.as.admin.post('/api/v1/admin/integrations', {
      name: 'Lab Sync',
      scopes: ALL,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const told = await accessChanges(since);
    const sentence = 'Admin User gave the integration Lab Sync access to internal notes';
    const members = (
      await t.db.execute<{ user_id: string }>(sql`
        select distinct rm.user_id from role_members rm
          join users u on u.chamber_id = rm.chamber_id and u.id = rm.user_id and u.active
          join roles r on r.chamber_id = rm.chamber_id and r.id = rm.role_id and r.deleted_at is null
         where rm.chamber_id = ${w.chamber.id}::uuid and rm.user_id <> ${w.chamber.admin.userId}::uuid`)
    ).rows.map((r) => r.user_id);
    expect(members.length).toBeGreaterThan(2);
    expect(Object.fromEntries(told)).toEqual(
      Object.fromEntries(members.map((id) => [id, [sentence]])),
    );
    const [row] = await systemActivity('action=integration.created');
    expect(row).toMatchObject({ privileged: true, details: { notified: members.length } });
  });

  it('without that scope nobody is told and the row is not privileged', async () => {
    const since = await lastSeq();
    const res = await w.as.admin.post('/api/v1/admin/integrations', {
      name: 'Patient Sync',
      scopes: ['system/Patient.read', 'system/Communication.read'],
    });
    expect(res.status).toBe(201);
    expect((await accessChanges(since)).size).toBe(0);
    const [row] = await systemActivity('action=integration.created');
    expect(row).toMatchObject({ privileged: false, subject: { label: 'Patient Sync' } });
  });
});

describe('System Activity', () => {
  it('filters privileged rows: role members added and integrations with internal notes, nothing else', async () => {
    const rows = await systemActivity('privileged=true');
    expect(rows.length).toBeGreaterThanOrEqual(5);
    expect(rows.every((r) => r.privileged === true)).toBe(true);
    expect(new Set(rows.map((r) => r.action))).toEqual(
      new Set(['role.member_added', 'integration.created']),
    );
    const all = await systemActivity();
    expect(all.some((r) => r.privileged === false)).toBe(true);
    // Only the admin act is privileged; a role made or a member removed is not.
    expect(all.filter((r) => r.action === 'role.created').every((r) => !r.privileged)).toBe(true);
    const csv = await w.as.admin.get('/api/v1/admin/audit.csv?privileged=true');
    expect(csv.status).toBe(200);
    expect(String(csv.body).split('\r\n')[0]).toContain('privileged');
  });

  it('refuses a malformed privileged filter with the field', async () => {
    const res = await w.as.admin.get('/api/v1/admin/audit?privileged=yes');
    expect(res.status).toBe(422);
    expect(res.body.error.field).toBe('privileged');
  });

  it('a Start Page holding only access changes names no patient: its read is not audited', async () => {
    const before = await t.db
      .select({ id: sql<number>`coalesce(max(${auditEvents.id}), 0)` })
      .from(auditEvents);
    const list = await asNurse2.get('/api/v1/notifications');
    expect(list.status).toBe(200);
    expect(list.body.notifications.length).toBeGreaterThan(0);
    expect(list.body.notifications.every((n: any) => n.kind === 'access_change')).toBe(true);
    const rows = await t.db
      .select({ action: auditEvents.action })
      .from(auditEvents)
      .where(
        and(eq(auditEvents.chamberId, w.chamber.id), gt(auditEvents.id, Number(before[0]!.id))),
      );
    expect(rows).toEqual([]);
  });
});
