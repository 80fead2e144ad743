import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../test/http.js';
import {
  createChamber,
  createRole,
  createStaff,
  createWorld,
  staffClient,
  type World,
} from '../../test/factories.js';
import { openEventStream, type EventStream } from '../../test/sse.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';

/*
 * SPEC Part 2 rules 9 to 11 through the HTTP API: topics and subjects route a patient's
 * conversation, the team inbox lists conversations (views, filters, order, paging, actions),
 * and no double answers (afterMessageId, expectedAssigneeId, "is replying…"). Each describe
 * makes its own chamber, so every list it reads holds exactly what it made.
 */

let t: TestApp;
let base: string;
const streams: EventStream[] = [];

// Live events must come from NOTIFY, not from the slow safety-net poll.
beforeAll(async () => {
  t = await buildTestApp({ config: { eventsHeartbeatMs: 150, eventsPollMs: 300_000 } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  streams.forEach((s) => s.close());
  await t?.close();
});

/** An event stream of a signed-in client, from now on or after a Last-Event-ID. */
function stream(c: Client, lastEventId?: string): EventStream {
  const s = openEventStream(`${base}/api/v1/events`, {
    cookie: c.cookie!,
    ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
  });
  streams.push(s);
  return s;
}

/** Waits until a stream without Last-Event-ID is subscribed (its first heartbeat has passed). */
async function subscribed(...list: EventStream[]): Promise<void> {
  for (const s of list) await s.waitFor(() => s.status === 200);
  await new Promise((r) => setTimeout(r, 300));
}

const settle = () => new Promise((r) => setTimeout(r, 300));

/** The newest id of the chamber's event log, to open streams from a known position. */
async function newestEventId(chamberId: string): Promise<string> {
  const r = await t.db.execute<{ seq: string | number | null }>(
    sql`select max(seq) as seq from live_events where chamber_id = ${chamberId}::uuid`,
  );
  return String(r.rows[0]?.seq ?? 0);
}

const updates = (s: EventStream) => s.events.filter((e) => e.event === 'conversation.updated');
const typings = (s: EventStream) => s.events.filter((e) => e.event === 'conversation.typing');
async function count(table: string, chamberId: string): Promise<number> {
  const r = await t.db.execute<{ n: string | number }>(
    sql`select count(*) as n from ${sql.identifier(table)} where chamber_id = ${chamberId}::uuid`,
  );
  return Number(r.rows[0]?.n);
}

/** Row counts of everything a send or a change writes, in one chamber. */
async function counts(chamberId: string) {
  const out: Record<string, number> = {};
  for (const table of [
    'conversations',
    'messages',
    'notifications',
    'live_events',
    'audit_events',
    'jobs',
    'topics',
  ])
    out[table] = await count(table, chamberId);
  return out;
}

/** The roles a stored message is shared with, sorted. */
async function rolesOf(messageId: string): Promise<string[]> {
  const r = await t.db.execute<{ role_id: string }>(
    sql`select r::text as role_id from messages, unnest(role_ids) r where id = ${messageId}::uuid order by 1`,
  );
  return r.rows.map((x) => x.role_id);
}

/** The audit rows about a conversation: action and who acted. */
async function auditsOf(conversationId: string) {
  const r = await t.db.execute<{
    action: string;
    actor_user_id: string | null;
    patient_id: string | null;
    details: unknown;
  }>(sql`
    select action, actor_user_id::text as actor_user_id, patient_id::text as patient_id, details
      from audit_events
     where subject_type = 'conversation' and subject_id = ${conversationId}
       and action not in ('conversation.viewed', 'conversation.created')
     order by id`);
  return r.rows;
}

/** The stored state of a conversation. */
async function stored(conversationId: string) {
  const r = await t.db.execute<{
    status: string;
    assignee_user_id: string | null;
    awaiting_reply: boolean;
    red_flag: boolean;
  }>(sql`
    select status, assignee_user_id::text as assignee_user_id, awaiting_reply, red_flag
      from conversations where id = ${conversationId}::uuid`);
  return r.rows[0]!;
}

/** Sets what later issues compute (red flag, reply-by) straight in the database. */
async function setConversation(
  conversationId: string,
  change: { redFlag?: boolean; replyBy?: Date | null },
) {
  if (change.redFlag !== undefined)
    await t.db.execute(
      sql`update conversations set red_flag = ${change.redFlag} where id = ${conversationId}::uuid`,
    );
  if (change.replyBy !== undefined)
    await t.db.execute(
      sql`update conversations set reply_by = ${change.replyBy?.toISOString() ?? null}::timestamptz where id = ${conversationId}::uuid`,
    );
}

interface InboxRow {
  id: string;
  patient: { id: string; name: string };
  subject: string | null;
  topic: { id: string; name: string } | null;
  status: 'open' | 'closed';
  awaitingReply: boolean;
  overdue: boolean;
  redFlag: boolean;
  replyBy: string | null;
  assignee: { id: string; name: string } | null;
  answeredBy: { id: string; name: string } | null;
  lastMessage: {
    id: string;
    author: { kind: string; name: string };
    preview: string;
    internalNote: boolean;
  };
  unread: number;
}

/** Every row of a team inbox query, page by page, each row once. */
async function inbox(c: Client, query = '', limit = 100): Promise<InboxRow[]> {
  const rows: InboxRow[] = [];
  let cursor: string | null = null;
  do {
    const url: string = `/api/v1/inbox?limit=${limit}${query ? `&${query}` : ''}${cursor ? `&cursor=${cursor}` : ''}`;
    const res = await c.get(url);
    expect(res.status, `${url}: ${JSON.stringify(res.body)}`).toBe(200);
    rows.push(...res.body.conversations);
    cursor = res.body.nextCursor;
  } while (cursor);
  expect(new Set(rows.map((r) => r.id)).size, 'each row once').toBe(rows.length);
  return rows;
}

const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

/** A patient's new conversation; answers its conversation and message ids. */
async function patientStarts(c: Client, body: Record<string, unknown>) {
  const res = await c.post('/api/v1/portal/conversations', body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.conversation.id as string, messageId: res.body.message.id as string };
}

async function patientReplies(c: Client, conversationId: string, text: string) {
  const res = await c.post(`/api/v1/portal/conversations/${conversationId}/messages`, { text });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.message.id as string;
}

async function staffReplies(
  c: Client,
  conversationId: string,
  body: {
    text: string;
    shareWithPatient: boolean;
    roleIds: string[];
    close?: boolean;
    afterMessageId?: string;
  },
) {
  const res = await c.post(`/api/v1/conversations/${conversationId}/messages`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.message.id as string;
}

async function change(c: Client, conversationId: string, body: Record<string, unknown>) {
  const res = await c.patch(`/api/v1/conversations/${conversationId}`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

async function newTopic(w: World, name: string, roleId: string) {
  const res = await w.as.admin.post('/api/v1/admin/topics', { name, roleId });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

/** The user's notification items of a conversation. */
async function notificationsOf(c: Client, conversationId: string) {
  const res = await c.get('/api/v1/notifications');
  expect(res.status).toBe(200);
  return (res.body.notifications as { conversationId: string }[]).filter(
    (n) => n.conversationId === conversationId,
  ) as {
    id: string;
    title: string;
    count: number;
    read: boolean;
    preview: string | null;
    answeredBy: { id: string; name: string } | null;
    conversationId: string;
  }[];
}

describe('rule 9: topics and subjects route a patient’s conversation', () => {
  let w: World;
  let prescriptions: string;

  beforeAll(async () => {
    w = await createWorld(t);
    prescriptions = await newTopic(w, 'Prescriptions', w.roles.nurses);
  });

  it('with a topic, the conversation goes to the topic’s role: its members are notified, live, and nobody else', async () => {
    const nurse = stream(w.as.nurse);
    const reception = stream(w.as.receptionist);
    await subscribed(nurse, reception);
    const sent = await patientStarts(w.as.alice, {
      text: 'I need my repeat prescription',
      topicId: prescriptions,
      subject: '  Repeat   prescription ',
    });
    expect(await rolesOf(sent.messageId)).toEqual([w.roles.nurses]);
    const [event] = (
      await nurse.waitFor((e) => e.some((x) => x.data?.messageId === sent.messageId))
    ).filter((x) => x.event === 'message');
    expect(event!.data).toMatchObject({
      conversationId: sent.id,
      notification: { title: 'New message from Alice Archer', count: 1 },
    });
    expect(await notificationsOf(w.as.nurse, sent.id)).toHaveLength(1);
    // Reception (the Role for new messages' members) neither sees nor hears of it.
    expect(await notificationsOf(w.as.receptionist, sent.id)).toEqual([]);
    expect((await w.as.receptionist.get(`/api/v1/conversations/${sent.id}`)).status).toBe(404);
    await settle();
    expect(reception.messages().map((e) => e.data.messageId)).not.toContain(sent.messageId);
    // The topic and the subject (whitespace folded) as staff and the patient see them.
    const staff = await w.as.nurse.get(`/api/v1/conversations/${sent.id}`);
    expect(staff.body.conversation).toMatchObject({
      topic: { id: prescriptions, name: 'Prescriptions' },
      subject: 'Repeat prescription',
      status: 'open',
      awaitingReply: true,
    });
    const own = await w.as.alice.get(`/api/v1/portal/conversations/${sent.id}`);
    expect(own.body.conversation).toMatchObject({
      topic: { id: prescriptions, name: 'Prescriptions' },
      subject: 'Repeat prescription',
    });
    expect(
      (await inbox(w.as.nurse)).find((r) => r.id === sent.id),
      'the nurse’s team inbox',
    ).toMatchObject({ subject: 'Repeat prescription', topic: { name: 'Prescriptions' } });
  });

  it('an inactive, deleted, other chamber’s or unknown topic: 422 topic_not_found on topicId, nothing stored', async () => {
    const inactive = await newTopic(w, 'Inactive topic', w.roles.nurses);
    expect(
      (await w.as.admin.patch(`/api/v1/admin/topics/${inactive}`, { active: false })).status,
    ).toBe(200);
    const deleted = await newTopic(w, 'Deleted topic', w.roles.nurses);
    expect((await w.as.admin.delete(`/api/v1/admin/topics/${deleted}`)).status).toBe(200);
    const c2 = await createChamber(t);
    const theirRole = await createRole(t, c2, 'Their nurses');
    const theirs = (await t.services.topics.create(c2.admin, { name: 'Theirs', roleId: theirRole }))
      .id;
    const before = await counts(w.chamber.id);
    for (const topicId of [inactive, deleted, theirs, randomUUID()]) {
      const res = await w.as.alice.post('/api/v1/portal/conversations', {
        text: 'About what?',
        topicId,
      });
      expect(res.status, topicId).toBe(422);
      expect(res.body.error).toMatchObject({
        status: 422,
        code: 'topic_not_found',
        field: 'topicId',
      });
    }
    expect(await counts(w.chamber.id)).toEqual(before);
  });

  it('a topic whose role was deleted: the Role for new messages; the conversation keeps its topic', async () => {
    const temp = await createRole(t, w.chamber, 'Temporary role');
    const orphan = await newTopic(w, 'Orphan topic', temp);
    expect(
      (
        await w.as.admin.patch('/api/v1/admin/settings', {
          roleForNewMessagesId: w.roles.reception,
        })
      ).status,
    ).toBe(200);
    try {
      expect((await w.as.admin.delete(`/api/v1/admin/roles/${temp}`)).status).toBe(200);
      const sent = await patientStarts(w.as.alice, { text: 'Orphaned', topicId: orphan });
      expect(await rolesOf(sent.messageId)).toEqual([w.roles.reception]);
      const row = (await inbox(w.as.receptionist)).find((r) => r.id === sent.id);
      expect(row?.topic).toEqual({ id: orphan, name: 'Orphan topic' });
    } finally {
      await w.as.admin.patch('/api/v1/admin/settings', { roleForNewMessagesId: w.roles.builtIn });
    }
  });

  it('without topicId: the Role for new messages, topic null, subject null', async () => {
    const sent = await patientStarts(w.as.alice, { text: 'No topic' });
    expect(await rolesOf(sent.messageId)).toEqual([w.roles.builtIn]);
    const state = await w.as.receptionist.get(`/api/v1/conversations/${sent.id}`);
    expect(state.body.conversation).toMatchObject({ topic: null, subject: null });
  });

  it('a subject over 120 characters: 422 subject_too_long, nothing stored; a blank one is none; 120 is kept', async () => {
    const before = await counts(w.chamber.id);
    for (const [client, url, extra] of [
      [w.as.alice, '/api/v1/portal/conversations', {}],
      [
        w.as.receptionist,
        `/api/v1/patients/${w.alice.id}/conversations`,
        { shareWithPatient: true, roleIds: [] },
      ],
    ] as const) {
      const res = await client.post(url, {
        text: 'Long subject',
        subject: 'x'.repeat(121),
        ...extra,
      });
      expect(res.status, url).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'subject_too_long', field: 'subject' });
    }
    expect(await counts(w.chamber.id)).toEqual(before);
    const blank = await patientStarts(w.as.alice, { text: 'Blank subject', subject: '   ' });
    const exact = await w.as.receptionist.post(`/api/v1/patients/${w.alice.id}/conversations`, {
      text: 'Exact subject',
      subject: 'é'.repeat(120),
      shareWithPatient: true,
      roleIds: [],
    });
    expect(exact.status).toBe(201);
    const rows = await inbox(w.as.receptionist);
    expect(rows.find((r) => r.id === blank.id)?.subject).toBeNull();
    expect(rows.find((r) => r.id === exact.body.conversation.id)?.subject).toBe('é'.repeat(120));
  });

  it('a patient’s later message goes to the topic’s role and to the roles of the last staff message shared with the patient', async () => {
    const sent = await patientStarts(w.as.alice, { text: 'Dizzy', topicId: prescriptions });
    // The nurse answers the patient and brings Reception in.
    await staffReplies(w.as.nurse, sent.id, {
      text: 'Please book a review',
      shareWithPatient: true,
      roleIds: [w.roles.reception],
    });
    await w.as.receptionist.post(`/api/v1/conversations/${sent.id}/read`);
    const later = await patientReplies(w.as.alice, sent.id, 'Booked, thanks');
    expect(await rolesOf(later)).toEqual([w.roles.reception, w.roles.nurses].sort());
    // Reception, not the topic's role, hears of it through the answer's roles.
    expect(
      (await notificationsOf(w.as.receptionist, sent.id)).filter((n) => !n.read),
    ).toMatchObject([{ title: 'New message from Alice Archer', count: 1 }]);
    // An answer shared with the patient alone: later messages go to the topic's role only.
    await staffReplies(w.as.nurse, sent.id, {
      text: 'Only for you',
      shareWithPatient: true,
      roleIds: [],
    });
    const third = await patientReplies(w.as.alice, sent.id, 'Understood');
    expect(await rolesOf(third)).toEqual([w.roles.nurses]);
  });

  it('the assignee is notified of a patient’s message too, and can read it', async () => {
    const sent = await patientStarts(w.as.alice, { text: 'Side effects', topicId: prescriptions });
    await staffReplies(w.as.nurse, sent.id, {
      text: 'Reception, please call her',
      shareWithPatient: false,
      roleIds: [w.roles.nurses, w.roles.reception],
    });
    await change(w.as.nurse, sent.id, { assigneeId: w.receptionist.id });
    await w.as.receptionist.post(`/api/v1/conversations/${sent.id}/read`);
    const later = await patientReplies(w.as.alice, sent.id, 'Still dizzy');
    // Shared with the topic's role (no staff message was shared with the patient) and, as the
    // assignee holds none of it, with the assignee's role that already sees the conversation
    // (Reception, through the note), not with every role they hold.
    expect((await rolesOf(later)).sort()).toEqual([w.roles.nurses, w.roles.reception].sort());
    // The assignee is told of it, and can read it.
    expect(
      (await notificationsOf(w.as.receptionist, sent.id)).filter((n) => !n.read),
    ).toMatchObject([{ title: 'New message from Alice Archer', count: 1 }]);
    const opened = await w.as.receptionist.get(`/api/v1/conversations/${sent.id}`);
    expect(opened.body.messages.map((m: { id: string }) => m.id)).toContain(later);
  });
});

describe('rule 10: the team inbox', () => {
  let w: World;
  let appointments: string;
  let rhea: { id: string; email: string; name: string };
  let asRhea: Client;

  beforeAll(async () => {
    w = await createWorld(t);
    appointments = await newTopic(w, 'Appointments', w.roles.reception);
    rhea = await createStaff(t, w.chamber, {
      name: 'Rhea Reception',
      roleIds: [w.roles.builtIn, w.roles.reception],
    });
    asRhea = await staffClient(t, w.chamber, rhea.email);
  });

  it('views: Open, Assigned to me and Unassigned list open conversations, Closed the closed; filters by role and topic', async () => {
    const general = await patientStarts(w.as.alice, { text: 'General question' });
    const booking = await patientStarts(w.as.bob, { text: 'Booking', topicId: appointments });
    const other = await patientStarts(w.as.alice, { text: 'Another question' });
    const done = await patientStarts(w.as.bob, { text: 'Done soon' });
    await change(w.as.receptionist, general.id, { assigneeId: w.receptionist.id });
    await change(asRhea, booking.id, { assigneeId: rhea.id });
    await change(w.as.receptionist, done.id, {
      assigneeId: w.receptionist.id,
      status: 'closed',
    });
    const r = w.as.receptionist;
    expect(ids(await inbox(r))).toEqual([other.id, booking.id, general.id]);
    expect(ids(await inbox(r, 'view=open'))).toEqual([other.id, booking.id, general.id]);
    // Assigned to me lists open conversations only: the closed one assigned to him is not there.
    expect(ids(await inbox(r, 'view=mine'))).toEqual([general.id]);
    expect(ids(await inbox(asRhea, 'view=mine'))).toEqual([booking.id]);
    expect(ids(await inbox(r, 'view=unassigned'))).toEqual([other.id]);
    expect(ids(await inbox(r, 'view=closed'))).toEqual([done.id]);
    expect(ids(await inbox(r, `topicId=${appointments}`))).toEqual([booking.id]);
    expect(ids(await inbox(r, `roleId=${w.roles.reception}`))).toEqual([booking.id]);
    expect(ids(await inbox(r, `roleId=${w.roles.builtIn}`))).toEqual([other.id, general.id]);
    expect(ids(await inbox(r, `view=closed&roleId=${w.roles.builtIn}`))).toEqual([done.id]);
    // The nurse sees none of them; the admin, in no role, none either.
    expect(await inbox(w.as.nurse)).toEqual([]);
    expect(await inbox(w.as.admin)).toEqual([]);
    expect(await inbox(w.as.admin, 'view=closed')).toEqual([]);
    for (const c of [general, booking, done])
      await change(r, c.id, { assigneeId: null, status: 'closed' });
    await change(r, other.id, { status: 'closed' });
  });

  it('order: red flags first, then reply-by soonest (overdue first), then newest; pages cover every row once', async () => {
    const now = t.clock().getTime();
    const hour = 3_600_000;
    const made: Record<string, string> = {};
    for (const name of ['n1', 'r1', 'd1', 'o1', 'n2', 'r2', 'd2', 'n3'])
      made[name] = (await patientStarts(w.as.alice, { text: `Order ${name}` })).id;
    // Each patient's message promised a reply-by (rule 12): the rows without one here have
    // theirs taken away, so only the order's other keys decide between them.
    for (const name of ['n1', 'n2', 'n3']) await setConversation(made[name]!, { replyBy: null });
    await setConversation(made.r1!, { redFlag: true, replyBy: null });
    await setConversation(made.r2!, { redFlag: true, replyBy: new Date(now + hour) });
    await setConversation(made.d1!, { replyBy: new Date(now + 2 * hour) });
    await setConversation(made.d2!, { replyBy: new Date(now + hour) });
    await setConversation(made.o1!, { replyBy: new Date(now - hour) });
    const expected = ['r2', 'r1', 'o1', 'd2', 'd1', 'n3', 'n2', 'n1'].map((n) => made[n]!);
    const whole = await inbox(w.as.receptionist);
    expect(ids(whole)).toEqual(expected);
    const byName = (n: string) => whole.find((r) => r.id === made[n])!;
    expect(byName('r1')).toMatchObject({ redFlag: true, overdue: false, replyBy: null });
    expect(byName('o1')).toMatchObject({
      redFlag: false,
      overdue: true,
      replyBy: new Date(now - hour).toISOString(),
    });
    expect(byName('d1')).toMatchObject({ overdue: false, awaitingReply: true });
    // Pages of 1, 2 and 3: the same rows in the same order, each once, then no cursor.
    for (const limit of [1, 2, 3])
      expect(ids(await inbox(w.as.receptionist, '', limit))).toEqual(expected);
    const first = await w.as.receptionist.get('/api/v1/inbox?limit=3');
    expect(ids(first.body.conversations)).toEqual(expected.slice(0, 3));
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const last = await w.as.receptionist.get(
      `/api/v1/inbox?limit=5&cursor=${first.body.nextCursor}`,
    );
    expect(ids(last.body.conversations)).toEqual(expected.slice(3));
    expect(last.body.nextCursor).toBeNull();
    for (const c of Object.values(made)) {
      await setConversation(c, { redFlag: false, replyBy: null });
      await change(w.as.receptionist, c, { status: 'closed' });
    }
  });

  it('a tampered cursor: 422 on the field cursor', async () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const cursor of [
      'not-a-cursor',
      b64([0, 'infinity']),
      b64([2, 'infinity', 1]),
      b64([1, 'yesterday', 1]),
      b64([1, 'Tue', 1]),
      b64([1, 'infinity', -1]),
      b64([1, 'infinity', 1.5]),
      b64({ seq: 1 }),
      'x'.repeat(201),
      'abc$def',
    ]) {
      const res = await w.as.receptionist.get(`/api/v1/inbox?cursor=${cursor}`);
      expect(res.status, cursor).toBe(422);
      expect(res.body.error, cursor).toMatchObject({ status: 422, field: 'cursor' });
    }
  });

  it('a tampered cursor with a time only JavaScript reads: 422 on the field cursor', async () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const cursor of [b64([1, '2020', 1]), b64([0, '2020', 3])]) {
      const res = await w.as.receptionist.get(`/api/v1/inbox?cursor=${cursor}`);
      expect(res.status, cursor).toBe(422);
      expect(res.body.error, cursor).toMatchObject({ status: 422, field: 'cursor' });
    }
  });

  it('a row: patient, subject, topic, assignee, awaiting reply, answered by, unread, and the last message the viewer may see', async () => {
    const NOTE = `Nurses only ${randomUUID()}`;
    const sent = await patientStarts(w.as.alice, {
      text: 'My question',
      topicId: appointments,
      subject: 'Thursday',
    });
    const rowOf = async (c: Client) => (await inbox(c)).find((r) => r.id === sent.id);
    expect(await rowOf(w.as.receptionist)).toMatchObject({
      patient: { id: w.alice.id, name: 'Alice Archer' },
      subject: 'Thursday',
      topic: { id: appointments, name: 'Appointments' },
      status: 'open',
      awaitingReply: true,
      assignee: null,
      answeredBy: null,
      lastMessage: {
        id: sent.messageId,
        author: { kind: 'patient', name: 'Alice Archer' },
        preview: 'My question',
        internalNote: false,
      },
      unread: 1,
    });
    const answer = await staffReplies(asRhea, sent.id, {
      text: 'Yes, Thursday at 10',
      shareWithPatient: true,
      roleIds: [w.roles.reception, w.roles.nurses],
    });
    await change(asRhea, sent.id, { assigneeId: rhea.id });
    await staffReplies(w.as.nurse, sent.id, {
      text: NOTE,
      shareWithPatient: false,
      roleIds: [w.roles.nurses],
    });
    const reception = await rowOf(w.as.receptionist);
    expect(reception).toMatchObject({
      awaitingReply: false,
      assignee: { id: rhea.id, name: 'Rhea Reception' },
      answeredBy: { id: rhea.id, name: 'Rhea Reception' },
      lastMessage: { id: answer, preview: 'Yes, Thursday at 10', internalNote: false },
      unread: 2,
    });
    expect(JSON.stringify(await inbox(w.as.receptionist))).not.toContain(NOTE);
    // The nurse sees her note last; writing it read what came before.
    expect(await rowOf(w.as.nurse)).toMatchObject({
      subject: 'Thursday',
      assignee: { id: rhea.id },
      answeredBy: { id: rhea.id },
      lastMessage: { preview: NOTE, internalNote: true },
      unread: 0,
    });
    // Reading clears the viewer's unread, nobody else's.
    expect((await w.as.receptionist.post(`/api/v1/conversations/${sent.id}/read`)).status).toBe(
      200,
    );
    expect((await rowOf(w.as.receptionist))?.unread).toBe(0);
    const again = await patientReplies(w.as.alice, sent.id, 'See you Thursday');
    expect(await rowOf(w.as.nurse)).toMatchObject({
      awaitingReply: true,
      lastMessage: { id: again, author: { kind: 'patient' } },
      unread: 1,
    });
    await w.as.receptionist.post(`/api/v1/conversations/${sent.id}/read`);
    expect((await rowOf(w.as.receptionist))?.unread).toBe(0);
    expect((await rowOf(w.as.nurse))?.unread).toBe(1);
    await change(asRhea, sent.id, { assigneeId: null, status: 'closed' });
  });

  it('Assign to me, Assign, unassign, Close conversation, Reopen and clearing a red flag: each answered with the state and audited', async () => {
    const sent = await patientStarts(w.as.bob, { text: 'Please call me' });
    const s1 = await change(w.as.receptionist, sent.id, {
      assigneeId: w.receptionist.id,
      expectedAssigneeId: null,
    });
    expect(s1).toMatchObject({
      id: sent.id,
      patient: { id: w.bob.id, name: 'Bob Baker' },
      assignee: { id: w.receptionist.id, name: 'Rita Reception' },
      status: 'open',
      awaitingReply: true,
    });
    const s2 = await change(w.as.receptionist, sent.id, {
      assigneeId: rhea.id,
      expectedAssigneeId: w.receptionist.id,
    });
    expect(s2.assignee).toEqual({ id: rhea.id, name: 'Rhea Reception' });
    expect((await change(asRhea, sent.id, { assigneeId: null })).assignee).toBeNull();
    const closed = await change(asRhea, sent.id, { status: 'closed' });
    // Closing ends "awaiting reply".
    expect(closed).toMatchObject({ status: 'closed', awaitingReply: false, replyBy: null });
    expect(ids(await inbox(w.as.receptionist, 'view=closed'))).toContain(sent.id);
    expect(ids(await inbox(w.as.receptionist, 'view=open'))).not.toContain(sent.id);
    expect((await change(asRhea, sent.id, { status: 'open' })).status).toBe('open');
    await setConversation(sent.id, { redFlag: true });
    expect((await change(w.as.receptionist, sent.id, { redFlag: false })).redFlag).toBe(false);
    // A change to what already is changes nothing and writes nothing.
    const before = await counts(w.chamber.id);
    await change(w.as.receptionist, sent.id, { status: 'open', assigneeId: null, redFlag: false });
    expect(await counts(w.chamber.id)).toEqual(before);
    expect((await auditsOf(sent.id)).map((a) => [a.action, a.actor_user_id, a.patient_id])).toEqual(
      [
        ['conversation.assigned', w.receptionist.id, w.bob.id],
        ['conversation.assigned', w.receptionist.id, w.bob.id],
        ['conversation.unassigned', rhea.id, w.bob.id],
        ['conversation.closed', rhea.id, w.bob.id],
        ['conversation.reopened', rhea.id, w.bob.id],
        ['conversation.red_flag_cleared', w.receptionist.id, w.bob.id],
      ],
    );
    await change(w.as.receptionist, sent.id, { status: 'closed' });
  });

  it('Assign to a user who cannot see the conversation, of another chamber, unknown or Inactive: 422 assignee_cannot_see, nothing changed', async () => {
    const sent = await patientStarts(w.as.alice, { text: 'For reception' });
    const c2 = await createChamber(t);
    const stranger = await createStaff(t, c2, {
      name: 'Stan Stranger',
      roleIds: [c2.builtInRoleId],
    });
    const gone = await createStaff(t, w.chamber, { name: 'Gus Gone', roleIds: [w.roles.builtIn] });
    expect(
      (await w.as.admin.patch(`/api/v1/admin/users/${gone.id}`, { active: false })).status,
    ).toBe(200);
    const before = await counts(w.chamber.id);
    for (const assigneeId of [
      w.nurse.id,
      w.chamber.admin.userId,
      stranger.id,
      gone.id,
      randomUUID(),
    ]) {
      const res = await w.as.receptionist.patch(`/api/v1/conversations/${sent.id}`, {
        assigneeId,
      });
      expect(res.status, assigneeId).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'assignee_cannot_see', field: 'assigneeId' });
    }
    expect(await counts(w.chamber.id)).toEqual(before);
    expect((await stored(sent.id)).assignee_user_id).toBeNull();
    // Once the nurse can see it (a message shared with Nurses), she can be assigned.
    await staffReplies(w.as.receptionist, sent.id, {
      text: 'Nurses, can you take this?',
      shareWithPatient: false,
      roleIds: [w.roles.nurses],
    });
    expect((await change(w.as.receptionist, sent.id, { assigneeId: w.nurse.id })).assignee).toEqual(
      {
        id: w.nurse.id,
        name: 'Nina Nurse',
      },
    );
    await change(w.as.receptionist, sent.id, { assigneeId: null, status: 'closed' });
  });

  it('a patient’s new message reopens a closed conversation; Send and close closes it and ends awaiting reply', async () => {
    const sent = await patientStarts(w.as.alice, { text: 'First' });
    await change(w.as.receptionist, sent.id, { status: 'closed' });
    await patientReplies(w.as.alice, sent.id, 'One more thing');
    expect(await stored(sent.id)).toMatchObject({ status: 'open', awaiting_reply: true });
    expect(ids(await inbox(w.as.receptionist, 'view=open'))).toContain(sent.id);
    await staffReplies(w.as.receptionist, sent.id, {
      text: 'Done, closing',
      shareWithPatient: true,
      roleIds: [],
      close: true,
    });
    expect(await stored(sent.id)).toMatchObject({ status: 'closed', awaiting_reply: false });
    expect(ids(await inbox(w.as.receptionist, 'view=closed'))).toContain(sent.id);
    const own = await w.as.alice.get(`/api/v1/portal/conversations/${sent.id}`);
    expect(own.body.conversation).toMatchObject({ status: 'closed', replyBy: null });
    expect((await auditsOf(sent.id)).map((a) => a.action)).toEqual([
      'conversation.closed',
      'conversation.reopened',
      'conversation.closed',
    ]);
  });

  it('a patient’s message that reopens a closed conversation is audited as conversation.reopened', async () => {
    const sent = await patientStarts(w.as.alice, { text: 'Reopen me' });
    await change(w.as.receptionist, sent.id, { status: 'closed' });
    await patientReplies(w.as.alice, sent.id, 'Me again');
    expect((await stored(sent.id)).status).toBe('open');
    expect((await auditsOf(sent.id)).map((a) => a.action)).toEqual([
      'conversation.closed',
      'conversation.reopened',
    ]);
  });

  it('an assignee made Inactive, or removed from the role through which they saw it, is unassigned; one who still sees it is not', async () => {
    const ivy = await createStaff(t, w.chamber, {
      name: 'Ivy Inactive',
      roleIds: [w.roles.builtIn],
    });
    const rory = await createStaff(t, w.chamber, {
      name: 'Rory Role',
      roleIds: [w.roles.reception],
    });
    const sam = await createStaff(t, w.chamber, {
      name: 'Sam Both',
      roleIds: [w.roles.builtIn, w.roles.reception],
    });
    const pat = await createStaff(t, w.chamber, {
      name: 'Pat Patched',
      roleIds: [w.roles.reception],
    });
    const conv: Record<string, string> = {};
    for (const who of [ivy, rory, sam, pat]) {
      const sent = await patientStarts(w.as.bob, { text: `For ${who.name}` });
      // Reception sees it too, through a message shared with it.
      await staffReplies(w.as.receptionist, sent.id, {
        text: 'Reception, please',
        shareWithPatient: false,
        roleIds: [w.roles.reception],
      });
      await change(w.as.receptionist, sent.id, { assigneeId: who.id });
      conv[who.name] = sent.id;
    }
    const admin = w.as.admin;
    expect((await admin.patch(`/api/v1/admin/users/${ivy.id}`, { active: false })).status).toBe(
      200,
    );
    const reception = `/api/v1/admin/roles/${w.roles.reception}/members`;
    expect((await admin.delete(`${reception}/${rory.id}`)).status).toBe(200);
    expect((await admin.delete(`${reception}/${sam.id}`)).status).toBe(200);
    expect(
      (await admin.patch(`/api/v1/admin/users/${pat.id}`, { roleIds: [w.roles.nurses] })).status,
    ).toBe(200);
    expect((await stored(conv[ivy.name]!)).assignee_user_id).toBeNull();
    expect((await stored(conv[rory.name]!)).assignee_user_id).toBeNull();
    expect((await stored(conv[pat.name]!)).assignee_user_id).toBeNull();
    // Sam still sees it through the built-in role: still assigned.
    expect((await stored(conv[sam.name]!)).assignee_user_id).toBe(sam.id);
    const rows = await inbox(w.as.receptionist);
    expect(rows.find((r) => r.id === conv[ivy.name])?.assignee).toBeNull();
    expect(rows.find((r) => r.id === conv[sam.name])?.assignee).toEqual({
      id: sam.id,
      name: 'Sam Both',
    });
    for (const id of Object.values(conv))
      await change(w.as.receptionist, id, { status: 'closed', assigneeId: null });
  });

  it('the automatic unassignment of an Inactive assignee is audited as conversation.unassigned', async () => {
    const una = await createStaff(t, w.chamber, {
      name: 'Una Audited',
      roleIds: [w.roles.builtIn],
    });
    const sent = await patientStarts(w.as.bob, { text: 'Audit me' });
    await change(w.as.receptionist, sent.id, { assigneeId: una.id });
    expect(
      (await w.as.admin.patch(`/api/v1/admin/users/${una.id}`, { active: false })).status,
    ).toBe(200);
    expect((await stored(sent.id)).assignee_user_id).toBeNull();
    expect((await auditsOf(sent.id)).map((a) => a.action)).toEqual([
      'conversation.assigned',
      'conversation.unassigned',
    ]);
  });
});

