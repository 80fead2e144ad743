import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../common/errors.js';
import { createWorld, type World } from '../test/factories.js';
import { buildTestApp, type TestApp } from '../test/test-app.js';

/*
 * Issue 17, finding 1: a malformed multipart upload (boundary missing, wrong or too long, a
 * cut-off body, parts without headers, two files...) answered 500. Every malformed upload to
 * the staff and patient upload routes answers 4xx in the one error shape and stores nothing:
 * no document row, no audit row, no job, no file left on disk.
 */

let t: TestApp;
let w: World;
let port: number;

const MAX_UPLOAD = 64 * 1024;
// A minimal PDF: its first bytes are what the type check reads.
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
const B = 'fuzz-form-boundary-7MA4YWxkTrZu0gW';

beforeAll(async () => {
  t = await buildTestApp({ config: { maxUploadBytes: MAX_UPLOAD } });
  w = await createWorld(t);
  await t.services.settings.update(w.chamber.admin, { patientAttachmentsEnabled: true });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as AddressInfo).port;
});
afterAll(() => t?.close());

interface Route {
  name: string;
  url: () => string;
  cookie: () => string;
}

const routes: Route[] = [
  {
    name: 'staff POST /api/v1/patients/:id/documents',
    url: () => `/api/v1/patients/${w.alice.id}/documents`,
    cookie: () => w.as.receptionist.cookie!,
  },
  {
    name: 'patient POST /api/v1/portal/documents',
    url: () => '/api/v1/portal/documents',
    cookie: () => w.as.alice.cookie!,
  },
];

/** Every file under the documents folder (stored documents and half-received uploads). */
function filesOnDisk(dir = t.config.documentsDir): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .sort();
}

async function state() {
  const n = async (table: string) =>
    Number(
      (await t.db.execute<{ n: string }>(sql.raw(`select count(*) as n from ${table}`))).rows[0]?.n,
    );
  return {
    documents: await n('documents'),
    audit: await n('audit_events'),
    jobs: await n('jobs'),
    files: filesOnDisk(),
  };
}

const incoming = () => filesOnDisk(path.join(t.config.documentsDir, '.incoming'));

type Part = { headers: string[]; content: Buffer };

const filePart = (content: Buffer = PDF, name = 'file', filename = 'scan.pdf'): Part => ({
  headers: [
    `Content-Disposition: form-data; name="${name}"; filename="${filename}"`,
    'Content-Type: application/pdf',
  ],
  content,
});
const field = (name: string, value: string): Part => ({
  headers: [`Content-Disposition: form-data; name="${name}"`],
  content: Buffer.from(value),
});

/** A multipart body as RFC 7578 spells it, with the closing delimiter unless told otherwise. */
function form(parts: Part[], boundary = B, close = true): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n${part.headers.join('\r\n')}\r\n\r\n`));
    chunks.push(part.content, Buffer.from('\r\n'));
  }
  if (close) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

const valid = () => form([field('title', 'Scan'), filePart()]);
const multipart = (boundary: string) => `multipart/form-data; boundary=${boundary}`;

async function send(route: Route, contentType: string | undefined, payload: Buffer) {
  const res = await t.app.inject({
    method: 'POST',
    url: route.url(),
    headers: { cookie: route.cookie(), ...(contentType ? { 'content-type': contentType } : {}) },
    payload,
  });
  let body: unknown;
  try {
    body = res.json();
  } catch {
    body = res.body;
  }
  return { status: res.statusCode, type: res.headers['content-type'], body: body as any };
}

/** The one error shape, with a code from common/errors.ts. */
function expectErrorShape(res: { status: number; type?: unknown; body: any }, label: string) {
  expect(String(res.type), label).toMatch(/^application\/json/);
  expect(res.body, label).toEqual({
    error: expect.objectContaining({
      status: res.status,
      code: expect.any(String),
      message: expect.any(String),
    }),
  });
  expect(
    Object.keys(res.body.error).every((k) => ['status', 'code', 'message', 'field'].includes(k)),
  ).toBe(true);
  expect(ERROR_CODES as readonly string[], label).toContain(res.body.error.code);
}

/** Sends a request that must be refused: a 4xx in the error shape, nothing stored. */
async function expectRefused(
  route: Route,
  label: string,
  contentType: string | undefined,
  payload: Buffer,
  expected?: { status?: number; code?: string },
) {
  const before = await state();
  const res = await send(route, contentType, payload);
  const where = `${route.name}: ${label}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
  expect(res.status, where).toBeGreaterThanOrEqual(400);
  expect(res.status, where).toBeLessThan(500);
  expectErrorShape(res, where);
  if (expected?.status) expect(res.status, where).toBe(expected.status);
  if (expected?.code) expect(res.body.error.code, where).toBe(expected.code);
  expect(await state(), where).toEqual(before);
  return res;
}

