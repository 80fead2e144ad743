import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff, createWorld, type World } from '../../test/factories.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';

// Assign (rule 10) offers only users who can see the conversation; the Messages page's topic
// filter reads the chamber's topics without the admin permission.

let t: TestApp;
let w: World;

beforeAll(async () => {
  t = await buildTestApp();
  w = await createWorld(t);
});
afterAll(() => t?.close());

const key = () => ({ 'idempotency-key': randomUUID() });

describe('GET /api/v1/conversations/:id/assignees', () => {
  it('lists the Active users who can see the conversation, and only them', async () => {
    const sent = await w.as.alice.post(
      '/api/v1/portal/conversations',
      { text: 'Who can take this?' },
      key(),
    );
    const id = sent.body.conversation.id as string;
    // A second member of the built-in role, then made Inactive: no longer offered.
    const leaver = await createStaff(t, w.chamber, {
      name: 'Lee Leaver',
      roleIds: [w.roles.builtIn],
    });
    const names = async () =>
      (await w.as.receptionist.get(`/api/v1/conversations/${id}/assignees`)).body.users.map(
        (u: { name: string }) => u.name,
      );
    expect(await names()).toEqual(['Lee Leaver', 'Rita Reception']);
    expect(
      (await w.as.admin.patch(`/api/v1/admin/users/${leaver.id}`, { active: false })).status,
    ).toBe(200);
    expect(await names()).toEqual(['Rita Reception']);

    // A note shared with Nurses makes the nurse one who can see it.
    const note = await w.as.receptionist.post(
      `/api/v1/conversations/${id}/messages`,
      { text: 'Nurses, please look', shareWithPatient: false, roleIds: [w.roles.nurses] },
      key(),
    );
    expect(note.status).toBe(201);
    expect(await names()).toEqual(['Nina Nurse', 'Rita Reception']);

    // Each one offered can be assigned; the admin outside its roles cannot see it at all.
    const assigned = await w.as.receptionist.patch(`/api/v1/conversations/${id}`, {
      assigneeId: w.nurse.id,
      expectedAssigneeId: null,
    });
    expect(assigned.status).toBe(200);
    expect(assigned.body.assignee).toEqual({ id: w.nurse.id, name: 'Nina Nurse' });
    const admin = await w.as.admin.get(`/api/v1/conversations/${id}/assignees`);
    expect(admin.status).toBe(404);
    expect(admin.body.error.code).toBe('not_found');
  });

  it('answers 404 for a conversation the user cannot see, as for a missing one', async () => {
    const sent = await w.as.alice.post('/api/v1/portal/conversations', { text: 'Private' }, key());
    const hidden = await w.as.nurse.get(
      `/api/v1/conversations/${sent.body.conversation.id}/assignees`,
    );
    const missing = await w.as.nurse.get(`/api/v1/conversations/${randomUUID()}/assignees`);
    expect([hidden.status, missing.status]).toEqual([404, 404]);
    expect(hidden.body).toEqual(missing.body);
  });
});

describe('GET /api/v1/topics', () => {
  it("gives staff the chamber's topics, inactive ones too, and never another chamber's", async () => {
    const made = await w.as.admin.post('/api/v1/admin/topics', {
      name: 'Repeat prescriptions',
      roleId: w.roles.nurses,
      active: false,
    });
    expect(made.status).toBe(201);
    const list = await w.as.nurse.get('/api/v1/topics');
    expect(list.status).toBe(200);
    expect(list.body.topics).toContainEqual({
      id: made.body.id,
      name: 'Repeat prescriptions',
      role: { id: w.roles.nurses, name: 'Nurses' },
      roleDeleted: false,
      active: false,
    });
    const other = await createWorld(t);
    const theirs = await other.as.nurse.get('/api/v1/topics');
    expect(theirs.body.topics.map((x: { id: string }) => x.id)).not.toContain(made.body.id);
    expect((await w.as.alice.get('/api/v1/topics')).status).toBe(401);
  });
});
