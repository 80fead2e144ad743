import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, PASSWORD, type World } from '../test/factories.js';
import type { Client } from '../test/http.js';
import { buildTestApp, type TestApp } from '../test/test-app.js';

/*
 * Issue 17: finding 8 (the cross-site check compares the whole origin, scheme included, with
 * PORTAL_PUBLIC_URL), 10b (routes that take no body refuse one) and 10c
 * (Strict-Transport-Security when the public address is https, never over http).
 */

/** Every table's rows, as a digest: a refused request must change none of them. */
async function digest(t: TestApp): Promise<Record<string, string>> {
  const tables = await t.db.execute<{ name: string }>(sql`
    select table_name as name from information_schema.tables
     where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`);
  const out: Record<string, string> = {};
  // Sessions record when they were last used and counters count requests: both move on any
  // request, refused or not.
  for (const { name } of tables.rows.filter(
    (r) => !['sessions', 'rate_limit_counters'].includes(r.name),
  )) {
    const r = await t.db.execute<{ n: string; d: string }>(sql`
      select count(*)::text as n, md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as d
        from ${sql.identifier(name)} x`);
    out[name] = `${r.rows[0]!.n}:${r.rows[0]!.d}`;
  }
  return out;
}

const sessions = async (t: TestApp) =>
  Number(
    (await t.db.execute<{ n: string }>(sql`select count(*)::text as n from sessions`)).rows[0]!.n,
  );

/** A patient sign-in (a state-changing POST) with the given headers. */
async function signIn(t: TestApp, w: World, headers: Record<string, string>) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/portal/session',
    headers: { 'content-type': 'application/json', ...headers },
    payload: JSON.stringify({ chamber: w.chamber.key, email: w.alice.email, password: PASSWORD }),
  });
  return { status: res.statusCode, body: res.json() as any };
}

