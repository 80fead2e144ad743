import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, type World } from '../../test/factories.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import type { StaffActor } from '../auth/actor.js';
import type { EventHub, EventListener } from './event.hub.js';

// The hub hands a batch of events to its streams a hundred at a time, letting other work run
// between (event.hub.ts, handOut). Every stream still gets every event it may hear once and in
// order, the listeners of a shared variant get the same data, and a stream that joins while a
// batch is being handed out gets that batch too.

const LISTENERS = 250;

let t: TestApp;
let w: World;
let actor: StaffActor;

beforeAll(async () => {
  // Delivery comes from NOTIFY alone: no poll, no heartbeat within the test.
  t = await buildTestApp({ config: { eventsHeartbeatMs: 3_600_000, eventsPollMs: 3_600_000 } });
  w = await createWorld(t);
  const session = await t.db.execute<{ id: string }>(sql`
    select id from sessions where user_id = ${w.receptionist.id}::uuid
     order by created_at desc limit 1`);
  const roles = await t.db.execute<{ role_id: string }>(sql`
    select role_id::text from role_members where user_id = ${w.receptionist.id}::uuid`);
  actor = {
    kind: 'staff',
    chamberId: w.chamber.id,
    userId: w.receptionist.id,
    name: 'Reception',
    email: w.receptionist.email,
    roleIds: roles.rows.map((r) => r.role_id),
    isAdmin: false,
    sessionId: session.rows[0]!.id,
    ip: null,
    stage: 'full',
  };
});
afterAll(async () => {
  await t?.close();
});

interface Heard {
  id: number;
  event: string;
  json: string;
}

/** A listener as the stream route makes one, keeping what it is sent. */
function listener(onSend?: () => void): EventListener & { heard: Heard[] } {
  const heard: Heard[] = [];
  return {
    heard,
    actor,
    sentSeq: 0,
    buffer: null,
    send(id: number, event: string, data: unknown, json?: string) {
      heard.push({ id, event, json: json ?? JSON.stringify(data) });
      onSend?.();
    },
    sendFleeting: () => undefined,
    ping: () => undefined,
    close: () => undefined,
  };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const messageIdOf = (h: Heard) => (JSON.parse(h.json) as { messageId?: string }).messageId;

describe('handing a batch to many streams', () => {
  it('reaches every stream once and in order, and a stream that joins meanwhile', async () => {
    const hub = (t.app as unknown as { events: EventHub }).events;
    const listeners: ReturnType<typeof listener>[] = [];
    let late: ReturnType<typeof listener> | undefined;
    let joined: Promise<void> | undefined;
    for (let i = 0; i < LISTENERS; i += 1) {
      // The 150th stream, on its first event, has a new stream join: the hand-out of this
      // batch is then past its first turn, between two turns once the join runs.
      const onSend =
        i === 149
          ? () => {
              if (late) return;
              late = listener();
              joined = hub.subscribe(late, undefined);
            }
          : undefined;
      const l = listener(onSend);
      listeners.push(l);
      await hub.subscribe(l, undefined);
    }
    const first = await w.as.alice.post(
      '/api/v1/portal/conversations',
      { text: 'Many streams' },
      { 'idempotency-key': 'hand-out-1' },
    );
    expect(first.status).toBe(201);
    const firstId = first.body.message.id as string;
    const heardFirst = (l: ReturnType<typeof listener>) =>
      l.heard.filter((h) => h.event === 'message' && messageIdOf(h) === firstId);
    await until(() => listeners.every((l) => heardFirst(l).length > 0), 'the first message');
    await joined;
    expect(late).toBeDefined();
    await until(() => heardFirst(late!).length > 0, 'the first message at the late stream');

    const second = await w.as.alice.post(
      `/api/v1/portal/conversations/${first.body.conversation.id}/messages`,
      { text: 'And again' },
      { 'idempotency-key': 'hand-out-2' },
    );
    expect(second.status).toBe(201);
    const secondId = second.body.message.id as string;
    const all = [...listeners, late!];
    await until(
      () => all.every((l) => l.heard.some((h) => messageIdOf(h) === secondId)),
      'the second message',
    );

    const reference = listeners[0]!.heard.map((h) => `${h.id} ${h.event} ${h.json}`);
    expect(reference.filter((x) => x.includes(firstId))).not.toHaveLength(0);
    for (const l of all) {
      // Once each, in the order of their ids, and the same frames as every other stream.
      const ids = l.heard.map((h) => h.id);
      expect(ids).toEqual([...new Set(ids)].sort((a, b) => a - b));
      expect(l.heard.map((h) => `${h.id} ${h.event} ${h.json}`)).toEqual(reference);
    }
    for (const l of all) hub.unsubscribe(l);
  });
});
