import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, patientClient, type World } from '../test/factories.js';
import { buildTestApp, type TestApp } from '../test/test-app.js';

// Stored send results (Idempotency-Key) are kept for 24 hours; the worker deletes older ones.

let t: TestApp;
let w: World;

beforeAll(async () => {
  t = await buildTestApp();
  w = await createWorld(t);
});
afterAll(() => t?.close());

const keys = async () =>
  (
    await t.db.execute<{ key: string }>(sql`select key from idempotency_keys order by key`)
  ).rows.map((r) => r.key);

describe('Idempotency-Key lifetime', () => {
  it('answers retries for 24 hours; after that the worker deletes the stored result', async () => {
    const send = (client: World['as']['alice'], key: string) =>
      client.post(
        '/api/v1/portal/conversations',
        { text: 'Kept a day' },
        { 'idempotency-key': key },
      );
    const first = await send(w.as.alice, 'day-old');
    expect(first.status).toBe(201);
    t.clock.advance(23 * 3_600_000);
    const alice = await patientClient(t, w.chamber, w.alice.email);
    await send(alice, 'fresh');
    await t.deliverMail();
    // 23 hours on: both kept, and a retry is still answered with the first result.
    expect(await keys()).toEqual(['day-old', 'fresh']);
    expect((await send(alice, 'day-old')).body).toEqual(first.body);

    t.clock.advance(2 * 3_600_000);
    await t.deliverMail();
    expect(await keys()).toEqual(['fresh']);
    // The same key now starts a new message.
    const again = await send(await patientClient(t, w.chamber, w.alice.email), 'day-old');
    expect(again.status).toBe(201);
    expect(again.body.message.id).not.toBe(first.body.message.id);
  });
});