describe('finding 8: the Origin is compared whole (scheme, host, port) with PORTAL_PUBLIC_URL', () => {
  describe('public address https://portal.example (behind a proxy: trustProxy)', () => {
    let t: TestApp;
    let w: World;
    beforeAll(async () => {
      t = await buildTestApp({
        config: { publicUrl: 'https://portal.example', secureCookies: true, trustProxy: true },
      });
      w = await createWorld(t);
    });
    afterAll(() => t?.close());

    const refused: [string, Record<string, string>][] = [
      [
        'an http Origin with the right host',
        { host: 'portal.example', origin: 'http://portal.example' },
      ],
      [
        'an http Origin with the right host, the proxy saying http',
        { host: 'portal.example', origin: 'http://portal.example', 'x-forwarded-proto': 'http' },
      ],
      [
        'an http Origin with the right host and port 443',
        { host: 'portal.example:443', origin: 'http://portal.example:443' },
      ],
      ['another port', { host: 'portal.example', origin: 'https://portal.example:8443' }],
      ['a sibling subdomain', { host: 'portal.example', origin: 'https://evil.portal.example' }],
      ['another site', { host: 'portal.example', origin: 'https://evil.example' }],
      [
        'another site that names itself in Host and X-Forwarded-Host',
        {
          host: 'evil.example',
          'x-forwarded-host': 'evil.example',
          origin: 'https://evil.example',
        },
      ],
      ['Origin null', { host: 'portal.example', origin: 'null' }],
      ['an Origin that is not a URL', { host: 'portal.example', origin: 'portal.example' }],
      ['a scheme that is not http', { host: 'portal.example', origin: 'ftp://portal.example' }],
      ['no Origin, Sec-Fetch-Site cross-site', { 'sec-fetch-site': 'cross-site' }],
      ['no Origin, Sec-Fetch-Site same-site', { 'sec-fetch-site': 'same-site' }],
      [
        'the right Origin but Sec-Fetch-Site cross-site',
        { origin: 'https://portal.example', 'sec-fetch-site': 'cross-site' },
      ],
    ];

    for (const [label, headers] of refused) {
      it(`refuses ${label} with 403 cross_origin_refused, storing no session`, async () => {
        const before = await sessions(t);
        const res = await signIn(t, w, headers);
        expect(res.status, JSON.stringify(res.body)).toBe(403);
        expect(res.body).toEqual({
          error: { status: 403, code: 'cross_origin_refused', message: expect.any(String) },
        });
        expect(await sessions(t)).toBe(before);
      });
    }

    const accepted: [string, Record<string, string>][] = [
      ['the public origin', { host: 'portal.example', origin: 'https://portal.example' }],
      [
        'the public origin, whatever Host the proxy forwards',
        { host: '10.0.0.5:3000', origin: 'https://portal.example' },
      ],
      ['the public origin spelt with its default port', { origin: 'https://portal.example:443' }],
      ['the public origin in capitals', { origin: 'HTTPS://PORTAL.EXAMPLE' }],
      ['no Origin (a client that is not a browser: curl, the tests)', {}],
      ['no Origin, Sec-Fetch-Site same-origin', { 'sec-fetch-site': 'same-origin' }],
      [
        'the public origin and Sec-Fetch-Site same-origin',
        { origin: 'https://portal.example', 'sec-fetch-site': 'same-origin' },
      ],
    ];

    for (const [label, headers] of accepted) {
      it(`accepts ${label}`, async () => {
        const res = await signIn(t, w, headers);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
      });
    }

    it('a refused Origin changes nothing on a signed-in route either', async () => {
      await w.as.alice.post('/api/v1/portal/conversations', { text: 'Hello' });
      const before = await digest(t);
      const res = await w.as.receptionist.call(
        'POST',
        '/api/v1/notifications/read-all',
        undefined,
        { origin: 'http://portal.example', host: 'portal.example' },
      );
      expect(res.status).toBe(403);
      expect(await digest(t)).toEqual(before);
    });
  });

  describe('public address http://127.0.0.1:3000 (the demo, development, the tests)', () => {
    let t: TestApp;
    let w: World;
    let proxied: TestApp;
    let pw: World;
    beforeAll(async () => {
      t = await buildTestApp();
      w = await createWorld(t);
      proxied = await buildTestApp({ config: { trustProxy: true } });
      pw = await createWorld(proxied);
    });
    afterAll(async () => {
      await t?.close();
      await proxied?.close();
    });

    it('accepts the public origin, and the name the browser used for this server (the web apps, e2e)', async () => {
      const cases: Record<string, string>[] = [
        { host: '127.0.0.1:3000', origin: 'http://127.0.0.1:3000' },
        { host: 'localhost:5173', origin: 'http://localhost:5173' },
        { host: '127.0.0.1:41234', origin: 'http://127.0.0.1:41234' },
        { origin: 'http://localhost' },
      ];
      for (const headers of cases) {
        const res = await signIn(t, w, headers);
        expect(res.status, JSON.stringify(headers)).toBe(200);
      }
    });

    it('refuses another port, another host and a null Origin', async () => {
      for (const headers of [
        { host: '127.0.0.1:3000', origin: 'http://127.0.0.1:4000' },
        { host: '127.0.0.1:3000', origin: 'http://evil.example' },
        { host: '127.0.0.1:3000', origin: 'null' },
      ]) {
        const res = await signIn(t, w, headers);
        expect(res.status, JSON.stringify(headers)).toBe(403);
      }
    });

    it('refuses an http Origin on a request that came over https (X-Forwarded-Proto, trustProxy)', async () => {
      const before = await sessions(proxied);
      const res = await signIn(proxied, pw, {
        host: 'portal.example',
        'x-forwarded-proto': 'https',
        origin: 'http://portal.example',
      });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('cross_origin_refused');
      expect(await sessions(proxied)).toBe(before);
      const same = await signIn(proxied, pw, {
        host: 'portal.example',
        'x-forwarded-proto': 'https',
        origin: 'https://portal.example',
      });
      expect(same.status).toBe(200);
    });
  });
});

