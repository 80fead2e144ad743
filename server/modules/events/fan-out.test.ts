import { randomUUID } from 'node:crypto';
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
import { liveSessions } from './event.repository.js';

// One message, many listeners: every member of the role hears of it with their own
// notification, and the heartbeat re-checks all open streams' sessions in one statement
// whatever their number (issue 6, "live" and "idle streams").

let t: TestApp;
let w: World;
let base: string;
const streams: EventStream[] = [];
const MEMBERS = 8;
let members: { id: string; client: Client; stream: EventStream }[] = [];

beforeAll(async () => {
  t = await buildTestApp({ config: { eventsHeartbeatMs: 150, eventsPollMs: 300_000 } });
  w = await createWorld(t);
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  // A role of its own becomes the Role for new messages, so exactly its members hear of them.
  const frontDesk = await createRole(t, w.chamber, 'Front desk');
  expect(
    (await w.as.admin.patch('/api/v1/admin/settings', { roleForNewMessagesId: frontDesk })).status,
  ).toBe(200);
  members = [];
  for (let i = 0; i < MEMBERS; i += 1) {
    const staff = await createStaff(t, w.chamber, { name: `Desk ${i}`, roleIds: [frontDesk] });
    const client = await staffClient(t, w.chamber, staff.email);
    const stream = openEventStream(`${base}/api/v1/events`, { cookie: client.cookie! });
    streams.push(stream);
    members.push({ id: staff.id, client, stream });
  }
});
afterAll(async () => {
  streams.forEach((s) => s.close());
  await t?.close();
});

/** Waits until the streams are subscribed (a heartbeat has passed). */
const settled = () => new Promise((r) => setTimeout(r, 300));

const eventOf = (s: EventStream, messageId: string) =>
  s.messages().find((e) => e.data?.messageId === messageId);

describe('one message, many streams', () => {
  it('every member of the Role for new messages hears of it, each with their own notification', async () => {
    await settled();
    const sent = await w.as.alice.post('/api/v1/portal/conversations', { text: 'To the desk' });
    expect(sent.status).toBe(201);
    const messageId = sent.body.message.id as string;
    await Promise.all(
      members.map((m) => m.stream.waitFor(() => eventOf(m.stream, messageId) !== undefined)),
    );
    const seen = new Set<string>();
    for (const m of members) {
      const list = await m.client.get('/api/v1/notifications');
      const own = (list.body.notifications as { id: string; messageId: string }[]).find(
        (n) => n.messageId === messageId,
      );
      expect(own, 'the member has a notification of the message').toBeDefined();
      expect(eventOf(m.stream, messageId)!.data.notification).toMatchObject({
        id: own!.id,
        title: 'New message from Alice Archer',
      });
      seen.add(own!.id);
    }
    expect(seen.size).toBe(MEMBERS);
  });

  it('a heartbeat closes exactly the streams whose session ended; the others go on hearing', async () => {
    const [gone, stay] = [members.slice(0, 3), members.slice(3)];
    for (const m of gone) expect((await m.client.delete('/api/v1/staff/session')).status).toBe(200);
    await Promise.all(gone.map((m) => m.stream.waitClosed()));
    for (const m of gone)
      expect(m.stream.events.at(-1)).toMatchObject({
        event: 'closed',
        data: { reason: 'session_ended' },
      });
    await settled();
    expect(stay.every((m) => !m.stream.closed)).toBe(true);

    const sent = await w.as.bob.post('/api/v1/portal/conversations', { text: 'Still there?' });
    const messageId = sent.body.message.id as string;
    await Promise.all(
      stay.map((m) => m.stream.waitFor(() => eventOf(m.stream, messageId) !== undefined)),
    );
    for (const m of gone) expect(eventOf(m.stream, messageId)).toBeUndefined();
  });

  it('the session re-check takes any number of streams in one statement', async () => {
    // More sessions than a statement can carry as separate parameters (65,535): one process
    // holding that many streams of a chamber must still re-check them all.
    const live = await t.db.execute<{ id: string }>(
      sql`select id from sessions where chamber_id = ${w.chamber.id}::uuid and kind = 'staff'`,
    );
    const real = live.rows.map((r) => r.id);
    expect(real.length).toBeGreaterThan(0);
    const ids = [...Array.from({ length: 70_000 }, () => randomUUID()), ...real];
    const found = await liveSessions(
      t.db,
      w.chamber.id,
      ids,
      t.clock(),
      t.config.sessionIdleMinutes * 60_000,
    );
    expect([...found.keys()].sort()).toEqual([...real].sort());
    const receptionist = await t.db.execute<{ id: string }>(
      sql`select id from sessions where chamber_id = ${w.chamber.id}::uuid and user_id = ${w.receptionist.id}::uuid`,
    );
    expect(found.get(receptionist.rows[0]!.id)!.roleIds.sort()).toEqual(
      [w.roles.builtIn, w.roles.reception].sort(),
    );
  });
});
