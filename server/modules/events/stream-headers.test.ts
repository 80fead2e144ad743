import http from 'node:http';
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
