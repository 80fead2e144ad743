import http, { type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createWorld } from '../../test/factories.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import type { EventHub } from './event.hub.js';

/** The headers helmet (plugins/security.ts) puts on every answer. */
const SECURITY = [
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
];

const apps: TestApp[] = [];
afterAll(async () => {
  for (const t of apps) await t.close();
});

async function started(config: Parameters<typeof buildTestApp>[0] = {}) {
  const t = await buildTestApp(config);
  apps.push(t);
  const w = await createWorld(t);
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  return { t, w, base };
}

/** Opens a stream, reads its status and headers, and hangs up. */
function streamHead(
  url: string,
  cookie: string,
  extra: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; first: string }> {
  return new Promise((resolve, reject) => {
    const headers = { accept: 'text/event-stream', cookie, ...extra };
    const req = http.get(url, { headers }, (res) => {
      res.setEncoding('utf8');
      res.once('data', (first: string) => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, first });
        req.destroy();
      });
    });
    req.on('error', reject);
  });
}

const security = (headers: Record<string, unknown>) =>
  Object.fromEntries(SECURITY.filter((h) => headers[h] !== undefined).map((h) => [h, headers[h]]));

describe('the event stream’s response head', () => {
  it('carries the same security headers as every other answer, on the first stream and on later ones', async () => {
    const { t, w, base } = await started();
    const api = await fetch(`${base}/api/v1/staff/session`, {
      headers: { cookie: w.as.receptionist.cookie! },
    });
    const expected = security(Object.fromEntries(api.headers));
    expect(Object.keys(expected).length).toBeGreaterThanOrEqual(10);
    for (const who of [w.as.receptionist, w.as.nurse, w.as.receptionist]) {
      const head = await streamHead(`${base}/api/v1/events`, who.cookie!);
      expect(head.status).toBe(200);
      expect(security(head.headers)).toEqual(expected);
      expect(head.headers).toMatchObject({
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'transfer-encoding': 'chunked',
      });
      expect(head.headers.date).toBeDefined();
      expect(head.first).toContain('retry: 3000');
    }
    const patient = await streamHead(`${base}/api/v1/events?as=patient`, w.as.alice.cookie!);
    expect(patient.status).toBe(200);
    expect(security(patient.headers)).toEqual(expected);
    // Every stream that hung up has left the hub.
    const hub = (t.app as unknown as { events: EventHub }).events;
    await expect.poll(() => hub.size()).toBe(0);
  });

  it('leaves nothing in the hub when the client hangs up while its stream is being added', async () => {
    const { t, w, base } = await started();
    const hub = (t.app as unknown as { events: EventHub }).events;
    // With a Last-Event-ID the hub reads the chamber's events before it adds the stream: these
    // clients are gone by then (they hang up on the first bytes, sent before that).
    const heads = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        streamHead(`${base}/api/v1/events`, w.as.receptionist.cookie!, {
          'last-event-id': String(i + 1),
        }),
      ),
    );
    expect(heads.map((h) => h.status)).toEqual(Array(10).fill(200));
    // These hang up as soon as the request is sent: most are gone before their session is read.
    await Promise.all(
      Array.from(
        { length: 10 },
        () =>
          new Promise<void>((resolve) => {
            const socket = net.connect(Number(new URL(base).port), '127.0.0.1', () => {
              socket.end(
                `GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nCookie: ${w.as.receptionist.cookie!}\r\n\r\n`,
                () => {
                  socket.destroy();
                  resolve();
                },
              );
            });
          }),
      ),
    );
    await expect.poll(() => hub.size()).toBe(0);
    // And a stream that stays is still counted (the poll above is not vacuous).
    const kept = http.get(`${base}/api/v1/events`, {
      headers: { accept: 'text/event-stream', cookie: w.as.nurse.cookie! },
    });
    await expect.poll(() => hub.size()).toBe(1);
    kept.destroy();
    await expect.poll(() => hub.size()).toBe(0);
  });

  it('keeps no listener of Fastify on an open stream, and Node still hands the connection on when the server ends it', async () => {
    // Heartbeats re-check the sessions: a short one ends the signed-out stream at once.
    const { t, w, base } = await started({ config: { eventsHeartbeatMs: 200 } });
    const hub = (t.app as unknown as { events: EventHub }).events;
    // Before Fastify sees the request: the one 'finish' listener on the response is Node's own.
    const seen: { res: ServerResponse; nodeFinish: unknown[] }[] = [];
    t.app.server.prependListener('request', (req: http.IncomingMessage, res: ServerResponse) => {
      if (req.url?.startsWith('/api/v1/events'))
        seen.push({ res, nodeFinish: res.listeners('finish') });
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const ended = new Promise<string>((resolve, reject) => {
        http
          .get(
            `${base}/api/v1/events`,
            { agent, headers: { accept: 'text/event-stream', cookie: w.as.receptionist.cookie! } },
            (res) => {
              let body = '';
              res.setEncoding('utf8');
              res.on('data', (chunk: string) => (body += chunk));
              res.on('end', () => resolve(body));
            },
          )
          .on('error', reject);
      });
      await expect.poll(() => hub.size()).toBe(1);
      expect(seen).toHaveLength(1);
      const { res, nodeFinish } = seen[0]!;
      expect(nodeFinish).toHaveLength(1);
      // Fastify's request log and onResponse hooks, and @fastify/multipart's clean-up, held the
      // request and reply for as long as the stream lives: they are gone, Node's listener stays.
      expect(res.listeners('finish')).toEqual(nodeFinish);
      expect(res.listenerCount('close')).toBe(0);
      expect(res.listenerCount('error')).toBe(1);
      expect(res.headersSent).toBe(true);

      // Signing out ends the stream from the server's side ...
      expect((await w.as.receptionist.delete('/api/v1/staff/session')).status).toBe(200);
      expect(await ended).toContain('event: closed');
      await expect.poll(() => hub.size()).toBe(0);
      // ... and the kept-alive connection answers the next request (Node's 'finish' listener ran).
      const next = await new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
        const req = http.get(`${base}/api/v1/health`, { agent }, (r) => {
          r.resume();
          r.on('end', () => resolve({ status: r.statusCode ?? 0, reused: req.reusedSocket }));
        });
        req.on('error', reject);
      });
      expect(next).toEqual({ status: 200, reused: true });
    } finally {
      agent.destroy();
    }
  });

  it('sends HSTS on an https install and not on another app of the same process', async () => {
    const secure = await started({ config: { publicUrl: 'https://portal.example' } });
    const plain = await started();
    const secureHead = await streamHead(
      `${secure.base}/api/v1/events`,
      secure.w.as.receptionist.cookie!,
    );
    expect(secureHead.status).toBe(200);
    expect(secureHead.headers['strict-transport-security']).toContain('max-age=31536000');
    const plainHead = await streamHead(
      `${plain.base}/api/v1/events`,
      plain.w.as.receptionist.cookie!,
    );
    expect(plainHead.status).toBe(200);
    expect(plainHead.headers['strict-transport-security']).toBeUndefined();
  });
});
