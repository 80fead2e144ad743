import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import { createWorld, type World } from '../../test/factories.js';
import { pdfUpload } from '../../test/http.js';
import { preview } from './messaging.presenter.js';

let t: TestApp;
let w: World;

beforeAll(async () => {
  t = await buildTestApp();
  w = await createWorld(t);
});
afterAll(() => t?.close());

async function count(table: string): Promise<number> {
  const r = await t.db.execute<{ n: string | number }>(
    sql.raw(`select count(*) as n from ${table}`),
  );
  return Number(r.rows[0]?.n);
}

async function snapshot() {
  return {
    conversations: await count('conversations'),
    messages: await count('messages'),
    notifications: await count('notifications'),
    jobs: await count('jobs'),
  };
}

describe('a patient writes (rule 2)', () => {
  it('starts a conversation shared with the patient and the Role for new messages, and notifies its members', async () => {
    const res = await w.as.alice.post('/api/v1/portal/conversations', {
      text: 'Hello\nI need a repeat prescription.',
    });
    expect(res.status).toBe(201);
    expect(res.body.message).toMatchObject({
      text: 'Hello\nI need a repeat prescription.',
      author: { kind: 'patient', name: 'Alice Archer' },
      mine: true,
    });
    expect(res.body.message).not.toHaveProperty('roles');

    const notes = await w.as.receptionist.get('/api/v1/notifications');
    expect(notes.status).toBe(200);
    expect(notes.body.unreadCount).toBe(1);
    expect(notes.body.notifications[0]).toMatchObject({
      title: 'New message from Alice Archer',
      conversationId: res.body.conversation.id,
      read: false,
    });

    // The nurse is not in the Role for new messages: nothing for her, and the conversation is hidden.
    expect((await w.as.nurse.get('/api/v1/notifications')).body.unreadCount).toBe(0);
    expect((await w.as.nurse.get(`/api/v1/conversations/${res.body.conversation.id}`)).status).toBe(
      404,
    );
  });

  it('lists the Inbox newest first with paging', async () => {
    for (const text of ['second', 'third']) {
      expect((await w.as.alice.post('/api/v1/portal/conversations', { text })).status).toBe(201);
    }
    const page1 = await w.as.alice.get('/api/v1/portal/conversations?limit=2');
    expect(page1.status).toBe(200);
    expect(page1.body.conversations.map((c: any) => c.lastMessage.preview)).toEqual([
      'third',
      'second',
    ]);
    expect(page1.body.nextCursor).toBeTruthy();
    const page2 = await w.as.alice.get(
      `/api/v1/portal/conversations?limit=2&cursor=${page1.body.nextCursor}`,
    );
    expect(page2.body.conversations.map((c: any) => c.lastMessage.preview)).toEqual([
      'Hello I need a repeat prescription.',
    ]);
    expect(page2.body.nextCursor).toBeNull();
  });

  it('uses the Role for new messages as it is at the time of sending, and falls back to the built-in role when it is deleted', async () => {
    const settings = await w.as.admin.patch('/api/v1/admin/settings', {
      roleForNewMessagesId: w.roles.nurses,
    });
    expect(settings.status).toBe(200);
    expect(settings.body.roleForNewMessages.name).toBe('Nurses');
    const before = (await w.as.nurse.get('/api/v1/notifications')).body.unreadCount;
    const sent = await w.as.alice.post('/api/v1/portal/conversations', { text: 'For the nurses' });
    expect((await w.as.nurse.get('/api/v1/notifications')).body.unreadCount).toBe(before + 1);
    expect(
      (await w.as.nurse.get(`/api/v1/conversations/${sent.body.conversation.id}`)).status,
    ).toBe(200);

    const temp = await w.as.admin.post('/api/v1/admin/roles', { name: 'Temporary' });
    await w.as.admin.patch('/api/v1/admin/settings', { roleForNewMessagesId: temp.body.id });
    expect((await w.as.admin.delete(`/api/v1/admin/roles/${temp.body.id}`)).status).toBe(200);
    const fallback = await w.as.admin.get('/api/v1/admin/settings');
    expect(fallback.body.roleForNewMessages.name).toBe('Appointment Reminder Admin');
    const again = await w.as.alice.post('/api/v1/portal/conversations', {
      text: 'After the role was deleted',
    });
    expect(
      (await w.as.receptionist.get(`/api/v1/conversations/${again.body.conversation.id}`)).status,
    ).toBe(200);
    await w.as.admin.patch('/api/v1/admin/settings', { roleForNewMessagesId: w.roles.builtIn });
  });
});