describe('rule 11: no double answers', () => {
  let w: World;
  let rhea: { id: string; email: string; name: string };
  let asRhea: Client;

  beforeAll(async () => {
    w = await createWorld(t);
    rhea = await createStaff(t, w.chamber, {
      name: 'Rhea Reception',
      roleIds: [w.roles.builtIn, w.roles.reception],
    });
    asRhea = await staffClient(t, w.chamber, rhea.email);
  });

  it('afterMessageId older than the newest message its writer can see: 409 conversation_changed, nothing stored', async () => {
    const sent = await patientStarts(w.as.alice, { text: 'Question' });
    const newer = await patientReplies(w.as.alice, sent.id, 'And another thing');
    const before = await counts(w.chamber.id);
    const refused = await w.as.receptionist.post(`/api/v1/conversations/${sent.id}/messages`, {
      text: 'Answer to the first only',
      shareWithPatient: true,
      roleIds: [],
      afterMessageId: sent.messageId,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ status: 409, code: 'conversation_changed' });
    expect(await counts(w.chamber.id)).toEqual(before);
    expect(await stored(sent.id)).toMatchObject({ awaiting_reply: true });
    // Naming the newest one it may see, the send goes through.
    await staffReplies(w.as.receptionist, sent.id, {
      text: 'Answer to both',
      shareWithPatient: true,
      roleIds: [],
      afterMessageId: newer,
    });
    expect((await count('messages', w.chamber.id)) - before.messages!).toBe(1);
  });

  it('a newer message its writer cannot see (a note for another role) does not refuse the send', async () => {
    const sent = await patientStarts(w.as.alice, { text: 'Question for all' });
    await staffReplies(w.as.receptionist, sent.id, {
      text: 'Nurses, look',
      shareWithPatient: false,
      roleIds: [w.roles.nurses, w.roles.builtIn],
    });
    const seenByNurse = await staffReplies(w.as.nurse, sent.id, {
      text: 'Nurses only',
      shareWithPatient: false,
      roleIds: [w.roles.nurses],
    });
    // Rhea (built-in role) last saw Rita's message: the nurses' newer note is not hers to see.
    const hers = (await asRhea.get(`/api/v1/conversations/${sent.id}`)).body.messages;
    expect(hers.at(-1).text).toBe('Nurses, look');
    const res = await asRhea.post(`/api/v1/conversations/${sent.id}/messages`, {
      text: 'Answer',
      shareWithPatient: true,
      roleIds: [],
      afterMessageId: hers.at(-1).id,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    // Nor is Rhea's answer, shared with the patient alone, the nurse's to see.
    const nurse = await w.as.nurse.post(`/api/v1/conversations/${sent.id}/messages`, {
      text: 'Nurse again',
      shareWithPatient: false,
      roleIds: [w.roles.nurses],
      afterMessageId: seenByNurse,
    });
    expect(nurse.status, JSON.stringify(nurse.body)).toBe(201);
  });

  it('an afterMessageId of another conversation, or unknown: 422 on afterMessageId, nothing stored', async () => {
    const one = await patientStarts(w.as.alice, { text: 'One' });
    const two = await patientStarts(w.as.alice, { text: 'Two' });
    const before = await counts(w.chamber.id);
    for (const afterMessageId of [two.messageId, randomUUID(), 'not-a-uuid']) {
      const res = await w.as.receptionist.post(`/api/v1/conversations/${one.id}/messages`, {
        text: 'Answer',
        shareWithPatient: true,
        roleIds: [],
        afterMessageId,
      });
      expect(res.status, afterMessageId).toBe(422);
      expect(res.body.error.field, afterMessageId).toBe('afterMessageId');
    }
    expect(await counts(w.chamber.id)).toEqual(before);
  });

  it('expectedAssigneeId that is no longer the assignee: 409 conversation_changed, nothing changed; without it the last change wins', async () => {
    const sent = await patientStarts(w.as.bob, { text: 'Who takes me?' });
    await change(asRhea, sent.id, { assigneeId: rhea.id, expectedAssigneeId: null });
    const before = await counts(w.chamber.id);
    for (const expectedAssigneeId of [null, w.receptionist.id]) {
      const res = await w.as.receptionist.patch(`/api/v1/conversations/${sent.id}`, {
        assigneeId: w.receptionist.id,
        expectedAssigneeId,
      });
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({ status: 409, code: 'conversation_changed' });
    }
    // Closing with a stale expectation is refused as well.
    const closing = await w.as.receptionist.patch(`/api/v1/conversations/${sent.id}`, {
      status: 'closed',
      expectedAssigneeId: null,
    });
    expect(closing.status).toBe(409);
    expect(await counts(w.chamber.id)).toEqual(before);
    expect(await stored(sent.id)).toMatchObject({ assignee_user_id: rhea.id, status: 'open' });
    const taken = await change(w.as.receptionist, sent.id, { assigneeId: w.receptionist.id });
    expect(taken.assignee.id).toBe(w.receptionist.id);
  });

  // 100 rounds, two replies at once each: 100 × 201 and 100 × 409, exactly 100 messages stored.
  it('two staff replying at once with the same afterMessageId, 100 times: exactly one stored each time, the other 409', async () => {
    const sent = await patientStarts(w.as.alice, { text: 'Race me' });
    const before = await count('messages', w.chamber.id);
    let last = sent.messageId;
    const tally = { 201: 0, 409: 0 };
    for (let round = 0; round < 100; round += 1) {
      const body = (who: string) => ({
        text: `${who} answers round ${round}`,
        shareWithPatient: true,
        roleIds: [w.roles.builtIn],
        afterMessageId: last,
      });
      const results = await Promise.all([
        w.as.receptionist.post(`/api/v1/conversations/${sent.id}/messages`, body('Rita')),
        asRhea.post(`/api/v1/conversations/${sent.id}/messages`, body('Rhea')),
      ]);
      const statuses = results.map((r) => r.status).sort();
      expect(statuses, `round ${round}: ${JSON.stringify(results.map((r) => r.body))}`).toEqual([
        201, 409,
      ]);
      const won = results.find((r) => r.status === 201)!;
      const lost = results.find((r) => r.status === 409)!;
      expect(lost.body.error.code).toBe('conversation_changed');
      last = won.body.message.id;
      tally[201] += 1;
      tally[409] += 1;
    }
    expect(tally).toEqual({ 201: 100, 409: 100 });
    expect((await count('messages', w.chamber.id)) - before).toBe(100);
    console.info(`reply race: ${tally[201]} stored, ${tally[409]} refused with 409`);
  });

  // 100 rounds, two Assign to me at once with expectedAssigneeId null: one 200, one 409 each.
  it('two assigning at once with expectedAssigneeId null, 100 times: exactly one wins each time', async () => {
    const sent = await patientStarts(w.as.bob, { text: 'Take me' });
    const wins = { [w.receptionist.id]: 0, [rhea.id]: 0 };
    for (let round = 0; round < 100; round += 1) {
      const results = await Promise.all(
        [
          [w.as.receptionist, w.receptionist.id],
          [asRhea, rhea.id],
        ].map(([c, id]) =>
          (c as Client).patch(`/api/v1/conversations/${sent.id}`, {
            assigneeId: id,
            expectedAssigneeId: null,
          }),
        ),
      );
      expect(results.map((r) => r.status).sort(), `round ${round}`).toEqual([200, 409]);
      const won = results.find((r) => r.status === 200)!.body.assignee.id as string;
      expect((await stored(sent.id)).assignee_user_id).toBe(won);
      wins[won] = (wins[won] ?? 0) + 1;
      await change(w.as.receptionist, sent.id, { assigneeId: null });
    }
    expect(Object.values(wins).reduce((a, b) => a + b, 0)).toBe(100);
    const assigned = (await auditsOf(sent.id)).filter((a) => a.action === 'conversation.assigned');
    expect(assigned).toHaveLength(100);
    console.info(`assign race: ${JSON.stringify(Object.values(wins))} wins of 100, each once`);
  });
});

describe('live: conversation.updated and "is replying…" (rules 10 and 11)', () => {
  let w: World;
  let rhea: { id: string; email: string; name: string };
  let asRhea: Client;

  beforeAll(async () => {
    w = await createWorld(t);
    rhea = await createStaff(t, w.chamber, {
      name: 'Rhea Reception',
      roleIds: [w.roles.builtIn, w.roles.reception],
    });
    asRhea = await staffClient(t, w.chamber, rhea.email);
  });

  it('conversation.updated reaches the staff who can see the conversation when it is assigned, closed, reopened or answered; its patient only for a change of status', async () => {
    const sent = await patientStarts(w.as.alice, { text: 'Live question' });
    const from = await newestEventId(w.chamber.id);
    const rita = stream(w.as.receptionist, from);
    const nurse = stream(w.as.nurse, from);
    const admin = stream(w.as.admin, from);
    const alice = stream(w.as.alice, from);
    const bob = stream(w.as.bob, from);
    const steps: [string, () => Promise<unknown>, boolean][] = [
      ['assigned', () => change(asRhea, sent.id, { assigneeId: rhea.id }), false],
      ['closed', () => change(asRhea, sent.id, { status: 'closed' }), true],
      ['reopened', () => change(asRhea, sent.id, { status: 'open' }), true],
      [
        'answered',
        () =>
          staffReplies(asRhea, sent.id, {
            text: 'Here is the answer',
            shareWithPatient: true,
            roleIds: [],
          }),
        false,
      ],
    ];
    for (const [name, act, patientHears] of steps) {
      const seen = updates(rita).length;
      const seenByAlice = updates(alice).length;
      await act();
      await rita.waitFor(() => updates(rita).length > seen);
      if (patientHears) await alice.waitFor(() => updates(alice).length > seenByAlice);
      expect(updates(rita).length, name).toBe(seen + 1);
    }
    await settle();
    const staffStates = updates(rita).map((e) => e.data.conversation);
    expect(staffStates.map((s) => s.id)).toEqual([sent.id, sent.id, sent.id, sent.id]);
    expect(staffStates.map((s) => [s.status, s.assignee?.id ?? null, s.awaitingReply])).toEqual([
      ['open', rhea.id, true],
      ['closed', rhea.id, false],
      ['open', rhea.id, false],
      ['open', rhea.id, false],
    ]);
    expect(staffStates[3].answeredBy).toEqual({ id: rhea.id, name: 'Rhea Reception' });
    expect(updates(rita)[0]!.data.by).toEqual({ id: rhea.id, name: 'Rhea Reception' });
    // The patient: closed and reopened, nothing else, and only status and reply-by.
    expect(updates(alice).map((e) => e.data)).toEqual([
      { conversationId: sent.id, status: 'closed', replyBy: null },
      { conversationId: sent.id, status: 'open', replyBy: null },
    ]);
    // Never staff who cannot see it, nor the admin outside its roles, nor another patient.
    for (const [name, s] of [
      ['nurse', nurse],
      ['admin', admin],
      ['bob', bob],
    ] as const) {
      expect(updates(s), name).toEqual([]);
      expect(JSON.stringify(s.events), name).not.toContain(sent.id);
    }
    await change(asRhea, sent.id, { status: 'closed', assigneeId: null });
  });

  it('"is replying…": conversation.typing within a second to staff who can see the conversation, never the writer, a patient or staff outside its roles', async () => {
    const sent = await patientStarts(w.as.alice, { text: 'Typing question' });
    const rita = stream(w.as.receptionist);
    const writer = stream(asRhea);
    const nurse = stream(w.as.nurse);
    const admin = stream(w.as.admin);
    const alice = stream(w.as.alice);
    await subscribed(rita, writer, nurse, admin, alice);
    const started = Date.now();
    const res = await asRhea.post(`/api/v1/conversations/${sent.id}/typing`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true });
    await rita.waitFor((e) => e.some((x) => x.event === 'conversation.typing'), 1000);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(1000);
    const [typing] = typings(rita);
    expect(typing!.id).toBeUndefined();
    expect(typing!.data).toEqual({
      conversationId: sent.id,
      user: { id: rhea.id, name: 'Rhea Reception' },
      until: new Date(t.clock().getTime() + 30_000).toISOString(),
    });
    await settle();
    for (const [name, s] of [
      ['the writer', writer],
      ['nurse', nurse],
      ['admin', admin],
      ['patient', alice],
    ] as const)
      expect(typings(s), name).toEqual([]);
    // Typing in a conversation one cannot see: 404, and nobody hears of it.
    const note = await w.as.nurse.post(`/api/v1/patients/${w.alice.id}/conversations`, {
      text: 'Nurses only',
      shareWithPatient: false,
      roleIds: [w.roles.nurses],
    });
    expect(
      (await asRhea.post(`/api/v1/conversations/${note.body.conversation.id}/typing`)).status,
    ).toBe(404);
    await settle();
    expect(typings(nurse)).toEqual([]);
    console.info(`typing heard after ${elapsed} ms`);
  });

  it('rule 4: a Nurses-only note is in no inbox row, notification, typing event or conversation.updated of a user outside Nurses', async () => {
    const NOTE = `Nurses only ${randomUUID()}`;
    const sent = await patientStarts(w.as.alice, {
      text: 'Mixed question',
      subject: 'Mixed',
    });
    await staffReplies(w.as.receptionist, sent.id, {
      text: 'Bringing the nurses in',
      shareWithPatient: false,
      roleIds: [w.roles.builtIn, w.roles.nurses],
    });
    const from = await newestEventId(w.chamber.id);
    const rita = stream(w.as.receptionist, from);
    const nurse = stream(w.as.nurse, from);
    const admin = stream(w.as.admin, from);
    const alice = stream(w.as.alice, from);
    await subscribed(rita, nurse, admin, alice);
    const noteId = await staffReplies(w.as.nurse, sent.id, {
      text: NOTE,
      shareWithPatient: false,
      roleIds: [w.roles.nurses],
    });
    await w.as.nurse.post(`/api/v1/conversations/${sent.id}/typing`);
    await change(w.as.nurse, sent.id, { assigneeId: w.nurse.id });
    // Send and close, as a note: the conversation's change reaches reception, its text not.
    await staffReplies(w.as.nurse, sent.id, {
      text: `${NOTE} (closing)`,
      shareWithPatient: false,
      roleIds: [w.roles.nurses],
      close: true,
    });
    await rita.waitFor((e) => e.filter((x) => x.event === 'conversation.updated').length >= 2);
    await rita.waitFor((e) => e.some((x) => x.event === 'conversation.typing'));
    await nurse.waitFor((e) =>
      e.some((x) => x.event === 'conversation.updated' && x.data.conversation.status === 'closed'),
    );
    await settle();
    // Reception heard the changes and the typing, never a message event of the notes.
    expect(rita.messages()).toEqual([]);
    expect(updates(rita).at(-1)!.data.conversation).toMatchObject({
      id: sent.id,
      subject: 'Mixed',
      status: 'closed',
      assignee: { id: w.nurse.id },
    });
    for (const [name, s] of [
      ['reception', rita],
      ['admin', admin],
      ['patient', alice],
    ] as const)
      expect(JSON.stringify(s.events), name).not.toContain('Nurses only');
    // The lists of reception: the team inbox (both views) and the notifications.
    const rows = [
      ...(await inbox(w.as.receptionist)),
      ...(await inbox(w.as.receptionist, 'view=closed')),
    ];
    const row = rows.find((r) => r.id === sent.id)!;
    expect(row.lastMessage.preview).toBe('Bringing the nurses in');
    expect(JSON.stringify(rows)).not.toContain('Nurses only');
    const items = await w.as.receptionist.get('/api/v1/notifications');
    expect(JSON.stringify(items.body)).not.toContain('Nurses only');
    expect(
      (items.body.notifications as { conversationId: string; preview: string }[]).find(
        (n) => n.conversationId === sent.id,
      )?.preview,
    ).toBe('Mixed question');
    // Not vacuous: the nurse's own lists and stream carry the note.
    expect(nurse.messages().map((e) => e.data.messageId)).toContain(noteId);
    const nurseRows = await inbox(w.as.nurse, 'view=closed');
    expect(nurseRows.find((r) => r.id === sent.id)?.lastMessage.preview).toBe(`${NOTE} (closing)`);
  });
});

describe('notifications: one per conversation', () => {
  let w: World;
  let rhea: { id: string; email: string; name: string };
  let asRhea: Client;

  beforeAll(async () => {
    w = await createWorld(t);
    rhea = await createStaff(t, w.chamber, {
      name: 'Rhea Reception',
      roleIds: [w.roles.builtIn, w.roles.reception],
    });
    asRhea = await staffClient(t, w.chamber, rhea.email);
    // Rita was told that Rhea joined her roles (issue 17, access changes): read, so the
    // counts below are of conversations only.
    expect((await w.as.receptionist.post('/api/v1/notifications/read-all')).status).toBe(200);
  });

  it('two messages of the patient make one unread item counting 2; the unread count counts conversations; a colleague’s answer shows as Answered by', async () => {
    const sent = await patientStarts(w.as.alice, { text: 'First message' });
    await patientReplies(w.as.alice, sent.id, 'Second message');
    const [item] = await notificationsOf(w.as.receptionist, sent.id);
    expect(await notificationsOf(w.as.receptionist, sent.id)).toHaveLength(1);
    expect(item).toMatchObject({
      title: '2 new messages from Alice Archer',
      count: 2,
      read: false,
      preview: 'Second message',
      answeredBy: null,
    });
    await patientStarts(w.as.bob, { text: 'Bob writes' });
    const unread = await w.as.receptionist.get('/api/v1/notifications/unread-count');
    expect(unread.body).toEqual({ unreadCount: 2 });
    expect((await w.as.receptionist.get('/api/v1/notifications')).body.unreadCount).toBe(2);
    // Rhea answers the patient: Rita's item says so, and stays hers to read.
    await staffReplies(asRhea, sent.id, {
      text: 'Answered',
      shareWithPatient: true,
      roleIds: [],
    });
    expect(await notificationsOf(w.as.receptionist, sent.id)).toMatchObject([
      { count: 2, read: false, answeredBy: { id: rhea.id, name: 'Rhea Reception' } },
    ]);
    // Rhea's own item is read: she answered.
    expect(await notificationsOf(asRhea, sent.id)).toMatchObject([{ read: true }]);
    // A third message after the answer starts a new count in the same item, once read.
    await w.as.receptionist.post(`/api/v1/conversations/${sent.id}/read`);
    await patientReplies(w.as.alice, sent.id, 'Thanks');
    const after = (await notificationsOf(w.as.receptionist, sent.id)).filter((n) => !n.read);
    expect(after).toMatchObject([{ title: 'New message from Alice Archer', count: 1 }]);
  });
});
