import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRole,
  createStaff,
  createWorld,
  staffClient,
  type World,
} from '../../test/factories.js';
import type { Client } from '../../test/http.js';
import { openEventStream, type EventStream } from '../../test/sse.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import { payloadOf } from '../../jobs/job-handler.js';
import { claimDueJobs } from '../email-jobs/email-job.repository.js';
import { fanOutNotifications } from '../messaging/notification-fan-out.service.js';

// Issue 18, part 2: a message to a role larger than the inline limit is answered without a
// notification row per member. Its notifications are written by a durable job just after,
// and each member then hears of their own as a `notification` event; the message itself
// reached their streams at once.

const LIMIT = 3;
const MEMBERS = 6;

let t: TestApp;
let w: World;
let base: string;
const streams: EventStream[] = [];
const members: { id: string; client: Client; stream: EventStream }[] = [];
let outsider: EventStream;
let patient: EventStream;
let frontDesk: string;

beforeAll(async () => {
  t = await buildTestApp({
    config: { notificationsInlineLimit: LIMIT, eventsHeartbeatMs: 150, eventsPollMs: 300_000 },
  });
  w = await createWorld(t);
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  frontDesk = await createRole(t, w.chamber, 'Front desk');
  expect(
    (await w.as.admin.patch('/api/v1/admin/settings', { roleForNewMessagesId: frontDesk })).status,
  ).toBe(200);
  for (let i = 0; i < MEMBERS; i += 1) {
    const staff = await createStaff(t, w.chamber, { name: `Desk ${i}`, roleIds: [frontDesk] });
    const client = await staffClient(t, w.chamber, staff.email);
    const stream = openEventStream(`${base}/api/v1/events`, { cookie: client.cookie! });
    streams.push(stream);
    members.push({ id: staff.id, client, stream });
  }
  // The nurse holds no role of the message: she hears nothing of it.
  outsider = openEventStream(`${base}/api/v1/events`, { cookie: w.as.nurse.cookie! });
  patient = openEventStream(`${base}/api/v1/events`, { cookie: w.as.alice.cookie! });
  streams.push(outsider, patient);
});
afterAll(async () => {
  streams.forEach((s) => s.close());
  await t?.close();
});

/** Waits until the streams are subscribed (a heartbeat has passed). */
const settled = () => new Promise((r) => setTimeout(r, 300));

const messageEvent = (s: EventStream, messageId: string) =>
  s.messages().find((e) => e.data?.messageId === messageId);
const notificationEvent = (s: EventStream, messageId: string) =>
  s.events.find((e) => e.event === 'notification' && e.data?.messageId === messageId);

async function notificationsOf(messageId: string) {
  const rows = await t.db.execute<{ user_id: string; message_count: number }>(
    sql`select user_id, message_count from notifications where message_id = ${messageId}::uuid`,
  );
  return rows.rows;
}

async function fanOutJobs(state: string) {
  const rows = await t.db.execute<{ id: string }>(
    sql`select id from jobs where kind = 'notification_fan_out' and state = ${state}`,
  );
  return rows.rows.length;
}

