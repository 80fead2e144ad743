import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../common/errors.js';
import { createWorld, type World } from '../test/factories.js';
import { buildTestApp, type TestApp } from '../test/test-app.js';

/*
 * Issue 17, finding 5: every error the server sends has the product's shape,
 * `{ error: { status, code, message, field? } }` as application/json, including the ones the
 * router, Node's HTTP parser and the body parsers answer before any route runs. These are
 * sent over a real socket as raw bytes: app.inject() skips Node's parser.
 */

let t: TestApp;
let w: World;
let port: number;

beforeAll(async () => {
  t = await buildTestApp();
  w = await createWorld(t);
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as AddressInfo).port;
});
afterAll(() => t?.close());

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The bytes the server sent, when they are not an HTTP response. */
  raw: string;
}

/** Writes bytes to the server and reads the one answer (the connection closes after it). */
function raw(bytes: string | Buffer, { timeoutMs = 5000 } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(bytes);
    });
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks).toString('latin1');
      const end = all.indexOf('\r\n\r\n');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(all);
      if (end < 0 || !match) {
        resolve({ status: 0, headers: {}, text: '', raw: all });
        return;
      }
      const headers: Record<string, string> = {};
      for (const line of all.slice(0, end).split('\r\n').slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      let body = all.slice(end + 4);
      if (headers['transfer-encoding'] === 'chunked') {
        let out = '';
        for (;;) {
          const lineEnd = body.indexOf('\r\n');
          const size = parseInt(body.slice(0, lineEnd), 16);
          if (!size) break;
          out += body.slice(lineEnd + 2, lineEnd + 2 + size);
          body = body.slice(lineEnd + 2 + size + 2);
        }
        body = out;
      }
      resolve({
        status: Number(match[1]),
        headers,
        text: Buffer.from(body, 'latin1').toString('utf8'),
        raw: all.slice(0, 300),
      });
    });
    socket.on('timeout', () => reject(new Error('timeout')));
  });
}

const request = (line: string, headers: string[] = [], body = '') =>
  `${line}\r\n${['Host: 127.0.0.1', 'Connection: close', ...headers].join('\r\n')}\r\n\r\n${body}`;

const json = (text: string) => [
  'Content-Type: application/json',
  `Content-Length: ${Buffer.byteLength(text)}`,
];

