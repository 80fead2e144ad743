import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPIC_NAME_MAX } from '../../../common/contract/topics.js';
import {
  createChamber,
  createRole,
  createWorld,
  staffClient,
  type World,
} from '../../test/factories.js';
import type { Client } from '../../test/http.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';

/*
 * Admin > Configuration > Online Portal > Message Topics (SPEC rule 9): New Topic with
 * Topic name and Route to role, active or not; what the portal offers; audited.
 */

let t: TestApp;
let w: World;

beforeAll(async () => {
  t = await buildTestApp();
  w = await createWorld(t);
});
afterAll(() => t?.close());

/** Every stored topic of the chamber (deleted ones too), and the audit rows about topics. */
async function snapshot(chamberId = w.chamber.id) {
  const topics = await t.db.execute(sql`
    select id, name, role_id, active, deleted_at from topics
     where chamber_id = ${chamberId}::uuid order by id`);
  const audits = await t.db.execute<{ n: string | number }>(sql`
    select count(*) as n from audit_events
     where chamber_id = ${chamberId}::uuid and subject_type = 'topic'`);
  return { topics: topics.rows, audits: Number(audits.rows[0]?.n) };
}

async function create(body: Record<string, unknown>, as: Client = w.as.admin) {
  const res = await as.post('/api/v1/admin/topics', body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as {
    id: string;
    name: string;
    role: { id: string; name: string };
    roleDeleted: boolean;
    active: boolean;
  };
}

const offered = async (c: Client = w.as.alice) => {
  const res = await c.get('/api/v1/portal/topics');
  expect(res.status).toBe(200);
  return res.body.topics as { id: string; name: string }[];
};

const adminList = async () => {
  const res = await w.as.admin.get('/api/v1/admin/topics');
  expect(res.status).toBe(200);
  return res.body.topics as { id: string; name: string; active: boolean; roleDeleted: boolean }[];
};

describe('Message Topics', () => {
  it('New Topic: 201 with its role; admins list every topic by name, the portal offers the active ones', async () => {
    expect(await offered()).toEqual([]);
    const results = await create({ name: '  Test results ', roleId: w.roles.nurses });
    expect(results).toEqual({
      id: expect.any(String),
      name: 'Test results',
      role: { id: w.roles.nurses, name: 'Nurses' },
      roleDeleted: false,
      active: true,
    });
    const later = await create({ name: 'appointments', roleId: w.roles.reception, active: false });
    expect(later).toMatchObject({ active: false, role: { id: w.roles.reception } });
    expect((await adminList()).map((x) => [x.name, x.active])).toEqual([
      ['appointments', false],
      ['Test results', true],
    ]);
    // The portal: id and name only, never the role a topic goes to.
    expect(await offered()).toEqual([{ id: results.id, name: 'Test results' }]);
    expect(await offered(w.as.bob)).toEqual([{ id: results.id, name: 'Test results' }]);
  });

  it('a name already taken (in any case): 409 topic_name_taken on name, nothing stored; a deleted topic’s name is free again', async () => {
    const taken = await create({ name: 'Prescriptions', roleId: w.roles.nurses });
    const other = await create({ name: 'Repeat prescriptions', roleId: w.roles.nurses });
    const before = await snapshot();
    for (const name of ['Prescriptions', 'PRESCRIPTIONS', '  prescriptions  ']) {
      const res = await w.as.admin.post('/api/v1/admin/topics', { name, roleId: w.roles.builtIn });
      expect(res.status, name).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'topic_name_taken', field: 'name' });
    }
    const renamed = await w.as.admin.patch(`/api/v1/admin/topics/${other.id}`, {
      name: 'prescriptions',
    });
    expect(renamed.status).toBe(409);
    expect(renamed.body.error).toMatchObject({ code: 'topic_name_taken', field: 'name' });
    expect(await snapshot()).toEqual(before);
    // Its own name, in another case, is not "taken".
    const recased = await w.as.admin.patch(`/api/v1/admin/topics/${taken.id}`, {
      name: 'PRESCRIPTIONS',
    });
    expect(recased.status).toBe(200);
    expect(recased.body.name).toBe('PRESCRIPTIONS');
    expect((await w.as.admin.delete(`/api/v1/admin/topics/${taken.id}`)).status).toBe(200);
    expect((await create({ name: 'Prescriptions', roleId: w.roles.nurses })).id).not.toBe(taken.id);
  });

  it('an unknown, deleted or other chamber’s role: 422 role_not_found on roleId, nothing stored', async () => {
    const c2 = await createChamber(t);
    const theirs = await createRole(t, c2, 'Their role');
    const gone = await createRole(t, w.chamber, 'Gone role');
    expect((await w.as.admin.delete(`/api/v1/admin/roles/${gone}`)).status).toBe(200);
    const topic = await create({ name: 'Routed', roleId: w.roles.nurses });
    const before = await snapshot();
    for (const roleId of [randomUUID(), theirs, gone, c2.builtInRoleId]) {
      const made = await w.as.admin.post('/api/v1/admin/topics', { name: 'Elsewhere', roleId });
      expect(made.status, roleId).toBe(422);
      expect(made.body.error).toMatchObject({ code: 'role_not_found', field: 'roleId' });
      const moved = await w.as.admin.patch(`/api/v1/admin/topics/${topic.id}`, { roleId });
      expect(moved.status, roleId).toBe(422);
      expect(moved.body.error).toMatchObject({ code: 'role_not_found', field: 'roleId' });
    }
    expect(await snapshot()).toEqual(before);
  });

  it('a name of 0 or 101 characters, blank, missing, or a body with unknown fields: 422 with the field, nothing stored; 100 characters is fine', async () => {
    const topic = await create({ name: 'Valid', roleId: w.roles.nurses });
    const before = await snapshot();
    const cases: [Record<string, unknown>, string][] = [
      [{ name: '', roleId: w.roles.nurses }, 'name'],
      [{ name: '   ', roleId: w.roles.nurses }, 'name'],
      [{ name: 'x'.repeat(TOPIC_NAME_MAX + 1), roleId: w.roles.nurses }, 'name'],
      [{ roleId: w.roles.nurses }, 'name'],
      [{ name: 'No role' }, 'roleId'],
      [{ name: 'Bad role', roleId: 'not-a-uuid' }, 'roleId'],
      [{ name: 'Colour', roleId: w.roles.nurses, colour: 'red' }, 'colour'],
    ];
    for (const [body, field] of cases) {
      const res = await w.as.admin.post('/api/v1/admin/topics', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.error, JSON.stringify(body)).toMatchObject({
        code: 'validation_failed',
        field,
      });
    }
    for (const [body, field] of [
      [{ name: '' }, 'name'],
      [{ name: 'x'.repeat(TOPIC_NAME_MAX + 1) }, 'name'],
      [{ active: 'yes' }, 'active'],
    ] as const) {
      const res = await w.as.admin.patch(`/api/v1/admin/topics/${topic.id}`, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.error.field, JSON.stringify(body)).toBe(field);
    }
    // A change must change something.
    expect((await w.as.admin.patch(`/api/v1/admin/topics/${topic.id}`, {})).status).toBe(422);
    expect(await snapshot()).toEqual(before);
    const longest = await create({ name: 'x'.repeat(TOPIC_NAME_MAX), roleId: w.roles.nurses });
    expect(longest.name).toHaveLength(TOPIC_NAME_MAX);
  });

  it('staff without the admin permission: 403 admin_required on every topic route, nothing changed', async () => {
    const topic = await create({ name: 'Admins only', roleId: w.roles.nurses });
    const before = await snapshot();
    for (const c of [w.as.receptionist, w.as.nurse]) {
      for (const res of [
        await c.get('/api/v1/admin/topics'),
        await c.post('/api/v1/admin/topics', { name: 'Mine', roleId: w.roles.nurses }),
        await c.patch(`/api/v1/admin/topics/${topic.id}`, { active: false }),
        await c.delete(`/api/v1/admin/topics/${topic.id}`),
      ]) {
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe('admin_required');
      }
    }
    // The portal's list is for patients: a staff session gets 401, as on every portal route.
    expect((await w.as.receptionist.get('/api/v1/portal/topics')).status).toBe(401);
    expect(await snapshot()).toEqual(before);
  });

  it('made inactive: no longer offered, refused for a new conversation; its conversations keep it and still go to its role', async () => {
    const topic = await create({ name: 'Vaccinations', roleId: w.roles.nurses });
    const sent = await w.as.alice.post('/api/v1/portal/conversations', {
      text: 'Flu jab?',
      topicId: topic.id,
    });
    expect(sent.status).toBe(201);
    const conversationId = sent.body.conversation.id as string;
    const off = await w.as.admin.patch(`/api/v1/admin/topics/${topic.id}`, { active: false });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ id: topic.id, active: false });
    expect((await offered()).map((x) => x.id)).not.toContain(topic.id);
    expect((await adminList()).find((x) => x.id === topic.id)?.active).toBe(false);
    const refused = await w.as.alice.post('/api/v1/portal/conversations', {
      text: 'Again',
      topicId: topic.id,
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'topic_not_found', field: 'topicId' });
    // The conversation keeps its topic, for the patient and for staff, and replies still reach
    // the topic's role.
    const own = await w.as.alice.get(`/api/v1/portal/conversations/${conversationId}`);
    expect(own.body.conversation.topic).toEqual({ id: topic.id, name: 'Vaccinations' });
    const staff = await w.as.nurse.get(`/api/v1/conversations/${conversationId}`);
    expect(staff.body.conversation.topic).toEqual({ id: topic.id, name: 'Vaccinations' });
    const reply = await w.as.alice.post(`/api/v1/portal/conversations/${conversationId}/messages`, {
      text: 'Still interested',
    });
    expect(reply.status).toBe(201);
    const seen = await w.as.nurse.get(`/api/v1/conversations/${conversationId}`);
    expect(seen.body.messages.map((m: { id: string }) => m.id)).toContain(reply.body.message.id);
    // Made active again: offered again.
    expect(
      (await w.as.admin.patch(`/api/v1/admin/topics/${topic.id}`, { active: true })).body.active,
    ).toBe(true);
    expect((await offered()).map((x) => x.id)).toContain(topic.id);
  });

  it('routed to another role: new conversations go there', async () => {
    const topic = await create({ name: 'Billing', roleId: w.roles.nurses });
    const moved = await w.as.admin.patch(`/api/v1/admin/topics/${topic.id}`, {
      roleId: w.roles.reception,
    });
    expect(moved.body.role).toEqual({ id: w.roles.reception, name: 'Reception' });
    const sent = await w.as.alice.post('/api/v1/portal/conversations', {
      text: 'My invoice',
      topicId: topic.id,
    });
    expect(sent.status).toBe(201);
    const id = sent.body.conversation.id;
    expect((await w.as.receptionist.get(`/api/v1/conversations/${id}`)).status).toBe(200);
    expect((await w.as.nurse.get(`/api/v1/conversations/${id}`)).status).toBe(404);
  });

  it('deleted: gone from both lists, its conversations keep it; it answers 404 after, as a missing one', async () => {
    const topic = await create({ name: 'Travel', roleId: w.roles.nurses });
    const sent = await w.as.alice.post('/api/v1/portal/conversations', {
      text: 'Abroad next month',
      topicId: topic.id,
    });
    expect(sent.status).toBe(201);
    const res = await w.as.admin.delete(`/api/v1/admin/topics/${topic.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true });
    expect((await offered()).map((x) => x.id)).not.toContain(topic.id);
    expect((await adminList()).map((x) => x.id)).not.toContain(topic.id);
    const own = await w.as.alice.get(`/api/v1/portal/conversations/${sent.body.conversation.id}`);
    expect(own.body.conversation.topic).toEqual({ id: topic.id, name: 'Travel' });
    const inbox = await w.as.nurse.get(`/api/v1/inbox?topicId=${topic.id}`);
    expect(inbox.body.conversations.map((c: { id: string }) => c.id)).toEqual([
      sent.body.conversation.id,
    ]);
    const missing = await w.as.admin.delete(`/api/v1/admin/topics/${randomUUID()}`);
    expect(missing.status).toBe(404);
    for (const again of [
      await w.as.admin.delete(`/api/v1/admin/topics/${topic.id}`),
      await w.as.admin.patch(`/api/v1/admin/topics/${topic.id}`, { active: true }),
    ]) {
      expect(again.status).toBe(404);
      expect(again.body).toEqual(missing.body);
    }
  });

  it('a topic whose role was deleted says so to admins', async () => {
    const temp = await createRole(t, w.chamber, 'Short-lived');
    const topic = await create({ name: 'Short-lived topic', roleId: temp });
    expect((await w.as.admin.delete(`/api/v1/admin/roles/${temp}`)).status).toBe(200);
    expect((await adminList()).find((x) => x.id === topic.id)).toMatchObject({
      roleDeleted: true,
      role: { id: temp, name: 'Short-lived' },
    });
  });

  it('another chamber’s admin neither lists nor changes these topics', async () => {
    const topic = await create({ name: 'Ours', roleId: w.roles.nurses });
    const c2 = await createChamber(t);
    const theirAdmin = await staffClient(t, c2, c2.admin.email);
    const before = await snapshot();
    expect((await theirAdmin.get('/api/v1/admin/topics')).body.topics).toEqual([]);
    for (const res of [
      await theirAdmin.patch(`/api/v1/admin/topics/${topic.id}`, { name: 'Theirs now' }),
      await theirAdmin.delete(`/api/v1/admin/topics/${topic.id}`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect(await snapshot()).toEqual(before);
  });

  it('every change is audited: topic.created, topic.updated and topic.deleted, with who and what', async () => {
    const topic = await create({ name: 'Audited', roleId: w.roles.nurses });
    await w.as.admin.patch(`/api/v1/admin/topics/${topic.id}`, {
      name: 'Audited topic',
      roleId: w.roles.reception,
      active: false,
    });
    await w.as.admin.delete(`/api/v1/admin/topics/${topic.id}`);
    const rows = await t.db.execute<{
      action: string;
      actor_user_id: string;
      details: Record<string, unknown> | string;
    }>(sql`
      select action, actor_user_id::text as actor_user_id, details from audit_events
       where subject_type = 'topic' and subject_id = ${topic.id} order by id`);
    const parsed = rows.rows.map((r) => ({
      ...r,
      details: typeof r.details === 'string' ? JSON.parse(r.details) : r.details,
    }));
    expect(parsed).toEqual([
      {
        action: 'topic.created',
        actor_user_id: w.chamber.admin.userId,
        details: { name: 'Audited', roleId: w.roles.nurses, active: true },
      },
      {
        action: 'topic.updated',
        actor_user_id: w.chamber.admin.userId,
        details: { from: 'Audited', to: 'Audited topic', roleId: w.roles.reception, active: false },
      },
      {
        action: 'topic.deleted',
        actor_user_id: w.chamber.admin.userId,
        details: { name: 'Audited topic' },
      },
    ]);
    // System Activity shows them to admins.
    const activity = await w.as.admin.get('/api/v1/admin/audit');
    expect(activity.status).toBe(200);
    expect(JSON.stringify(activity.body)).toContain('topic.deleted');
  });
});
