import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, type World, signInAgain } from '../../test/factories.js';
import type { Client } from '../../test/http.js';
import { openEventStream, type EventStream, type SseEvent } from '../../test/sse.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import { ALL, createIntegration, entriesOf, fhirGet, getToken } from '../fhir/fhir-test-support.js';

// SPEC Part 2, rules 12 to 14 on the live event stream (GET /api/v1/events, real HTTP) and in
// the FHIR API: the escalation of an overdue conversation told live to the Escalation role
// only, the clinic's automatic out-of-hours message reaching the patient and the role, red
// flags in the staff notification, and the automatic message as a Communication sent by the
// clinic, not by a person. The clock starts on Monday 5 January 2026, 09:00 in London; the
// default office hours are Monday to Friday 08:00-18:30 and the promise 16 working hours.

let t: TestApp;
let base: string;
const streams: EventStream[] = [];

const MONDAY_9 = new Date('2026-01-05T09:00:00Z');
/** 16 working hours from Monday 09:00 end on Tuesday 14:30: a minute after. */
const PAST_REPLY_BY = new Date('2026-01-06T14:31:00Z');
const SATURDAY_10 = new Date('2026-01-10T10:00:00Z');
const OUT_OF_HOURS = 'Thank you. The clinic is closed now; we will read your message when we open.';

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

/** A new world at the given moment, every client signed in then. */
async function worldAt(at: Date): Promise<World> {
  t.clock.set(at);
  return createWorld(t);
}

/** The event stream of a signed-in client, from now on. */
function stream(c: Client): EventStream {
  const s = openEventStream(`${base}/api/v1/events`, { cookie: c.cookie! });
  streams.push(s);
  return s;
}

/** Waits until streams without Last-Event-ID are subscribed (their first heartbeat has passed). */
async function subscribed(...list: EventStream[]): Promise<void> {
  for (const s of list) await s.waitFor(() => s.status === 200);
  await new Promise((r) => setTimeout(r, 300));
}

const settle = () => new Promise((r) => setTimeout(r, 300));

/** The events of a stream about one conversation (staff and patient events both name it). */
const about = (s: EventStream, conversationId: string): SseEvent[] =>
  s.events.filter(
    (e) => e.data?.conversationId === conversationId || e.data?.conversation?.id === conversationId,
  );

async function start(c: Client, text: string) {
  const res = await c.post('/api/v1/portal/conversations', { text });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.conversation.id as string, messageId: res.body.message.id as string };
}

/** The clinic's automatic messages of a conversation, as the patient sees them. */
async function clinicMessages(w: World, conversationId: string): Promise<any[]> {
  const seen = await w.as.alice.get(`/api/v1/portal/conversations/${conversationId}`);
  expect(seen.status).toBe(200);
  return seen.body.messages.filter((m: any) => m.author.kind === 'clinic');
}

async function outOfHoursWorld(): Promise<World> {
  const w = await worldAt(SATURDAY_10);
  const saved = await w.as.admin.patch('/api/v1/admin/settings', {
    outOfHoursMessage: OUT_OF_HOURS,
  });
  expect(saved.status).toBe(200);
  return w;
}

describe('rule 12: an escalation, live', () => {
  it('tells the Escalation role’s member on their stream, shows others who see it the change without a notification, and says nothing to the patient', async () => {
    const w = await worldAt(MONDAY_9);
    const set = await w.as.admin.patch('/api/v1/admin/settings', {
      escalationRoleId: w.roles.nurses,
    });
    expect(set.status).toBe(200);
    const { id } = await start(w.as.alice, 'My repeat prescription ran out');

    // Reply-by passes; sessions idle that long have ended, so everyone signs in again.
    t.clock.set(PAST_REPLY_BY);
    await signInAgain(t, w);
    const nurse = stream(w.as.nurse);
    const receptionist = stream(w.as.receptionist);
    const admin = stream(w.as.admin);
    const alice = stream(w.as.alice);
    await subscribed(nurse, receptionist, admin, alice);

    const ran = await t.deliverMail();
    expect(ran.done).toBeGreaterThanOrEqual(1);
    await nurse.waitFor(() => about(nurse, id).length > 0);
    await receptionist.waitFor(() => about(receptionist, id).length > 0);
    await settle();

    // The nurse (Escalation role, could not see the conversation before) is told.
    expect(about(nurse, id)).toEqual([
      expect.objectContaining({
        event: 'conversation.updated',
        data: expect.objectContaining({
          conversation: expect.objectContaining({ id, overdue: true, awaitingReply: true }),
          by: null,
          notification: expect.objectContaining({
            title: 'Overdue: message from Alice Archer',
            patientName: 'Alice Archer',
            count: 1,
          }),
        }),
      }),
    ]);
    const told = about(nurse, id)[0]!.data.notification;
    const listed = await w.as.nurse.get('/api/v1/notifications');
    expect(listed.body.notifications.map((n: any) => n.id)).toEqual([told.id]);
    // The patient's earlier message, newly visible to the nurse, is not replayed on the stream.
    expect(nurse.messages()).toEqual([]);

    // The receptionist saw the conversation all along: the change, no notification.
    expect(about(receptionist, id)).toEqual([
      expect.objectContaining({
        event: 'conversation.updated',
        data: expect.objectContaining({
          conversation: expect.objectContaining({ id, overdue: true }),
          notification: null,
        }),
      }),
    ]);
    // The admin holds no role that sees it; the patient hears nothing of the escalation.
    expect(about(admin, id)).toEqual([]);
    expect(about(alice, id)).toEqual([]);

    // Running the worker again a minute later tells nobody again.
    t.clock.set(new Date(PAST_REPLY_BY.getTime() + 60_000));
    await t.deliverMail();
    await settle();
    expect(about(nurse, id)).toHaveLength(1);
    expect(about(receptionist, id)).toHaveLength(1);

    // The patient's and the admin's streams were open all along: the nurse's answer reaches her.
    const answer = await w.as.nurse.post(`/api/v1/conversations/${id}/messages`, {
      text: 'I have asked the GP to sign it today.',
      shareWithPatient: true,
      roleIds: [],
    });
    expect(answer.status).toBe(201);
    await alice.waitFor(() => about(alice, id).some((e) => e.event === 'message'));
    expect(about(alice, id).filter((e) => e.event === 'message')).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({ messageId: answer.body.message.id, fromClinic: true }),
      }),
    ]);
    expect(admin.closed).toBe(false);
  });
});