describe('finding 10c: Strict-Transport-Security', () => {
  let https: TestApp;
  let http: TestApp;
  beforeAll(async () => {
    https = await buildTestApp({
      config: { publicUrl: 'https://portal.example', secureCookies: true },
    });
    http = await buildTestApp();
  });
  afterAll(async () => {
    await https?.close();
    await http?.close();
  });

  const urls = ['/api/v1/health', '/api/v1/nothing-here', '/portal/', '/api/v1/inbox'];

  it('is sent on every answer (a year, subdomains included) when the public address is https', async () => {
    for (const url of urls) {
      const res = await https.app.inject({ method: 'GET', url });
      expect(res.headers['strict-transport-security'], url).toBe(
        'max-age=31536000; includeSubDomains',
      );
    }
  });

  it('is never sent when the public address is http', async () => {
    for (const url of urls) {
      const res = await http.app.inject({ method: 'GET', url });
      expect(res.headers['strict-transport-security'], url).toBeUndefined();
    }
  });
});

describe('finding 10b: a route that takes no body refuses one', () => {
  let t: TestApp;
  let w: World;
  let conversation: string;
  let notification: string;
  let topic: string;

  /** Routes that read their body without a JSON body schema: uploads and the token endpoint. */
  const CONSUMERS = new Set([
    'POST /api/v1/patients/:id/documents',
    'POST /api/v1/portal/documents',
    'POST /oauth2/token',
  ]);

  beforeAll(async () => {
    t = await buildTestApp();
    w = await createWorld(t);
    const sent = await w.as.alice.post('/api/v1/portal/conversations', { text: 'hello' });
    conversation = sent.body.conversation.id;
    notification = (await w.as.receptionist.get('/api/v1/notifications')).body.notifications[0].id;
    topic = (await w.as.admin.post('/api/v1/admin/topics', { name: 'Fuzz topic' })).body.id;
  });
  afterAll(() => t?.close());

  /** The routes of the route table that change state and declare no body. */
  async function bodyless(): Promise<{ method: string; url: string; auth: string }[]> {
    await t.app.ready();
    const doc = t.app.swagger() as {
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    };
    const out = [];
    for (const route of t.app.routeAuth) {
      if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(route.method)) continue;
      const key = `${route.method} ${route.url}`;
      if (CONSUMERS.has(key)) continue;
      const op = doc.paths[route.url.replace(/:(\w+)/g, '{$1}')]?.[route.method.toLowerCase()];
      expect(op, `${key} is in the OpenAPI document`).toBeDefined();
      if (!op!.requestBody) out.push(route);
    }
    return out;
  }

  /** A real id for each parameter, so a route that ignored the body would act. */
  const urlOf = (w: World, url: string) =>
    url
      .replace('/admin/roles/:id', `/admin/roles/${w.roles.reception}`)
      .replace(':userId', w.receptionist.id)
      .replace('/admin/topics/:id', `/admin/topics/${topic}`)
      .replace('/notifications/:id', `/notifications/${notification}`)
      .replace('/patients/:id', `/patients/${w.bob.id}`)
      .replace('/conversations/:id', `/conversations/${conversation}`)
      .replace(/:\w+/g, randomUUID());

  const clientFor = (w: World, route: { url: string; auth: string }): Client =>
    route.auth === 'patient' || route.url.startsWith('/api/v1/portal/') ? w.as.alice : w.as.admin;

  it('finds the body-less routes (sign-out, mark read, typing, portal account actions, role members...)', async () => {
    const keys = (await bodyless()).map((r) => `${r.method} ${r.url}`);
    for (const key of [
      'POST /api/v1/notifications/read-all',
      'POST /api/v1/conversations/:id/typing',
      'POST /api/v1/patients/:id/portal-account/disable',
      'DELETE /api/v1/staff/session',
      'PUT /api/v1/admin/roles/:id/members/:userId',
    ])
      expect(keys).toContain(key);
  });

  const bodies: [string, Record<string, string>, string | Buffer][] = [
    ['a JSON object', { 'content-type': 'application/json' }, '{"shareWithPatient":true}'],
    ['a JSON array', { 'content-type': 'application/json' }, '[]'],
    ['a JSON string', { 'content-type': 'application/json' }, '"x"'],
    ['JSON null', { 'content-type': 'application/json' }, 'null'],
    [
      'a multipart form',
      { 'content-type': 'multipart/form-data; boundary=b' },
      '--b\r\nContent-Disposition: form-data; name="x"\r\n\r\ny\r\n--b--\r\n',
    ],
    [
      'a chunked JSON object',
      { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      '{"a":1}',
    ],
  ];

  it('every body-less route refuses a body with 400 body_not_allowed, changing nothing', async () => {
    const routes = await bodyless();
    const problems: string[] = [];
    const before = await digest(t);
    for (const route of routes) {
      const client = clientFor(w, route);
      for (const [label, headers, payload] of bodies) {
        const res = await t.app.inject({
          method: route.method as 'POST',
          url: urlOf(w, route.url),
          headers: { cookie: client.cookie!, ...headers },
          payload,
        });
        const code = res.statusCode < 500 ? res.json().error?.code : undefined;
        // A form sent to a route registered before the multipart parser finds no parser: 415.
        const refused =
          code === 'body_not_allowed' ||
          (label === 'a multipart form' && code === 'unsupported_media_type');
        if (!refused)
          problems.push(
            `${route.method} ${route.url} with ${label}: ${res.statusCode} ${res.body}`,
          );
      }
    }
    expect(problems).toEqual([]);
    expect(await digest(t)).toEqual(before);
    console.info(`10b: ${routes.length} body-less routes x ${bodies.length} bodies refused`);
  });

  it('fast-check: any JSON body other than {} is refused (4xx, one error shape), changing nothing', async () => {
    const targets = [
      { method: 'POST', url: '/api/v1/notifications/read-all', as: () => w.as.receptionist },
      {
        method: 'POST',
        url: `/api/v1/patients/${w.bob.id}/portal-account/disable`,
        as: () => w.as.admin,
      },
      { method: 'DELETE', url: `/api/v1/admin/roles/${w.roles.nurses}`, as: () => w.as.admin },
    ];
    for (const target of targets) {
      await fc.assert(
        fc.asyncProperty(
          fc.jsonValue().filter((v) => JSON.stringify(v) !== '{}'),
          async (value) => {
            const before = await digest(t);
            const res = await target.as().call(target.method, target.url, JSON.stringify(value), {
              'content-type': 'application/json',
            });
            expect(res.status, JSON.stringify(value)).toBeGreaterThanOrEqual(400);
            expect(res.status, JSON.stringify(value)).toBeLessThan(500);
            expect(res.body).toEqual({
              error: expect.objectContaining({ status: res.status, code: expect.any(String) }),
            });
            expect(await digest(t)).toEqual(before);
          },
        ),
        { numRuns: 40, seed: 2026117 },
      );
    }
  });

  it('no body, or {} (what the web apps send), is still accepted on every body-less route', async () => {
    // A world of its own: these requests do act (sign out, disable an account, delete a role).
    const own = await createWorld(t);
    const sent = await own.as.alice.post('/api/v1/portal/conversations', { text: 'hello' });
    conversation = sent.body.conversation.id;
    notification = (await own.as.receptionist.get('/api/v1/notifications')).body.notifications[0]
      .id;
    topic = (await own.as.admin.post('/api/v1/admin/topics', { name: 'Other topic' })).body.id;
    const problems: string[] = [];
    for (const route of await bodyless()) {
      for (const payload of [undefined, '{}', ' { } ']) {
        const client = clientFor(own, route);
        const res = await t.app.inject({
          method: route.method as 'POST',
          url: urlOf(own, route.url),
          headers: {
            cookie: client.cookie!,
            ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(payload === undefined ? {} : { payload }),
        });
        if (res.statusCode >= 500 || res.body.includes('body_not_allowed'))
          problems.push(
            `${route.method} ${route.url} with ${payload}: ${res.statusCode} ${res.body}`,
          );
      }
    }
    expect(problems).toEqual([]);
  });
});