describe('staff answer (rule 3) and who sees what (rule 4)', () => {
  let conversationId: string;

  beforeAll(async () => {
    const res = await w.as.alice.post('/api/v1/portal/conversations', {
      text: 'Question about my results',
    });
    conversationId = res.body.conversation.id;
  });

  it('shows "awaiting reply" until a staff message shared with the patient follows', async () => {
    const feed = await w.as.receptionist.get(`/api/v1/patients/${w.alice.id}/feed`);
    expect(feed.status).toBe(200);
    const line = feed.body.conversations.find((c: any) => c.id === conversationId);
    expect(line).toMatchObject({ awaitingReply: true, unreadCount: 1 });
  });

  it('keeps an internal note (exclusively with roles) from the patient, and notifies the roles but not the author', async () => {
    const nurseBefore = (await w.as.nurse.get('/api/v1/notifications')).body.unreadCount;
    const note = await w.as.receptionist.post(`/api/v1/conversations/${conversationId}/messages`, {
      text: 'Internal: please check the lab system',
      shareWithPatient: false,
      roleIds: [w.roles.nurses],
    });
    expect(note.status).toBe(201);
    expect(note.body.message).toMatchObject({
      internalNote: true,
      sharedWithPatient: false,
      roles: [{ id: w.roles.nurses, name: 'Nurses' }],
      author: { name: 'Rita Reception', role: 'Reception' },
    });
    expect((await w.as.nurse.get('/api/v1/notifications')).body.unreadCount).toBe(nurseBefore + 1);

    const seen = await w.as.alice.get(`/api/v1/portal/conversations/${conversationId}`);
    expect(seen.status).toBe(200);
    expect(seen.body.messages.map((m: any) => m.text)).toEqual(['Question about my results']);
    expect(JSON.stringify(seen.body)).not.toContain('Internal');

    const feed = await w.as.receptionist.get(`/api/v1/patients/${w.alice.id}/feed`);
    expect(feed.body.conversations.find((c: any) => c.id === conversationId).awaitingReply).toBe(
      true,
    );
  });

  it('the admin permission does not reveal a note shared with a role the admin does not hold', async () => {
    const res = await w.as.receptionist.post(`/api/v1/conversations/${conversationId}/messages`, {
      text: 'Only for nurses',
      shareWithPatient: false,
      roleIds: [w.roles.nurses],
    });
    expect(res.status).toBe(201);
    const asAdmin = await w.as.admin.get(`/api/v1/conversations/${conversationId}`);
    // The admin holds no role of this conversation's messages: it does not exist for them.
    expect(asAdmin.status).toBe(404);
    expect(asAdmin.body.error.code).toBe('not_found');
    const asNurse = await w.as.nurse.get(`/api/v1/conversations/${conversationId}`);
    expect(asNurse.body.messages.map((m: any) => m.text)).toEqual([
      'Internal: please check the lab system',
      'Only for nurses',
    ]);
  });

  it('a reply shared with the patient ends "awaiting reply", shows author name and role to the patient, and queues an email', async () => {
    await w.as.admin.patch('/api/v1/admin/settings', { sharedItemsEmailEnabled: true });
    const jobsBefore = await count('jobs');
    const res = await w.as.receptionist.post(`/api/v1/conversations/${conversationId}/messages`, {
      text: 'Your results are normal.',
      shareWithPatient: true,
      roleIds: [w.roles.builtIn],
    });
    expect(res.status).toBe(201);
    expect(await count('jobs')).toBe(jobsBefore + 1);
    const seen = await w.as.alice.get(`/api/v1/portal/conversations/${conversationId}`);
    expect(seen.body.messages.at(-1)).toMatchObject({
      text: 'Your results are normal.',
      author: { kind: 'staff', name: 'Rita Reception', role: 'Reception' },
      mine: false,
    });
    const inbox = await w.as.alice.get('/api/v1/portal/conversations');
    expect(inbox.body.conversations[0]).toMatchObject({ id: conversationId, unreadCount: 1 });
    expect(inbox.body.conversations[0]).not.toHaveProperty('awaitingReply');
    const feed = await w.as.receptionist.get(`/api/v1/patients/${w.alice.id}/feed`);
    expect(feed.body.conversations.find((c: any) => c.id === conversationId).awaitingReply).toBe(
      false,
    );

    expect(
      (await w.as.alice.post(`/api/v1/portal/conversations/${conversationId}/read`)).status,
    ).toBe(200);
    const after = await w.as.alice.get('/api/v1/portal/conversations');
    expect(after.body.conversations[0].unreadCount).toBe(0);
  });

  it('exclusively with the patient: the patient and the author see it, no role does', async () => {
    const res = await w.as.nurse.post(`/api/v1/conversations/${conversationId}/messages`, {
      text: 'Just for you, Alice',
      shareWithPatient: true,
      roleIds: [],
    });
    expect(res.status).toBe(201);
    const asReception = await w.as.receptionist.get(`/api/v1/conversations/${conversationId}`);
    expect(asReception.body.messages.map((m: any) => m.text)).not.toContain('Just for you, Alice');
    const asNurse = await w.as.nurse.get(`/api/v1/conversations/${conversationId}`);
    expect(asNurse.body.messages.at(-1)).toMatchObject({ text: 'Just for you, Alice', mine: true });
    const asAlice = await w.as.alice.get(`/api/v1/portal/conversations/${conversationId}`);
    expect(asAlice.body.messages.at(-1).text).toBe('Just for you, Alice');
  });

  it('staff start a conversation with a patient', async () => {
    const res = await w.as.receptionist.post(`/api/v1/patients/${w.bob.id}/conversations`, {
      text: 'Please book your check-up.',
      shareWithPatient: true,
      roleIds: [w.roles.reception],
    });
    expect(res.status).toBe(201);
    const inbox = await w.as.bob.get('/api/v1/portal/conversations');
    expect(inbox.body.conversations[0]).toMatchObject({
      id: res.body.conversation.id,
      unreadCount: 1,
      lastMessage: { preview: 'Please book your check-up.' },
    });
  });

  it('replies straight from a notification, marking it read', async () => {
    const sent = await w.as.alice.post('/api/v1/portal/conversations', {
      text: 'Reply from notification please',
    });
    const list = await w.as.receptionist.get('/api/v1/notifications?unread=true');
    const n = list.body.notifications.find(
      (x: any) => x.conversationId === sent.body.conversation.id,
    );
    const res = await w.as.receptionist.post(`/api/v1/notifications/${n.id}/reply`, {
      text: 'Answered',
      shareWithPatient: true,
      roleIds: [],
    });
    expect(res.status).toBe(201);
    const again = await w.as.receptionist.get('/api/v1/notifications');
    expect(again.body.notifications.find((x: any) => x.id === n.id).read).toBe(true);
  });
});