const body = valid();
const headerEnd = body.indexOf('\r\n\r\n', body.indexOf('filename=')) + 4;

/** Malformed uploads a probe or a broken client sends; each is refused. */
const malformed: [string, string | undefined, Buffer, { status?: number; code?: string }?][] = [
  ['no boundary parameter', 'multipart/form-data', body, { status: 400, code: 'bad_request' }],
  ['an empty boundary', 'multipart/form-data; boundary=', body, { status: 400 }],
  ['an empty quoted boundary', 'multipart/form-data; boundary=""', body, { status: 400 }],
  [
    'a boundary of 71 characters',
    multipart('b'.repeat(71)),
    form([filePart()], 'b'.repeat(71)),
    { status: 400 },
  ],
  [
    'a boundary of 300 characters',
    multipart('b'.repeat(300)),
    form([filePart()], 'b'.repeat(300)),
    { status: 400 },
  ],
  [
    'a boundary of 5000 characters',
    multipart('b'.repeat(5000)),
    form([filePart()], 'b'.repeat(5000)),
    { status: 400 },
  ],
  [
    'a boundary with a control character',
    'multipart/form-data; boundary="a\u0001b"',
    form([filePart()], 'a\u0001b'),
    { status: 400 },
  ],
  ['another boundary in the body', multipart('not-the-one'), body, { status: 400 }],
  ['a body cut off in the file', multipart(B), body.subarray(0, headerEnd + 10), { status: 400 }],
  [
    'a body cut off in the part headers',
    multipart(B),
    body.subarray(0, headerEnd - 30),
    { status: 400 },
  ],
  [
    'a body cut off after the first boundary line',
    multipart(B),
    Buffer.from(`--${B}\r\n`),
    { status: 400 },
  ],
  [
    'a body cut off before the closing delimiter',
    multipart(B),
    form([filePart()], B, false),
    { status: 400 },
  ],
  [
    'a cut-off closing delimiter',
    multipart(B),
    Buffer.concat([form([filePart()], B, false), Buffer.from(`--${B}`)]),
  ],
  [
    'no closing delimiter, only the file',
    multipart(B),
    body.subarray(0, body.length - B.length - 6),
  ],
  [
    'only the closing delimiter',
    multipart(B),
    Buffer.from(`--${B}--\r\n`),
    { status: 422, code: 'file_required' },
  ],
  ['an empty body', multipart(B), Buffer.alloc(0), { status: 422, code: 'file_required' }],
  ['bytes that are not multipart', multipart(B), Buffer.from('{"title":"x"}'), { status: 400 }],
  [
    'binary noise',
    multipart(B),
    Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)),
  ],
  [
    'a part with no headers',
    multipart(B),
    form([{ headers: [], content: PDF }]),
    { status: 422, code: 'file_required' },
  ],
  [
    'a part with a header line without a colon',
    multipart(B),
    form([{ headers: ['garbage'], content: PDF }]),
  ],
  [
    'a file part with no filename',
    multipart(B),
    form([
      {
        headers: ['Content-Disposition: form-data; name="file"', 'Content-Type: application/pdf'],
        content: PDF,
      },
    ]),
    { status: 422, code: 'file_required' },
  ],
  [
    'a part that is not form-data',
    multipart(B),
    form([
      { headers: ['Content-Disposition: attachment; name="file"; filename="a.pdf"'], content: PDF },
    ]),
    { status: 422, code: 'file_required' },
  ],
  [
    'two files',
    multipart(B),
    form([filePart(), filePart(PDF, 'file', 'second.pdf')]),
    { status: 422 },
  ],
  ['a file under another name', multipart(B), form([filePart(PDF, 'document')]), { status: 422 }],
  [
    'a field named __proto__',
    multipart(B),
    form([field('__proto__', 'x'), filePart()]),
    { status: 400 },
  ],
  [
    'a field named constructor',
    multipart(B),
    form([field('constructor', 'x'), filePart()]),
    { status: 400 },
  ],
  [
    'a JSON field that is not JSON',
    multipart(B),
    form([
      {
        headers: ['Content-Disposition: form-data; name="title"', 'Content-Type: application/json'],
        content: Buffer.from('{'),
      },
      filePart(),
    ]),
  ],
  [
    'eleven fields',
    multipart(B),
    form([...Array.from({ length: 11 }, (_, i) => field(`f${i}`, 'x')), filePart()]),
  ],
  ['thirteen parts', multipart(B), form(Array.from({ length: 13 }, (_, i) => field(`f${i}`, 'x')))],
  [
    'part headers of 100 KB',
    multipart(B),
    form([{ headers: [`X-Long: ${'a'.repeat(100 * 1024)}`, ...filePart().headers], content: PDF }]),
  ],
  [
    'a file over the size limit',
    multipart(B),
    form([filePart(Buffer.concat([PDF, Buffer.alloc(MAX_UPLOAD + 1)]))]),
    { status: 413, code: 'file_too_large' },
  ],
  [
    'a content type that is not multipart/form-data',
    'multipart/mixed; boundary=' + B,
    body,
    { status: 415 },
  ],
  ['no content type', undefined, body, { status: 415 }],
];

