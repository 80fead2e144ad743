import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createWorld, type World } from '../../test/factories.js';
import { signIn } from '../../test/http.js';
import { openEventStream, type EventStream } from '../../test/sse.js';
import { recordStatements } from '../../test/statements.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import type { EventHub } from './event.hub.js';

// Migration 0021: every write that can change what an open stream may hear logs an
// 'access.changed' event, and the live-event hub checks its streams' sessions again only after
// reading one (or when a stream joined, or a session may have expired). The heartbeat and the
// safety-net poll are an hour here, so nothing else can close a stream or update its roles.

const onPostgres = inject('engine') === 'postgres';

let t: TestApp;
let w: World;
let base: string;
const streams: EventStream[] = [];

beforeAll(async () => {
  t = await buildTestApp({ config: { eventsHeartbeatMs: 3_600_000, eventsPollMs: 3_600_000 } });
  w = await createWorld(t);
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  streams.forEach((s) => s.close());
  await t?.close();
});

const hub = () => (t.app as unknown as { events: EventHub }).events;

/** Opens a stream and waits until the hub has it. */
async function stream(cookie: string): Promise<EventStream> {
  const before = hub().size();
  const s = openEventStream(`${base}/api/v1/events`, { cookie });
  streams.push(s);
  await expect.poll(() => hub().size()).toBe(before + 1);
  return s;
}

async function accessChanges(): Promise<number> {
  const r = await t.db.execute<{ n: number }>(sql`
    select count(*)::int as n from live_events
     where chamber_id = ${w.chamber.id}::uuid and kind = 'access.changed'`);
  return Number(r.rows[0]!.n);
}

/** How many access.changed events `write` logged. */
async function logged(write: () => Promise<unknown>): Promise<number> {
  const before = await accessChanges();
  await write();
  return (await accessChanges()) - before;
}

/** The statements that check open streams' sessions (event.repository.ts, liveSessions). */
const sessionChecks = (texts: { text: string }[]) =>
  texts.filter((s) => /from "sessions" left join "users"/.test(s.text.replace(/\s+/g, ' ')));

describe('access changes', () => {
  it('each write that can change what a stream hears logs one event; activity logs none', async () => {
    const exec = (q: ReturnType<typeof sql>) => t.db.execute(q);
    const c = w.chamber.id;
    const session = await t.db.execute<{ id: string }>(sql`
      select id from sessions where chamber_id = ${c}::uuid and user_id = ${w.nurse.id}::uuid limit 1`);
    const sessionId = session.rows[0]!.id;

    // A request's activity, and writes to other columns, log nothing.
    expect(
      await logged(() =>
        exec(
          sql`update sessions set last_seen_at = now() where chamber_id = ${c}::uuid and id = ${sessionId}::uuid`,
        ),
      ),
    ).toBe(0);
    expect(
      await logged(() =>
        exec(
          sql`update users set name = name where chamber_id = ${c}::uuid and id = ${w.nurse.id}::uuid`,
        ),
      ),
    ).toBe(0);
    expect(
      await logged(() =>
        exec(
          sql`update users set active = true where chamber_id = ${c}::uuid and id = ${w.nurse.id}::uuid`,
        ),
      ),
    ).toBe(0);

    // Role membership.
    expect(
      await logged(() =>
        exec(
          sql`delete from role_members where chamber_id = ${c}::uuid and user_id = ${w.nurse.id}::uuid`,
        ),
      ),
    ).toBe(1);
    expect(
      await logged(() =>
        exec(sql`insert into role_members (chamber_id, role_id, user_id)
                 values (${c}::uuid, ${w.roles.nurses}::uuid, ${w.nurse.id}::uuid)`),
      ),
    ).toBe(1);
    // A user made inactive, and active again.
    for (const active of [false, true])
      expect(
        await logged(() =>
          exec(
            sql`update users set active = ${active} where chamber_id = ${c}::uuid and id = ${w.nurse.id}::uuid`,
          ),
        ),
      ).toBe(1);
    // A role deleted.
    const role = randomUUID();
    await exec(sql`insert into roles (chamber_id, id, name, created_at)
                   values (${c}::uuid, ${role}::uuid, 'Short-lived', now())`);
    expect(
      await logged(() =>
        exec(
          sql`update roles set deleted_at = now() where chamber_id = ${c}::uuid and id = ${role}::uuid`,
        ),
      ),
    ).toBe(1);
    // A session's expiry moved, or the session ended: through the product's sign-out too.
    expect(
      await logged(() =>
        exec(
          sql`update sessions set expires_at = expires_at - interval '1 second' where chamber_id = ${c}::uuid and id = ${sessionId}::uuid`,
        ),
      ),
    ).toBe(1);
    await t.services.users.create(w.chamber.admin, {
      name: 'Sam Signout',
      email: 'sam.signout@staff.example',
      password: 'test-password-1',
      roleIds: [w.roles.nurses],
    });
    const sam = await signIn(
      t.app,
      'staff',
      w.chamber.key,
      'sam.signout@staff.example',
      'test-password-1',
    );
    expect(await logged(() => sam.delete('/api/v1/staff/session'))).toBe(1);
    // Whom a portal account is, and its proxies (rule 18).
    expect(
      await logged(() =>
        exec(sql`update portal_accounts set patient_id = patient_id where chamber_id = ${c}::uuid`),
      ),
    ).toBe(0);
    expect(
      await logged(() =>
        exec(sql`update patient_proxies set ended_at = ended_at where chamber_id = ${c}::uuid`),
      ),
    ).toBe(0);
  });

  it('a second message is handed out without checking the sessions again; after a member leaves a role, the next one is checked and not heard', async () => {
    const noor = await t.services.users.create(w.chamber.admin, {
      name: 'Noor Nurse',
      email: 'noor.access@nurses.example',
      password: 'test-password-1',
      roleIds: [w.roles.nurses],
    });
    const noorClient = await signIn(
      t.app,
      'staff',
      w.chamber.key,
      'noor.access@nurses.example',
      'test-password-1',
    );
    const noorStream = await stream(noorClient.cookie!);
    const nurseStream = await stream(w.as.nurse.cookie!);
    const send = async (text: string) => {
      const res = await w.as.receptionist.post(`/api/v1/patients/${w.alice.id}/conversations`, {
        text,
        shareWithPatient: false,
        roleIds: [w.roles.nurses],
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.message.id as string;
    };
    const heard = (s: EventStream, id: string) =>
      s.waitFor((e) => e.some((x) => x.data?.messageId === id));

    // The first message after the streams joined: their sessions are checked.
    const first = await send('to nurses, first');
    await heard(noorStream, first);

    const second = await recordStatements(async () => {
      const id = await send('to nurses, second');
      await Promise.all([heard(noorStream, id), heard(nurseStream, id)]);
    });
    if (onPostgres) expect(sessionChecks(second.statements)).toHaveLength(0);

    expect(
      (await w.as.admin.delete(`/api/v1/admin/roles/${w.roles.nurses}/members/${noor.id}`)).status,
    ).toBe(200);
    let third = '';
    const checked = await recordStatements(async () => {
      third = await send('to nurses, third');
      await heard(nurseStream, third);
    });
    if (onPostgres) expect(sessionChecks(checked.statements).length).toBeGreaterThan(0);
    // Noor's stream passed the message without hearing it (rule 4).
    await new Promise((r) => setTimeout(r, 200));
    expect(noorStream.messages().map((e) => e.data.messageId)).toEqual([first, expect.any(String)]);
    expect(noorStream.messages().map((e) => e.data.messageId)).not.toContain(third);
    expect(noorStream.closed).toBe(false);
  });
});
