import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedDemo } from '../demo/demo-seed.js';
import { systemClock } from '../lib/clock.js';
import { openEventStream, type EventStream } from '../test/sse.js';
import {
  startServerProcess as startServer,
  type ServerProcess as Server,
} from '../test/processes.js';
import { openTestDatabase, testConfig } from '../test/test-app.js';

// Issue 7, SIGTERM under load: in-flight sends finish, live streams end with `closed`, the
// process exits 0, and every acknowledged send is there after a restart.
// Both with `Connection: close` and with keep-alive clients (browsers, load balancers): during
// shutdown every answer closes its connection, so idle keep-alive connections cannot hold the
// exit back (they once did, for Fastify's 72 s keepAliveTimeout).

const onPostgres = inject('engine') === 'postgres';
const SENDS = 20;

type Outcome = { status: number; body: any } | { error: string };

/** One request on its own connection (`Connection: close` unless keepAlive is given). */
function request(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: unknown;
    agent?: http.Agent;
  },
): Promise<Outcome & { setCookie?: string }> {
  return new Promise((resolve) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = http.request(
      url,
      {
        method: options.method ?? 'GET',
        agent: options.agent ?? new http.Agent({ keepAlive: false }),
        headers: {
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // Not JSON: kept as text for the failure message.
          }
          const setCookie = res.headers['set-cookie']?.[0]?.split(';')[0];
          resolve({ status: res.statusCode ?? 0, body, setCookie });
        });
        res.on('error', (error) => resolve({ error: String(error) }));
      },
    );
    req.on('error', (error) => resolve({ error: String(error) }));
    req.end(payload);
  });
}

async function signIn(base: string, kind: 'staff' | 'portal', email: string): Promise<string> {
  const res = await request(`${base}/api/v1/${kind}/session`, {
    method: 'POST',
    body: { chamber: 'demo', email, password: 'demo-password-1' },
  });
  expect(res).toMatchObject({ status: 200 });
  return res.setCookie!;
}

describe.skipIf(!onPostgres)('SIGTERM under load', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let dataDir: string;
  const servers: Server[] = [];
  const streams: EventStream[] = [];
  const agents: http.Agent[] = [];

  beforeAll(async () => {
    database = await openTestDatabase();
    await seedDemo(database.db, testConfig(), systemClock);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-sigterm-'));
  }, 60_000);

  afterAll(async () => {
    streams.forEach((s) => s.close());
    agents.forEach((a) => a.destroy());
    for (const s of servers) {
      if (s.child.exitCode === null && s.child.signalCode === null) {
        s.child.kill('SIGKILL');
        await s.exited;
      }
    }
    await database?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** Sends a burst, SIGTERMs the process while it is in flight, and checks the outcome. */
  async function sigtermDuringBurst(label: string, keepAlive: boolean) {
    const server = await startServer(database.url!, dataDir);
    servers.push(server);
    const alice = await signIn(server.url, 'portal', 'alice@patient.example');
    const reception = await signIn(server.url, 'staff', 'reception@riverside.example');
    const stream = openEventStream(`${server.url}/api/v1/events`, {
      cookie: reception,
      ...(keepAlive ? {} : { connection: 'close' }),
    });
    streams.push(stream);
    await new Promise((r) => setTimeout(r, 300));
    expect(stream.status).toBe(200);

    const agent = keepAlive ? new http.Agent({ keepAlive: true }) : undefined;
    if (agent) agents.push(agent);
    const texts = Array.from({ length: SENDS }, (_, i) => `${label} msg ${i}`);
    const sends = texts.map((text, i) =>
      request(`${server.url}/api/v1/portal/conversations`, {
        method: 'POST',
        headers: { cookie: alice, 'idempotency-key': `${label}-${i}` },
        body: { text },
        agent,
      }),
    );
    // Let the burst reach the server, then ask it to stop while the sends are in flight.
    await new Promise((r) => setTimeout(r, 15));
    const signalled = Date.now();
    server.child.kill('SIGTERM');

    const outcomes = await Promise.all(sends);
    await stream.waitClosed(10_000);
    expect(stream.events.at(-1)).toMatchObject({ event: 'closed', data: { reason: 'shutdown' } });
    const exit = await Promise.race([
      server.exited,
      new Promise<'still running after 10 s'>((r) =>
        setTimeout(() => r('still running after 10 s'), 10_000),
      ),
    ]);
    expect(exit, server.log()).toEqual({ code: 0, signal: null });
    const exitMs = Date.now() - signalled;

    // Each send finished (201) or was never accepted: a connection error, or a 503 in the one
    // error shape for a request that arrives once closing has begun. Never a 500.
    const acknowledged = new Map<number, string>();
    const notAccepted: number[] = [];
    const seen: Record<string, number> = {};
    let refusedBody: unknown;
    outcomes.forEach((o, i) => {
      const what = 'status' in o ? String(o.status) : 'connection error';
      seen[what] = (seen[what] ?? 0) + 1;
      if ('status' in o) {
        expect([201, 503], `send ${i}: ${JSON.stringify(o.body)}`).toContain(o.status);
        if (o.status === 201) acknowledged.set(i, o.body.message.id);
        else {
          expect(o.body).toEqual({
            error: { status: 503, code: 'shutting_down', message: expect.any(String) },
          });
          notAccepted.push(i);
          refusedBody = o.body;
        }
      } else {
        notAccepted.push(i);
      }
    });
    expect(acknowledged.size).toBeGreaterThan(0);

    const restarted = await startServer(database.url!, dataDir);
    servers.push(restarted);
    for (const [i, id] of acknowledged) {
      const rows = await database.db.execute<{ id: string; text: string }>(
        sql`select id, text from messages where text = ${texts[i]!}`,
      );
      expect(rows.rows).toEqual([{ id, text: texts[i] }]);
    }
    // A send refused before acceptance stored nothing; a lost connection stored it at most once.
    for (const i of notAccepted) {
      const rows = await database.db.execute<{ n: string | number }>(
        sql`select count(*) as n from messages where text = ${texts[i]!}`,
      );
      const o = outcomes[i]!;
      expect(Number(rows.rows[0]!.n)).toBeLessThanOrEqual('status' in o ? 0 : 1);
    }
    // The restarted process serves the acknowledged messages to the patient.
    const inbox = await request(`${restarted.url}/api/v1/portal/conversations`, {
      headers: { cookie: alice },
    });
    expect(inbox).toMatchObject({ status: 200 });
    const stopped = restarted.exited;
    restarted.child.kill('SIGTERM');
    expect(await stopped).toEqual({ code: 0, signal: null });
    // Observed, not asserted: printed for the closing note.
    console.log(
      `SIGTERM under load (${label}): ${SENDS} sends: ${JSON.stringify(seen)}; ` +
        `stream closed with reason shutdown; exit 0 after ${exitMs} ms` +
        (refusedBody === undefined ? '' : `; a 503 answered ${JSON.stringify(refusedBody)}`),
    );
  }

  it('in-flight sends finish, the stream ends with `closed`, exit 0 within 10 s, nothing acknowledged lost', async () => {
    await sigtermDuringBurst('sigterm', false);
  }, 60_000);

  // Keep-alive clients (browsers, load balancers) must not hold the exit back.
  it('the same with keep-alive clients: the process does not wait for idle connections', async () => {
    await sigtermDuringBurst('sigterm-keepalive', true);
  }, 60_000);
});