describe('malformed multipart uploads', () => {
  for (const route of routes) {
    it(`${route.name}: the valid form is accepted (the check can pass)`, async () => {
      const res = await send(route, multipart(B), valid());
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(incoming()).toEqual([]);
    });

    it(`${route.name}: every malformed upload answers 4xx in the error shape and stores nothing`, async () => {
      // Every case is tried; the failures are listed together.
      const problems: string[] = [];
      for (const [label, contentType, payload, expected] of malformed) {
        try {
          await expectRefused(route, label, contentType, payload, expected);
        } catch (error) {
          problems.push(String((error as Error).message).split('\n')[0]!);
        }
      }
      expect(problems).toEqual([]);
      expect(incoming()).toEqual([]);
    });
  }
});

/** A boundary parameter: RFC 2046 characters, arbitrary text, quotes, or far too long. */
const boundaryArb = fc.oneof(
  fc.constant(B),
  fc.stringMatching(/^[0-9A-Za-z'()+_,\-./:=?]{1,70}$/),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.nat({ max: 400 }).map((n) => 'x'.repeat(n)),
);

/** A Content-Type header: the boundary plainly, quoted, doubled, or with arbitrary parameters. */
const contentTypeArb = fc.oneof(
  boundaryArb.map((b) => multipart(b)),
  boundaryArb.map((b) => `multipart/form-data; boundary="${b}"`),
  fc
    .tuple(boundaryArb, boundaryArb)
    .map(([a, b]) => `multipart/form-data; boundary=${a}; boundary=${b}`),
  fc.string({ maxLength: 120 }).map((s) => `multipart/form-data; ${s}`),
  fc.string({ maxLength: 120 }).map((s) => `multipart/form-data; boundary=${B}; ${s}`),
);

/** Part header lines: the right ones, odd ones, or arbitrary text. */
const headerLineArb = fc.oneof(
  fc.constantFrom(
    'Content-Disposition: form-data; name="file"; filename="a.pdf"',
    'Content-Disposition: form-data; name="file"',
    'Content-Disposition: form-data; name="title"',
    'Content-Disposition: form-data; name="shareWithPatient"',
    'Content-Disposition: form-data; filename="a.pdf"',
    'Content-Disposition: form-data; name="file"; filename=""',
    'Content-Disposition: form-data; name="file"; filename="../../etc/passwd"',
    'Content-Disposition: form-data; name="__proto__"',
    'Content-Type: application/pdf',
    'Content-Type: application/json',
    'Content-Type: application/octet-stream',
    'Content-Type: text/plain; charset=utf-16',
    'Content-Transfer-Encoding: base64',
  ),
  fc.string({ maxLength: 100 }).map((s) => `Content-Disposition: form-data; name="file"; ${s}`),
  fc.string({ maxLength: 100 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
);

const contentArb = fc.oneof(
  fc.constant(PDF),
  fc.constantFrom('true', 'false', 'A title').map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
  fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.concat([PDF, Buffer.from(a)])),
);

const partsArb = fc.array(
  fc.record({ headers: fc.array(headerLineArb, { maxLength: 4 }), content: contentArb }),
  { maxLength: 5 },
);

/** A body: a built form (closed or not), or a valid one truncated, spliced or corrupted. */
const bodyArb = fc.oneof(
  fc.tuple(partsArb, boundaryArb, fc.boolean()).map(([parts, b, close]) => ({
    boundary: b,
    payload: form(parts, b, close),
  })),
  fc
    .nat({ max: valid().length })
    .map((cut) => ({ boundary: B, payload: valid().subarray(0, cut) })),
  fc
    .tuple(fc.nat({ max: valid().length }), fc.uint8Array({ minLength: 1, maxLength: 200 }))
    .map(([at, bytes]) => {
      const v = valid();
      return {
        boundary: B,
        payload: Buffer.concat([v.subarray(0, at), Buffer.from(bytes), v.subarray(at)]),
      };
    }),
  fc
    .tuple(fc.nat({ max: valid().length }), fc.nat({ max: 60 }), fc.uint8Array({ maxLength: 60 }))
    .map(([at, drop, bytes]) => {
      const v = valid();
      return {
        boundary: B,
        payload: Buffer.concat([v.subarray(0, at), Buffer.from(bytes), v.subarray(at + drop)]),
      };
    }),
  fc.uint8Array({ maxLength: 3000 }).map((a) => ({ boundary: B, payload: Buffer.from(a) })),
);

const requestArb = fc.oneof(
  // The body's own boundary in the header: the parts and the boundary are what vary.
  {
    arbitrary: bodyArb.map((b) => ({ contentType: multipart(b.boundary), payload: b.payload })),
    weight: 3,
  },
  // Any Content-Type with any body.
  {
    arbitrary: fc.record({ contentType: contentTypeArb, payload: bodyArb.map((b) => b.payload) }),
    weight: 1,
  },
);

const FUZZ_RUNS = 300;

describe('upload fuzz (fast-check)', () => {
  for (const route of routes) {
    it(`${route.name}: never a 500, a refusal is in the error shape and changes nothing, no file is left behind`, async () => {
      let refused = 0;
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(requestArb, async ({ contentType, payload }) => {
          const before = await state();
          const res = await send(route, contentType, payload);
          const where = `${contentType.slice(0, 120)} | ${payload.length} bytes: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
          expect(res.status, where).toBeLessThan(500);
          if (res.status >= 400) {
            refused += 1;
            expectErrorShape(res, where);
            expect(await state(), where).toEqual(before);
          } else {
            accepted += 1;
            expect(res.status, where).toBe(201);
          }
          expect(incoming(), where).toEqual([]);
        }),
        { numRuns: FUZZ_RUNS, seed: 20261117 },
      );
      console.info(
        `${route.name}: ${FUZZ_RUNS} fuzz runs, ${refused} refused, ${accepted} accepted`,
      );
      expect(refused).toBeGreaterThan(FUZZ_RUNS / 2);
      // 300 uploads: a busy machine takes well over the default 30 s, and a timed-out run would
      // go on writing while the next test counts files.
    }, 180_000);
  }
});

describe('an upload cut off by the client', () => {
  it('leaves no row and no file when the connection closes in the middle of the file', async () => {
    for (const route of routes) {
      const before = await state();
      const payload = form([
        field('title', 'Cut'),
        filePart(Buffer.concat([PDF, Buffer.alloc(40_000, 1)])),
      ]);
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.write(
            `POST ${route.url()} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nCookie: ${route.cookie()}\r\n` +
              `Content-Type: ${multipart(B)}\r\nContent-Length: ${payload.length}\r\n\r\n`,
          );
          socket.write(payload.subarray(0, 20_000), () => setTimeout(() => socket.destroy(), 100));
        });
        socket.on('close', () => resolve());
        socket.on('error', reject);
      });
      // The server notices the closed connection and drops what it had received.
      for (let i = 0; i < 50 && incoming().length > 0; i += 1)
        await new Promise((r) => setTimeout(r, 50));
      expect(incoming(), route.name).toEqual([]);
      expect(await state(), route.name).toEqual(before);
    }
  });
});
