import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minutes } from '../../lib/clock.js';
import { createBand, createChamber, createPatient, patientClient } from '../../test/factories.js';
import type { Client } from '../../test/http.js';
import { openEventStream, type EventStream } from '../../test/sse.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';

// Issue 17, finding 10d: last-seen is written only now and then, to spare a write per request;
// the idle limit counted from it must still never end a session more than a few seconds before
// its last use plus the idle limit. The event stream's session check must agree.

const IDLE = minutes(15);

let t: TestApp;
let base: string;
const streams: EventStream[] = [];

beforeAll(async () => {
  t = await buildTestApp({ config: { eventsHeartbeatMs: 100, eventsPollMs: 300_000 } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  streams.forEach((s) => s.close());
  await t?.close();
});

/** More than a few heartbeats of the stream, in real time. */
const heartbeats = () => new Promise((r) => setTimeout(r, 400));

describe('the idle limit counts from the last use, within a few seconds', () => {
  it('a session used at t is valid at t + L - 5 s and ended by t + L + 5 s; the stream agrees', async () => {
    const c = await createChamber(t);
    const band = await createBand(t, c, { messaging: true });
    const patient = await createPatient(t, c, { bandId: band });
    // Three sessions used alike: one is checked early, one late, one carries an event stream.
    const sessions: Client[] = [];
    for (let i = 0; i < 3; i += 1) sessions.push(await patientClient(t, c, patient.email));
    const [early, late, streamed] = sessions as [Client, Client, Client];
    const useAll = async () => {
      for (const s of sessions) expect((await s.get('/api/v1/portal/session')).status).toBe(200);
    };
    // Used 30 s after sign-in, then again 4 s later: the last use is t.
    t.clock.advance(30_000);
    await useAll();
    t.clock.advance(4_000);
    await useAll();
    const lastUse = t.clock().getTime();

    const stream = openEventStream(`${base}/api/v1/events?as=patient`, {
      cookie: streamed.cookie!,
    });
    streams.push(stream);
    await heartbeats();
    expect(stream.status).toBe(200);

    t.clock.set(new Date(lastUse + IDLE - 5_000));
    await heartbeats();
    expect(stream.closed).toBe(false);
    expect((await early.get('/api/v1/portal/session')).status).toBe(200);

    t.clock.set(new Date(lastUse + IDLE + 5_000));
    await stream.waitClosed();
    expect(stream.events.at(-1)).toMatchObject({
      event: 'closed',
      data: { reason: 'session_ended' },
    });
    expect((await late.get('/api/v1/portal/session')).status).toBe(401);
  });
});
