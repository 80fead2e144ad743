import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createWorld, type World } from '../../test/factories.js';
import { openEventStream, type EventStream, type SseEvent } from '../../test/sse.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import { isAfter, START } from './event.repository.js';

// Issue 18: no lock shared by a chamber orders its events any more. Events are read in the
// order of the transactions that wrote them, below the oldest one still open, so a stream
// never skips nor repeats an event, even when an older transaction commits after younger ones.

const onPostgres = inject('engine') === 'postgres';

let t: TestApp;
let w: World;
let base: string;
const streams: EventStream[] = [];

beforeAll(async () => {
  // Delivery comes from NOTIFY and the hub's look after held-back events, not from the poll.
  t = await buildTestApp({ config: { eventsHeartbeatMs: 150, eventsPollMs: 300_000 } });
  w = await createWorld(t);
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  streams.forEach((s) => s.close());
  await t?.close();
});

function stream(cookie: string | undefined, extra: Record<string, string> = {}): EventStream {
  const s = openEventStream(`${base}/api/v1/events`, { cookie: cookie ?? '', ...extra });
  streams.push(s);
  return s;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A connection of its own to this test's database, as a second writer. */
async function rawClient(): Promise<pg.Client> {
  const name = (await t.db.execute<{ name: string }>(sql`select current_database() as name`))
    .rows[0]!.name;
  const url = new URL(inject('postgresUrl'));
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return client;
}

/** The events with an id (messages and conversation changes), as "kind:subject". */
const named = (events: SseEvent[]) =>
  events
    .filter((e) => e.id !== undefined && e.event !== 'resync')
    .map((e) =>
      e.event === 'message'
        ? `message:${e.data.messageId}`
        : `${e.event}:${e.data.conversationId ?? e.data.conversation?.id}`,
    );

describe('live events without a chamber-wide lock', () => {
  it.skipIf(!onPostgres)(
    'an older transaction that commits last: its event comes first, the younger ones wait for it, nothing skipped or repeated',
    async () => {
      const live = stream(w.as.receptionist.cookie);
      await pause(250);
      const started = await w.as.alice.post('/api/v1/portal/conversations', { text: 'start' });
      const conversationId: string = started.body.conversation.id;
      await live.waitFor((e) => named(e).includes(`message:${started.body.message.id}`));
      await pause(200);
      // Everything of the start is in (its message and its conversation's change).
      const mark = named(live.events).length;
      const beforeOlder = live.events.filter((e) => e.id !== undefined).at(-1)!.id!;

      // The older transaction: it writes first (an audit row, as any request does), so it holds
      // the oldest open transaction id, and stays open while others send and commit.
      const older = await rawClient();
      try {
        await older.query('begin');
        await older.query(
          `insert into audit_events (chamber_id, at, action, actor_kind) values ($1, now(), 'raw.slow', 'system')`,
          [w.chamber.id],
        );
        const held: string[] = [];
        for (let i = 0; i < 5; i += 1) {
          const sent = await w.as.bob.post('/api/v1/portal/conversations', { text: `held ${i}` });
          expect(sent.status).toBe(201);
          held.push(`message:${sent.body.message.id}`);
        }
        await pause(400);
        // Committed, but younger than an open transaction: not delivered yet.
        expect(named(live.events).filter((n) => held.includes(n))).toEqual([]);

        // It now logs an event of its own (its seq is drawn after theirs) and commits, with no
        // NOTIFY: the hub's own look after held-back events finds it.
        await older.query(
          `insert into live_events (chamber_id, kind, patient_id, conversation_id, to_patient, role_ids, user_ids, created_at)
           values ($1, 'conversation.updated', $2, $3, false, $4, '{}', now())`,
          [w.chamber.id, w.alice.id, conversationId, `{${w.roles.builtIn}}`],
        );
        await older.query('commit');
        const mine = `conversation.updated:${conversationId}`;
        await live.waitFor((e) => held.every((h) => named(e).includes(h)), 5000);
        const after = named(live.events).slice(mark);
        // The older transaction's event first, though its seq is the highest; each once.
        expect(after.filter((n) => n === mine || n.startsWith('message:'))).toEqual([
          mine,
          ...held,
        ]);
        const ids = live.events.filter((e) => e.id !== undefined).map((e) => e.id);
        expect(new Set(ids).size).toBe(ids.length);

        // A stream that left just before: exactly the same, in the same order.
        const again = stream(w.as.receptionist.cookie, { 'last-event-id': beforeOlder });
        await again.waitFor((e) => held.every((h) => named(e).includes(h)));
        await pause(200);
        expect(named(again.events).filter((n) => n === mine || n.startsWith('message:'))).toEqual([
          mine,
          ...held,
        ]);
        // And one that left after the older transaction's event: the messages only.
        const mineEvent = live.events.find(
          (e) => e.event === 'conversation.updated' && e.data.conversation?.id === conversationId,
        );
        const fromMine = stream(w.as.receptionist.cookie, {
          'last-event-id': mineEvent?.id ?? '',
        });
        await fromMine.waitFor((e) => held.every((h) => named(e).includes(h)));
        await pause(200);
        expect(named(fromMine.events).filter((n) => n.startsWith('message:'))).toEqual(held);
      } finally {
        await older.end();
      }
    },
  );

  it('many senders at once, streams reconnecting in between: every message exactly once', async () => {
    const whole = stream(w.as.receptionist.cookie);
    await pause(250);
    const SENDERS = 4;
    const EACH = 8;
    const sent: string[] = [];
    // Pieces of a stream that leaves and comes back with Last-Event-ID while messages flow.
    const pieces: EventStream[] = [stream(w.as.receptionist.cookie)];
    await pause(250);
    const reconnecting = (async () => {
      for (let k = 0; k < 4; k += 1) {
        await pause(120);
        const last = pieces.at(-1)!;
        const lastId = last.events.filter((e) => e.id !== undefined).at(-1)?.id;
        // Without an id yet, a new stream would start from now: stay until there is one.
        if (lastId === undefined) continue;
        last.close();
        pieces.push(stream(w.as.receptionist.cookie, { 'last-event-id': lastId }));
      }
    })();
    await Promise.all(
      Array.from({ length: SENDERS }, async (_, s) => {
        for (let i = 0; i < EACH; i += 1) {
          const as = s % 2 ? w.as.alice : w.as.bob;
          const res = await as.post('/api/v1/portal/conversations', { text: `flow ${s}.${i}` });
          expect(res.status).toBe(201);
          sent.push(`message:${res.body.message.id}`);
        }
      }),
    );
    await reconnecting;
    const all = (events: SseEvent[]) => sent.every((m) => named(events).includes(m));
    await whole.waitFor(all, 10_000);
    const joined = () => pieces.flatMap((p) => p.events);
    for (let i = 0; i < 100 && !all(joined()); i += 1) await pause(50);
    for (const events of [whole.events, joined()]) {
      const messages = named(events).filter((n) => sent.includes(n));
      expect(new Set(messages).size).toBe(messages.length);
      expect([...messages].sort()).toEqual([...sent].sort());
    }
    // The pieces, joined, are the whole stream's events in the whole stream's order.
    const order = named(whole.events).filter((n) => sent.includes(n));
    expect(named(joined()).filter((n) => sent.includes(n))).toEqual(order);
  });
});

describe('the order of two events', () => {
  it('compares transaction ids as numbers, then seqs, without parsing them', () => {
    const at = (xid: string, seq: number) => ({ xid, seq });
    expect(isAfter(at('1000', 1), at('999', 50))).toBe(true);
    expect(isAfter(at('999', 50), at('1000', 1))).toBe(false);
    expect(isAfter(at('1000', 7), at('1000', 6))).toBe(true);
    expect(isAfter(at('1000', 6), at('1000', 6))).toBe(false);
    expect(isAfter(at('2', 1), at('10', 1))).toBe(false);
    expect(isAfter(at('1', 1), START)).toBe(true);
    expect(isAfter(START, START)).toBe(false);
  });
});