describe('list previews', () => {
  it('preview a 5,000-character message in the Inbox, the Feed and Messages as its whole text would', async () => {
    const words = Array.from({ length: 900 }, (_, i) => `word${i}`).join('  \n ');
    const text = `Long   letter: ${words}`.slice(0, 5000);
    const sent = await w.as.bob.post('/api/v1/portal/conversations', { text });
    expect(sent.status).toBe(201);
    const id = sent.body.conversation.id;
    const expected = preview(text);
    expect(expected).toMatch(/^Long letter: word0 word1 .*…$/);
    const inbox = await w.as.bob.get('/api/v1/portal/conversations');
    expect(inbox.body.conversations.find((c: any) => c.id === id).lastMessage.preview).toBe(
      expected,
    );
    const feed = await w.as.receptionist.get(`/api/v1/patients/${w.bob.id}/feed`);
    expect(feed.body.conversations.find((c: any) => c.id === id).lastMessage.preview).toBe(
      expected,
    );
    const team = await w.as.receptionist.get('/api/v1/inbox?view=open&limit=100');
    expect(team.body.conversations.find((c: any) => c.id === id).lastMessage.preview).toBe(
      expected,
    );
    // The conversation itself still gives the whole text.
    const whole = await w.as.receptionist.get(`/api/v1/conversations/${id}`);
    expect(whole.body.messages.at(-1).text).toBe(text);
  });
});