describe('a message to a role larger than the inline limit', () => {
  let conversationId: string;
  let firstId: string;
  let replyId: string;

  it('is answered at once and reaches the streams; its notifications wait for the worker', async () => {
    await settled();
    const sent = await w.as.alice.post('/api/v1/portal/conversations', { text: 'To the desk' });
    expect(sent.status).toBe(201);
    conversationId = sent.body.conversation.id as string;
    firstId = sent.body.message.id as string;
    await Promise.all(
      members.map((m) => m.stream.waitFor(() => messageEvent(m.stream, firstId) !== undefined)),
    );
    for (const m of members) expect(messageEvent(m.stream, firstId)!.data.notification).toBeNull();
    expect(await notificationsOf(firstId)).toEqual([]);
    expect(await fanOutJobs('pending')).toBe(1);
  });

  it('the worker notifies every member once, and each hears of their own notification', async () => {
    await t.deliverMail();
    expect(await fanOutJobs('pending')).toBe(0);
    const rows = await notificationsOf(firstId);
    expect(rows.map((r) => r.user_id).sort()).toEqual(members.map((m) => m.id).sort());
    await Promise.all(
      members.map((m) =>
        m.stream.waitFor(() => notificationEvent(m.stream, firstId) !== undefined),
      ),
    );
    const ids = new Set<string>();
    for (const m of members) {
      const list = await m.client.get('/api/v1/notifications');
      const own = (list.body.notifications as { id: string; messageId: string }[]).find(
        (n) => n.messageId === firstId,
      );
      expect(own, 'the member has a notification of the message').toBeDefined();
      const heard = notificationEvent(m.stream, firstId)!;
      expect(heard.data).toEqual({
        conversationId,
        messageId: firstId,
        patientId: w.alice.id,
        notification: {
          id: own!.id,
          title: 'New message from Alice Archer',
          patientName: 'Alice Archer',
          count: 1,
        },
      });
      expect(heard.id, 'a notification event has an id to resume from').toBeTruthy();
      ids.add(own!.id);
    }
    expect(ids.size).toBe(MEMBERS);
    // Rule 4: no one outside the role, and never the patient, hears of it.
    await settled();
    expect(messageEvent(outsider, firstId)).toBeUndefined();
    expect(outsider.events.some((e) => e.event === 'notification')).toBe(false);
    expect(patient.events.some((e) => e.event === 'notification')).toBe(false);
  });

  it('a job run again does nothing twice', async () => {
    await t.deliverMail();
    expect((await notificationsOf(firstId)).every((r) => Number(r.message_count) === 1)).toBe(true);
  });

  it('a second message counts on the same notification; its author is not notified', async () => {
    const writer = members[0]!;
    const reply = await writer.client.post(`/api/v1/conversations/${conversationId}/messages`, {
      text: 'For the desk only',
      shareWithPatient: false,
      roleIds: [frontDesk],
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    replyId = reply.body.message.id as string;
    await t.deliverMail();
    const others = members.slice(1);
    await Promise.all(
      others.map((m) => m.stream.waitFor(() => notificationEvent(m.stream, replyId) !== undefined)),
    );
    for (const m of others) {
      expect(notificationEvent(m.stream, replyId)!.data.notification.count).toBe(2);
    }
    // The message event itself is serialised once per variant (event.policy.ts): the author's,
    // and everyone else's; each stream gets its own.
    await writer.stream.waitFor(() => messageEvent(writer.stream, replyId) !== undefined);
    expect(messageEvent(writer.stream, replyId)!.data).toMatchObject({
      mine: true,
      authorId: writer.id,
      notification: null,
    });
    for (const m of others)
      expect(messageEvent(m.stream, replyId)!.data).toMatchObject({
        mine: false,
        authorId: writer.id,
        notification: null,
      });
    await settled();
    expect(notificationEvent(writer.stream, replyId)).toBeUndefined();
    const rows = await notificationsOf(replyId);
    expect(rows.map((r) => r.user_id).sort()).toEqual(others.map((m) => m.id).sort());
  });

  it('a stream that reconnects gets the notifications it missed, as they are now', async () => {
    const m = members[1]!;
    const before = messageEvent(m.stream, firstId)!;
    const again = openEventStream(`${base}/api/v1/events`, {
      cookie: m.client.cookie!,
      'last-event-id': before.id!,
    });
    streams.push(again);
    await again.waitFor(() => notificationEvent(again, replyId) !== undefined);
    // The notification of the conversation now counts both messages: it is told once, with
    // the second; the first message's own notification event has nothing left to tell.
    expect(again.events.filter((e) => e.event === 'notification')).toHaveLength(1);
    expect(notificationEvent(again, replyId)!.data.notification.count).toBe(2);
    expect(again.messages().map((e) => e.data.messageId)).toEqual([replyId]);
  });

  it('a worker whose claim was taken over writes nothing', async () => {
    const sent = await w.as.bob.post('/api/v1/portal/conversations', { text: 'Hello desk' });
    expect(sent.status).toBe(201);
    const messageId = sent.body.message.id as string;
    const now = t.clock();
    const [claimed] = await claimDueJobs(t.db, now, new Date(now.getTime() + 60_000), 10);
    expect(claimed?.kind).toBe('notification_fan_out');
    // Another worker claims the job after this one's lease ran out.
    await t.db.execute(
      sql`update jobs set locked_until = ${new Date(now.getTime() + 120_000).toISOString()}::timestamptz
           where id = ${claimed!.id}::uuid`,
    );
    const outcome = await fanOutNotifications(t, claimed!, payloadOf(claimed!));
    expect(outcome).toEqual({ notified: 0, note: 'claimed by another worker' });
    expect(await notificationsOf(messageId)).toEqual([]);
    expect(await fanOutJobs('running')).toBe(1);
  });
});
