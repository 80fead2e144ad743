import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minutes } from '../../lib/clock.js';
import { createWorld, type World } from '../../test/factories.js';
import { openEventStream, type EventStream } from '../../test/sse.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';

let t: TestApp;
let w: World;
let base: string;
const streams: EventStream[] = [];

// Delivery must come from NOTIFY, not from the slow safety-net poll.
beforeAll(async () => {
  t = await buildTestApp({ config: { eventsHeartbeatMs: 150, eventsPollMs: 300_000 } });
  w = await createWorld(t);
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  streams.forEach((s) => s.close());
  await t?.close();
});

function stream(
  cookie: string | undefined,
  extra: Record<string, string> = {},
  query = '',
): EventStream {
  const s = openEventStream(`${base}/api/v1/events${query}`, {
    ...(cookie ? { cookie } : {}),
    ...extra,
  });
  streams.push(s);
  return s;
}

/** Waits until the stream is subscribed (its first heartbeat has passed). */
const settled = () => new Promise((r) => setTimeout(r, 250));

describe('GET /api/v1/events', () => {
  it('answers 401 without a session, in the one error shape', async () => {
    const res = await fetch(`${base}/api/v1/events`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
  });

  it('tells members of the Role for new messages at once, and nobody outside the audience', async () => {
    const reception = stream(w.as.receptionist.cookie);
    const nurse = stream(w.as.nurse.cookie);
    const bob = stream(w.as.bob.cookie);
    await settled();
    expect(reception.status).toBe(200);
    const sent = await w.as.alice.post('/api/v1/portal/conversations', { text: 'Live hello' });
    const [event] = (await reception.waitFor((e) => e.some((x) => x.event === 'message'))).filter(
      (x) => x.event === 'message',
    );
    expect(event!.data).toMatchObject({
      conversationId: sent.body.conversation.id,
      messageId: sent.body.message.id,
      patientId: w.alice.id,
      notification: { title: 'New message from Alice Archer' },
    });
    expect(JSON.stringify(event!.data)).not.toContain('Live hello');
    await settled();
    expect(nurse.messages()).toEqual([]);
    expect(bob.messages()).toEqual([]);
  });

  it('tells the patient of a reply shared with them, never of an internal note', async () => {
    const alice = stream(w.as.alice.cookie, {}, '?as=patient');
    await settled();
    const sent = await w.as.alice.post('/api/v1/portal/conversations', { text: 'Question' });
    const id = sent.body.conversation.id;
    const note = await w.as.receptionist.post(`/api/v1/conversations/${id}/messages`, {
      text: 'note',
      shareWithPatient: false,
      roleIds: [w.roles.nurses],
    });
    const reply = await w.as.receptionist.post(`/api/v1/conversations/${id}/messages`, {
      text: 'Answer',
      shareWithPatient: true,
      roleIds: [],
    });
    await alice.waitFor((e) => e.some((x) => x.data?.messageId === reply.body.message.id));
    const ids = alice.messages().map((e) => e.data.messageId);
    expect(ids).toEqual([sent.body.message.id, reply.body.message.id]);
    expect(ids).not.toContain(note.body.message.id);
  });

  it('after a cut, a reconnect with Last-Event-ID gets exactly what was missed, in order, once', async () => {
    const first = stream(w.as.receptionist.cookie);
    await settled();
    const one = await w.as.alice.post('/api/v1/portal/conversations', { text: 'one' });
    await first.waitFor((e) => e.some((x) => x.data?.messageId === one.body.message.id));
    const lastId = first.messages().at(-1)!.id!;
    first.close();

    const missed: string[] = [];
    for (const text of ['two', 'three', 'four']) {
      missed.push(
        (await w.as.alice.post('/api/v1/portal/conversations', { text })).body.message.id,
      );
    }
    // Not for reception: an internal note for the nurses only.
    await w.as.nurse.post(`/api/v1/patients/${w.bob.id}/conversations`, {
      text: 'nurses only',
      shareWithPatient: false,
      roleIds: [w.roles.nurses],
    });
    const five = (await w.as.alice.post('/api/v1/portal/conversations', { text: 'five' })).body
      .message.id;
    missed.push(five);

    const again = stream(w.as.receptionist.cookie, { 'last-event-id': lastId });
    await again.waitFor((e) => e.some((x) => x.data?.messageId === five));
    await settled();
    expect(again.messages().map((e) => e.data.messageId)).toEqual(missed);
    const ids = again.messages().map((e) => Number(e.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(ids.every((id) => id > Number(lastId))).toBe(true);

    // And it goes on live after the catch-up, without repeating anything.
    const six = (await w.as.alice.post('/api/v1/portal/conversations', { text: 'six' })).body
      .message.id;
    await again.waitFor((e) => e.some((x) => x.data?.messageId === six));
    expect(again.messages().map((e) => e.data.messageId)).toEqual([...missed, six]);
  });

  it('answers a Last-Event-ID it cannot honour with "resync"', async () => {
    const s = stream(w.as.receptionist.cookie, { 'last-event-id': '999999999999' });
    const events = await s.waitFor((e) => e.some((x) => x.event === 'resync'));
    expect(events.find((x) => x.event === 'resync')!.id).toMatch(/^[0-9]+$/);
  });

  it('a user removed from a role stops hearing of that role’s messages', async () => {
    const nurse2 = await t.services.users.create(w.chamber.admin, {
      name: 'Noor Nurse',
      email: 'noor@nurses.example',
      password: 'test-password-1',
      roleIds: [w.roles.nurses],
    });
    const { signIn } = await import('../../test/http.js');
    const noor = await signIn(
      t.app,
      'staff',
      w.chamber.key,
      'noor@nurses.example',
      'test-password-1',
    );
    const s = stream(noor.cookie);
    await settled();
    const first = await w.as.receptionist.post(`/api/v1/patients/${w.alice.id}/conversations`, {
      text: 'to nurses',
      shareWithPatient: false,
      roleIds: [w.roles.nurses],
    });
    await s.waitFor((e) => e.some((x) => x.data?.messageId === first.body.message.id));
    expect(
      (await w.as.admin.delete(`/api/v1/admin/roles/${w.roles.nurses}/members/${nurse2.id}`))
        .status,
    ).toBe(200);
    const second = await w.as.receptionist.post(`/api/v1/patients/${w.alice.id}/conversations`, {
      text: 'to nurses again',
      shareWithPatient: false,
      roleIds: [w.roles.nurses],
    });
    // The nurse who is still a member hears it; the removed one does not.
    const member = stream(w.as.nurse.cookie, {
      'last-event-id': String(Number(s.messages().at(-1)!.id)),
    });
    await member.waitFor((e) => e.some((x) => x.data?.messageId === second.body.message.id));
    await settled();
    expect(s.messages().map((e) => e.data.messageId)).not.toContain(second.body.message.id);
  });

  it('closes the stream when its session is signed out or expires', async () => {
    const { signIn } = await import('../../test/http.js');
    const rita = await signIn(
      t.app,
      'staff',
      w.chamber.key,
      w.receptionist.email,
      'test-password-1',
    );
    const s = stream(rita.cookie);
    await settled();
    expect((await rita.delete('/api/v1/staff/session')).status).toBe(200);
    await s.waitClosed();
    expect(s.events.at(-1)).toMatchObject({ event: 'closed', data: { reason: 'session_ended' } });

    const bob = await signIn(t.app, 'patient', w.chamber.key, w.bob.email, 'test-password-1');
    const idle = stream(bob.cookie, {}, '?as=patient');
    await settled();
    expect(idle.closed).toBe(false);
    // The stream itself is not activity: fifteen quiet minutes end the session and the stream.
    t.clock.advance(minutes(15));
    await idle.waitClosed();
    expect(idle.events.at(-1)).toMatchObject({
      event: 'closed',
      data: { reason: 'session_ended' },
    });
    expect((await bob.get('/api/v1/portal/session')).status).toBe(401);
  });
});
