import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages } from '../../db/schema.js';
import { createWorld, type World } from '../../test/factories.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import { mayHear } from '../events/event.policy.js';
import { eventsSince, START, type MessageEventRow } from '../events/event.repository.js';
import { maySee, maySeeSql, type Reader } from './visibility.policy.js';

// Rule 4 is written once in two forms: `maySee` decides what a live stream hears, `maySeeSql`
// filters every list. Here both judge the same real rows for every kind of reader and audience,
// and must agree message by message.

let t: TestApp;
let w: World;

beforeAll(async () => {
  t = await buildTestApp();
  w = await createWorld(t);
  const key = () => ({ 'idempotency-key': randomUUID() });
  // Patients write (to the Role for new messages); staff write to the patient, to roles, to
  // both, in both patients' conversations.
  const a = await w.as.alice.post('/api/v1/portal/conversations', { text: 'From Alice' }, key());
  const b = await w.as.bob.post('/api/v1/portal/conversations', { text: 'From Bob' }, key());
  for (const conversationId of [a.body.conversation.id, b.body.conversation.id]) {
    const send = (
      client: World['as']['receptionist'],
      shareWithPatient: boolean,
      roleIds: string[],
    ) =>
      client.post(
        `/api/v1/conversations/${conversationId}/messages`,
        { text: 'Staff message', shareWithPatient, roleIds },
        key(),
      );
    expect((await send(w.as.receptionist, true, [])).status).toBe(201);
    expect((await send(w.as.receptionist, false, [w.roles.nurses])).status).toBe(201);
    expect((await send(w.as.receptionist, true, [w.roles.reception])).status).toBe(201);
    expect((await send(w.as.receptionist, false, [w.roles.builtIn, w.roles.nurses])).status).toBe(
      201,
    );
  }
  const s = await w.as.receptionist.post(
    `/api/v1/patients/${w.alice.id}/conversations`,
    { text: 'A note only the nurses see', shareWithPatient: false, roleIds: [w.roles.nurses] },
    key(),
  );
  expect(s.status).toBe(201);
});
afterAll(() => t?.close());

describe('rule 4: the SQL predicate and the TypeScript predicate agree', () => {
  const readers = (): [string, Reader][] => [
    ['Alice', { kind: 'patient', patientId: w.alice.id }],
    ['Bob', { kind: 'patient', patientId: w.bob.id }],
    ['a patient of no conversation', { kind: 'patient', patientId: randomUUID() }],
    [
      'the receptionist (author; built-in role and Reception)',
      {
        kind: 'staff',
        userId: w.receptionist.id,
        roleIds: [w.roles.builtIn, w.roles.reception],
      },
    ],
    ['the nurse (Nurses)', { kind: 'staff', userId: w.nurse.id, roleIds: [w.roles.nurses] }],
    ['staff without roles', { kind: 'staff', userId: w.nurse.id, roleIds: [] }],
    [
      'staff in Reception only',
      { kind: 'staff', userId: randomUUID(), roleIds: [w.roles.reception] },
    ],
  ];

  it('for every reader, the same messages', async () => {
    // The messages as the live-event log holds them, with the audience each event was logged for.
    const all = (await eventsSince(t.db, w.chamber.id, START, 1000))
      .filter((e): e is MessageEventRow => e.kind === 'message')
      .map((e) => ({ ...e, sharedWithPatient: e.toPatient }));
    expect(all.length).toBe(11);
    for (const [who, reader] of readers()) {
      const inSql = await t.db
        .select({ id: messages.id })
        .from(messages)
        .where(and(eq(messages.chamberId, w.chamber.id), maySeeSql(reader)));
      const inTs = all.filter((m) => maySee(reader, m)).map((m) => m.messageId);
      expect(inSql.map((r) => r.id).sort(), who).toEqual(inTs.sort());
      // A live stream hears exactly the messages its reader may see.
      const listener =
        reader.kind === 'patient'
          ? { ...reader, chamberId: w.chamber.id }
          : { ...reader, chamberId: w.chamber.id };
      const heard = all.filter((m) => mayHear(listener as never, m)).map((m) => m.messageId);
      expect(heard.sort(), who).toEqual(inTs.sort());
    }
    // Not trivially equal: each kind of reader sees some and misses some.
    const counts = readers().map(([, reader]) => all.filter((m) => maySee(reader, m)).length);
    expect(counts).toEqual([3, 3, 0, 11, 5, 0, 2]);
  });
});