describe('refusals change nothing', () => {
  it('refuses bad text with a code and the field', async () => {
    const before = await snapshot();
    for (const [body, code] of [
      [{ text: '' }, 'text_empty'],
      [{ text: ' \n\t ' }, 'text_empty'],
      [{ text: 'x'.repeat(5001) }, 'text_too_long'],
      [{ text: 42 }, 'validation_failed'],
      [{}, 'validation_failed'],
      [{ text: 'hi', extra: 1 }, 'validation_failed'],
    ] as const) {
      const res = await w.as.alice.post('/api/v1/portal/conversations', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.error).toMatchObject({ status: 422, code, field: expect.any(String) });
    }
    const res = await w.as.alice.call(
      'POST',
      '/api/v1/portal/conversations',
      '{"text": "unterminated',
      { 'content-type': 'application/json' },
    );
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('malformed_json');
    expect(await snapshot()).toEqual(before);
  });

  it('accepts exactly 5,000 characters', async () => {
    const res = await w.as.alice.post('/api/v1/portal/conversations', { text: 'é'.repeat(5000) });
    expect(res.status).toBe(201);
  });

  it('answers 404 for another patient’s conversation, a missing one, and a malformed id', async () => {
    const bobs = await w.as.bob.post('/api/v1/portal/conversations', { text: 'Bob private' });
    const before = await snapshot();
    for (const id of [
      bobs.body.conversation.id,
      '00000000-0000-4000-8000-000000000000',
      'not-an-id',
    ]) {
      const read = await w.as.alice.get(`/api/v1/portal/conversations/${id}`);
      expect(read.status).toBe(404);
      expect(read.body.error.code).toBe('not_found');
      const reply = await w.as.alice.post(`/api/v1/portal/conversations/${id}/messages`, {
        text: 'sneaky',
      });
      expect(reply.status).toBe(404);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('refuses an empty audience and roles that are not the chamber’s', async () => {
    const sent = await w.as.alice.post('/api/v1/portal/conversations', { text: 'audience test' });
    const before = await snapshot();
    const empty = await w.as.receptionist.post(
      `/api/v1/conversations/${sent.body.conversation.id}/messages`,
      { text: 'x', shareWithPatient: false, roleIds: [] },
    );
    expect(empty.status).toBe(422);
    expect(empty.body.error).toMatchObject({ code: 'audience_empty', field: 'roleIds' });
    const foreign = await w.as.receptionist.post(
      `/api/v1/conversations/${sent.body.conversation.id}/messages`,
      { text: 'x', shareWithPatient: true, roleIds: ['00000000-0000-4000-8000-000000000001'] },
    );
    expect(foreign.status).toBe(422);
    expect(foreign.body.error).toMatchObject({ code: 'role_not_found', field: 'roleIds' });
    expect(await snapshot()).toEqual(before);
  });

  it('needs a session', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/portal/conversations' });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthenticated');
    // A staff cookie is no patient session.
    expect((await w.as.receptionist.get('/api/v1/portal/conversations')).status).toBe(401);
    expect((await w.as.alice.get(`/api/v1/patients/${w.alice.id}/feed`)).status).toBe(401);
  });
});

describe('Idempotency-Key', () => {
  it('a retry returns the first result and stores nothing twice', async () => {
    const key = 'retry-key-1';
    const first = await w.as.alice.post(
      '/api/v1/portal/conversations',
      { text: 'Once only' },
      { 'idempotency-key': key },
    );
    expect(first.status).toBe(201);
    const before = await snapshot();
    const second = await w.as.alice.post(
      '/api/v1/portal/conversations',
      { text: 'Once only' },
      { 'idempotency-key': key },
    );
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(await snapshot()).toEqual(before);
    const other = await w.as.alice.post(
      '/api/v1/portal/conversations',
      { text: 'Different' },
      { 'idempotency-key': key },
    );
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    expect(await snapshot()).toEqual(before);
  });

  it('a retry of a message with a file returns the first answer, though the file is attached by then', async () => {
    expect(
      (await w.as.admin.patch('/api/v1/admin/settings', { patientAttachmentsEnabled: true }))
        .status,
    ).toBe(200);
    const file = pdfUpload('r.pdf');
    const upload = await t.app.inject({
      method: 'POST',
      url: '/api/v1/portal/documents',
      headers: { cookie: w.as.alice.cookie!, ...file.headers },
      payload: file.payload,
    });
    expect(upload.statusCode, upload.body).toBe(201);
    const send = () =>
      w.as.alice.post(
        '/api/v1/portal/conversations',
        { text: 'With my letter', attachmentIds: [upload.json().id] },
        { 'idempotency-key': 'retry-with-file' },
      );
    const first = await send();
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.message.attachments).toHaveLength(1);
    const before = await snapshot();
    const again = await send();
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(await snapshot()).toEqual(before);
  });

  it('concurrent retries store one message', async () => {
    const before = await count('messages');
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        w.as.bob.post(
          '/api/v1/portal/conversations',
          { text: 'Concurrent' },
          { 'idempotency-key': 'concurrent-1' },
        ),
      ),
    );
    const ok = results.filter((r) => r.status === 201);
    expect(ok.length).toBeGreaterThan(0);
    for (const r of results) expect([201, 409]).toContain(r.status);
    expect(new Set(ok.map((r) => r.body.message.id)).size).toBe(1);
    expect(await count('messages')).toBe(before + 1);
  });
});