/** Hostile or broken requests, with the status each must answer (in the product's shape). */
const cases: [string, () => string | Buffer, number | '4xx'][] = [
  // The router: a path Fastify cannot decode, or a parameter over its length limit.
  [
    'bad percent-encoding in the path (%E0%A4%A)',
    () => request('GET /api/v1/patients/%E0%A4%A HTTP/1.1'),
    400,
  ],
  ['%zz in the path', () => request('GET /api/v1/patients/%zz HTTP/1.1'), 400],
  [
    '%zz in the path of a POST',
    () => request('POST /api/v1/patients/%zz/documents HTTP/1.1', json('{}'), '{}'),
    400,
  ],
  ['%zz in the query', () => request('GET /api/v1/inbox?view=%zz HTTP/1.1'), 401],
  [
    'bad percent-encoding in the path and the query',
    () => request('GET /api/v1/patients/%E0%A4%A?x=%E0%A4%A HTTP/1.1'),
    400,
  ],
  [
    'a path parameter of 1,000 characters',
    () => request(`GET /api/v1/patients/${'a'.repeat(1000)} HTTP/1.1`),
    414,
  ],
  [
    '%zz in the query of a signed-in request',
    () =>
      request('GET /api/v1/inbox?view=%zz&roleId=%E0%A4%A HTTP/1.1', [
        `Cookie: ${w.as.receptionist.cookie}`,
      ]),
    '4xx',
  ],
  // Node's HTTP parser, before any route: each of these answers without reaching Fastify's routes.
  ['a 100 KB path', () => request(`GET /api/v1/${'a'.repeat(100 * 1024)} HTTP/1.1`), 431],
  ['a 100 KB query', () => request(`GET /api/v1/inbox?q=${'a'.repeat(100 * 1024)} HTTP/1.1`), 431],
  [
    'a 20 KB header',
    () => request('GET /api/v1/inbox HTTP/1.1', [`X-Big: ${'a'.repeat(20 * 1024)}`]),
    431,
  ],
  ['a request line that is not HTTP', () => 'GARBAGE\r\n\r\n', 400],
  ['an unknown method', () => request('BREW /api/v1/inbox HTTP/1.1'), 400],
  ['an unknown HTTP version', () => request('GET /api/v1/inbox HTTP/9.9'), 400],
  ['an HTTP/2 preface on an HTTP/1.1 port', () => 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 400],
  [
    'a header name with a space',
    () => request('GET /api/v1/inbox HTTP/1.1', ['Bad Header: x']),
    400,
  ],
  [
    'a header value with a bare CR',
    () => request('GET /api/v1/inbox HTTP/1.1', ['X-A: a\rb']),
    400,
  ],
  [
    'Content-Length and Transfer-Encoding together',
    () =>
      request(
        'POST /api/v1/portal/session HTTP/1.1',
        ['Content-Type: application/json', 'Content-Length: 2', 'Transfer-Encoding: chunked'],
        '2\r\n{}\r\n0\r\n\r\n',
      ),
    400,
  ],
  [
    'a Content-Length that is not a number',
    () =>
      request(
        'POST /api/v1/portal/session HTTP/1.1',
        ['Content-Type: application/json', 'Content-Length: abc'],
        '{}',
      ),
    400,
  ],
  [
    'two different Content-Lengths',
    () =>
      request(
        'POST /api/v1/portal/session HTTP/1.1',
        ['Content-Type: application/json', 'Content-Length: 2', 'Content-Length: 3'],
        '{}',
      ),
    400,
  ],
  [
    'a chunk size that is not hexadecimal',
    () =>
      request(
        'POST /api/v1/portal/session HTTP/1.1',
        ['Content-Type: application/json', 'Transfer-Encoding: chunked'],
        'zz\r\n{}\r\n0\r\n\r\n',
      ),
    400,
  ],
  [
    'an HTTP/1.1 request without Host',
    () => 'GET /api/v1/inbox HTTP/1.1\r\nConnection: close\r\n\r\n',
    400,
  ],
  [
    'an Expect header the server does not meet',
    () => request('POST /api/v1/portal/session HTTP/1.1', ['Expect: 200-ok', ...json('{}')], '{}'),
    417,
  ],
  // Content-type and body parsers.
  [
    'a JSON body that is not JSON',
    () => request('POST /api/v1/portal/session HTTP/1.1', json('{"chamber":'), '{"chamber":'),
    400,
  ],
  [
    'an empty JSON body',
    () =>
      request('POST /api/v1/portal/session HTTP/1.1', [
        'Content-Type: application/json',
        'Content-Length: 0',
      ]),
    400,
  ],
  [
    'a text/plain body',
    () =>
      request(
        'POST /api/v1/portal/session HTTP/1.1',
        ['Content-Type: text/plain', 'Content-Length: 2'],
        '{}',
      ),
    415,
  ],
  [
    'a Content-Type that is not a media type',
    () =>
      request(
        'POST /api/v1/portal/session HTTP/1.1',
        ['Content-Type: ;;;', 'Content-Length: 2'],
        '{}',
      ),
    415,
  ],
  [
    'a body over the size limit',
    () =>
      request(
        'POST /api/v1/portal/session HTTP/1.1',
        json(`{"x":"${'a'.repeat(300 * 1024)}"}`),
        `{"x":"${'a'.repeat(300 * 1024)}"}`,
      ),
    413,
  ],
  [
    'a Content-Length over the size limit (body not sent)',
    () =>
      request('POST /api/v1/portal/session HTTP/1.1', [
        'Content-Type: application/json',
        'Content-Length: 10000000',
      ]),
    413,
  ],
  [
    'a JSON body with __proto__',
    () =>
      request(
        'POST /api/v1/portal/session HTTP/1.1',
        json('{"__proto__":{"x":1}}'),
        '{"__proto__":{"x":1}}',
      ),
    400,
  ],
  [
    'a gzip body the server does not decode',
    () =>
      Buffer.from(
        request(
          'POST /api/v1/portal/session HTTP/1.1',
          ['Content-Type: application/json', 'Content-Encoding: gzip', 'Content-Length: 4'],
          '\x1f\x8b\x08\x00',
        ),
        'latin1',
      ),
    // Refused as JSON that is not JSON or as text that is not UTF-8, whichever check runs first.
    '4xx',
  ],
  // Routing and the error handler.
  ['an address that does not exist', () => request('GET /api/v1/nothing-here HTTP/1.1'), 404],
  ['a method no route takes', () => request('PROPFIND /api/v1/inbox HTTP/1.1'), 404],
  ['a route that needs a session', () => request('GET /api/v1/inbox HTTP/1.1'), 401],
];

/** The product's error shape, as application/json, with the HTTP status in the body. */
function expectProductShape(res: RawAnswer, label: string): void {
  const where = `${label}: ${res.raw.slice(0, 200)}`;
  expect(res.headers['content-type'], where).toMatch(/^application\/json; charset=utf-8$/);
  const body = JSON.parse(res.text);
  expect(body, where).toEqual({
    error: {
      status: res.status,
      code: expect.stringMatching(/^[a-z_]+$/),
      message: expect.any(String),
      ...(body.error?.field === undefined ? {} : { field: expect.any(String) }),
    },
  });
  expect(ERROR_CODES as readonly string[], where).toContain(body.error.code);
  // The body is all there is: no stack, no Fastify code, no echo of the request.
  expect(res.text, where).not.toMatch(/FST_|HPE_|node:|at .*\(/);
  expect(Number(res.headers['content-length'] ?? Buffer.byteLength(res.text)), where).toBe(
    Buffer.byteLength(res.text),
  );
}

describe('every error the server sends has the product shape (raw HTTP over a socket)', () => {
  for (const [label, bytes, status] of cases) {
    it(`${label}: ${status}`, async () => {
      const res = await raw(bytes());
      if (status === '4xx') expect(String(res.status), `${label}: ${res.raw}`).toMatch(/^4\d\d$/);
      else expect(res.status, `${label}: ${res.raw}`).toBe(status);
      expectProductShape(res, label);
    });
  }

  it('a long path is refused before it reaches the database; a valid request on the same server works', async () => {
    const ok = await raw(
      request('GET /api/v1/portal/topics HTTP/1.1', [`Cookie: ${w.as.alice.cookie}`]),
    );
    expect(ok.status, ok.raw).toBe(200);
    expect(ok.headers['content-type']).toMatch(/^application\/json/);
  });
});