describe('rule 13: the out-of-hours message, live', () => {
  it('reaches the patient as a second message from the clinic, and the staff of the role with the patient’s', async () => {
    const w = await outOfHoursWorld();
    const alice = stream(w.as.alice);
    const receptionist = stream(w.as.receptionist);
    const nurse = stream(w.as.nurse);
    await subscribed(alice, receptionist, nurse);

    const sent = await start(w.as.alice, 'Saturday question');
    const [auto] = await clinicMessages(w, sent.id);
    expect(auto).toMatchObject({ text: OUT_OF_HOURS });

    const twoMessages = (s: EventStream) => () =>
      about(s, sent.id).filter((e) => e.event === 'message').length >= 2;
    await alice.waitFor(twoMessages(alice));
    await receptionist.waitFor(twoMessages(receptionist));
    await settle();

    expect(about(alice, sent.id).filter((e) => e.event === 'message')).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({ messageId: sent.messageId, fromClinic: false }),
      }),
      expect.objectContaining({
        data: expect.objectContaining({ messageId: auto.id, fromClinic: true }),
      }),
    ]);
    const heard = about(receptionist, sent.id).filter((e) => e.event === 'message');
    expect(heard).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({
          messageId: sent.messageId,
          authorId: null,
          mine: false,
          notification: expect.objectContaining({ title: 'New message from Alice Archer' }),
        }),
      }),
      expect.objectContaining({
        data: expect.objectContaining({ messageId: auto.id, authorId: null, mine: false }),
      }),
    ]);
    // The Nurses role is not among the message's roles: nothing of it on the nurse's stream.
    expect(about(nurse, sent.id)).toEqual([]);
    expect(nurse.closed).toBe(false);
  });
});

describe('rule 14: red flags, live', () => {
  it('puts "Red flag: " before the title of the notification on the staff stream', async () => {
    const w = await worldAt(MONDAY_9);
    const receptionist = stream(w.as.receptionist);
    await subscribed(receptionist);
    const calm = await start(w.as.bob, 'My chest is painful after the gym');
    const urgent = await start(w.as.alice, 'I have chest pain since this morning');
    const notificationOf = (conversationId: string) =>
      about(receptionist, conversationId).find((e) => e.event === 'message')?.data.notification;
    await receptionist.waitFor(() => Boolean(notificationOf(calm.id) && notificationOf(urgent.id)));
    expect(notificationOf(urgent.id).title).toMatch(/^Red flag: /);
    expect(notificationOf(urgent.id).title).toBe('Red flag: New message from Alice Archer');
    expect(notificationOf(calm.id).title).toBe('New message from Bob Baker');
  });
});

describe('rule 13 in the FHIR API', () => {
  it('presents the automatic message as sent by the clinic, with no Practitioner', async () => {
    const w = await outOfHoursWorld();
    const token = await getToken(t.app, await createIntegration(w.as.admin, 'Reader', ALL));
    const clinicName = (await w.as.admin.get('/api/v1/admin/settings')).body.chamber.name;
    expect(clinicName).toBeTruthy();
    const sent = await start(w.as.alice, 'Saturday question');
    const [auto] = await clinicMessages(w, sent.id);

    const res = await fhirGet(t.app, token, `/fhir/R4/Communication/${auto.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      resourceType: 'Communication',
      id: auto.id,
      partOf: [{ reference: `Communication/${sent.id}` }],
      subject: { reference: `Patient/${w.alice.id}` },
      payload: [{ contentString: OUT_OF_HOURS }],
    });
    expect(res.body.sender).toEqual({ display: clinicName });
    expect(res.raw).not.toContain('Practitioner/');
    // The patient's own message is still sent by the patient.
    const own = await fhirGet(t.app, token, `/fhir/R4/Communication/${sent.messageId}`);
    expect(own.body.sender).toEqual({ reference: `Patient/${w.alice.id}` });

    // The same in a search of the conversation's messages.
    const search = await fhirGet(t.app, token, `/fhir/R4/Communication?part-of=${sent.id}`);
    expect(search.status).toBe(200);
    const found = entriesOf(search.body).find((r: any) => r.id === auto.id);
    expect(found?.sender).toEqual({ display: clinicName });
  });
});
