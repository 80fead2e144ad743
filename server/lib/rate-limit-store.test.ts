import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../app.js';
import { fromPostgres } from '../db/connect.js';
import { createBand, createChamber, createPatient, type TestChamber } from '../test/factories.js';
import { client, type Reply } from '../test/http.js';
import { freePort } from '../test/processes.js';
import { buildTestApp, openTestDatabase, testConfig, type TestApp } from '../test/test-app.js';

// Issue 17, finding 9: the limits against credential guessing (sign-in, password links, the
// integration token endpoint) count in the database, so every web process shares them. Their
// windows are fixed and aligned on the clock (the test app's clock starts on a whole minute).

const onPostgres = inject('engine') === 'postgres';
const LIMIT = 3;

type Counter = {
  key: string;
  window_ends_at: Date | string;
  hits: number;
};

let t: TestApp;
let c: TestChamber;

beforeAll(async () => {
  t = await buildTestApp({ config: { signInRateLimitPerMinute: LIMIT } });
  c = await createChamber(t);
  const band = await createBand(t, c, { messaging: true });
  await createPatient(t, c, { bandId: band });
});
afterAll(() => t?.close());

const counters = async (): Promise<Counter[]> =>
  (
    await t.db.execute<Counter>(
      sql`select key, window_ends_at, hits from rate_limit_counters order by key, window_ends_at`,
    )
  ).rows.map((r) => ({ ...r, window_ends_at: new Date(r.window_ends_at).toISOString() }));

const signIn = (): Promise<Reply> =>
  client(t.app).post('/api/v1/portal/session', {
    chamber: c.key,
    email: 'nobody@patients.example',
    password: 'not-the-password-1',
  });

describe('the shared rate limit on one app', () => {
  it('counts sign-ins in rate_limit_counters: the 4th in a minute answers 429 in the error shape with Retry-After', async () => {
    const start = t.clock().getTime();
    t.clock.advance(20_000);
    const answers: Reply[] = [];
    for (let i = 0; i <= LIMIT; i += 1) answers.push(await signIn());
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 429]);
    const refused = answers.at(-1)!;
    expect(refused.body).toEqual({
      error: { status: 429, code: 'too_many_requests', message: expect.any(String) },
    });
    // The window ends on the whole minute: 40 seconds from now.
    expect(refused.headers['retry-after']).toBe('40');
    expect(await counters()).toEqual([
      {
        key: 'POST /api/v1/portal/session 127.0.0.1',
        window_ends_at: new Date(start + 60_000).toISOString(),
        hits: LIMIT + 1,
      },
    ]);
  });

  it('keeps refusing until the window ends on the clock, then allows again', async () => {
    t.clock.advance(39_000);
    const last = await signIn();
    expect(last.status).toBe(429);
    expect(last.headers['retry-after']).toBe('1');
    t.clock.advance(1_000);
    expect((await signIn()).status).toBe(401);
  });

  it('keeps each route its own count: the staff sign-in and the reset link are not used up', async () => {
    for (let i = 0; i < LIMIT; i += 1) await signIn();
    expect((await signIn()).status).toBe(429);
    const staff = await client(t.app).post('/api/v1/staff/session', {
      chamber: c.key,
      email: 'nobody@staff.example',
      password: 'not-the-password-1',
    });
    expect(staff.status).toBe(401);
    const reset = await client(t.app).post('/api/v1/portal/password-reset', {
      chamber: c.key,
      email: 'nobody@patients.example',
    });
    expect(reset.status).toBe(202);
  });

  it('shares every limit against guessing: sign-in, reset, invitation and reset links, the token endpoint', async () => {
    t.clock.advance(60_000);
    for (const kind of ['staff', 'portal']) {
      await client(t.app).post(`/api/v1/${kind}/session`, {
        chamber: c.key,
        email: 'nobody@example.com',
        password: 'not-the-password-1',
      });
      await client(t.app).post(`/api/v1/${kind}/password-reset`, {
        chamber: c.key,
        email: 'nobody@example.com',
      });
      await client(t.app).post(`/api/v1/${kind}/password`, {
        token: 'x'.repeat(43),
        password: 'a-new-password-1',
      });
    }
    await client(t.app).post('/oauth2/token', {
      grant_type: 'client_credentials',
      client_id: 'nobody',
      client_secret: 'guess',
    });
    // A throughput limit (FHIR reads) stays per process: no database write per FHIR request.
    await client(t.app).get('/fhir/R4/metadata');
    const now = t.clock().getTime();
    const current = (await counters()).filter((r) => new Date(r.window_ends_at).getTime() > now);
    expect(current.map((r) => r.key).sort()).toEqual(
      [
        'POST /api/v1/portal/password 127.0.0.1',
        'POST /api/v1/portal/password-reset 127.0.0.1',
        'POST /api/v1/portal/session 127.0.0.1',
        'POST /api/v1/staff/password 127.0.0.1',
        'POST /api/v1/staff/password-reset 127.0.0.1',
        'POST /api/v1/staff/session 127.0.0.1',
        'POST /oauth2/token 127.0.0.1',
      ].sort(),
    );
    expect(current.every((r) => r.hits === 1)).toBe(true);
  });

  it('has the worker delete ended windows and keep the current one', async () => {
    const now = t.clock().getTime();
    expect((await counters()).some((r) => new Date(r.window_ends_at).getTime() <= now)).toBe(true);
    await t.deliverMail();
    const left = await counters();
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((r) => new Date(r.window_ends_at).getTime() > now)).toBe(true);
    // The next minute, those end too and go at the worker's next sweep.
    t.clock.advance(60_000 * 10);
    await t.deliverMail();
    expect(await counters()).toEqual([]);
  });

  it('counts a throughput limit (FHIR, 600 a minute) in the process, in windows on the clock', async () => {
    t.clock.advance((60_000 - (t.clock().getTime() % 60_000)) % 60_000);
    const before = await counters();
    const statuses: number[] = [];
    for (let i = 0; i < 601; i += 1)
      statuses.push((await t.app.inject({ method: 'GET', url: '/fhir/R4/metadata' })).statusCode);
    expect(statuses.slice(0, 600).every((s) => s === 200)).toBe(true);
    expect(statuses[600]).toBe(429);
    expect(await counters()).toEqual(before);
    t.clock.advance(60_000);
    expect((await t.app.inject({ method: 'GET', url: '/fhir/R4/metadata' })).statusCode).toBe(200);
  });
});

describe.skipIf(!onPostgres)('the shared rate limit without its database', () => {
  it('fails closed: a sign-in answers 503 database_unavailable with Retry-After', async () => {
    // The app starts on a real database (its event hub listens there); its queries then go
    // to a port nobody listens on.
    const real = await openTestDatabase();
    const dead = fromPostgres(
      `postgres://portal_test:portal_test@127.0.0.1:${await freePort()}/nothing`,
      1,
    );
    const app = await buildApp({
      config: testConfig({ signInRateLimitPerMinute: LIMIT }),
      database: { ...real, db: dead.db },
    });
    try {
      const res = await client(app).post('/api/v1/portal/session', {
        chamber: 'any',
        email: 'nobody@patients.example',
        password: 'not-the-password-1',
      });
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        error: { status: 503, code: 'database_unavailable', message: expect.any(String) },
      });
      expect(res.headers['retry-after']).toBeDefined();
    } finally {
      await app.close();
      await dead.close();
      await real.close();
    }
  });
});
