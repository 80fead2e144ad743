import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../test/http.js';
import { createWorld, type World } from '../test/factories.js';
import { buildTestApp, type TestApp } from '../test/test-app.js';

let t: TestApp;
let w: World;
let ids: Record<string, string>;

beforeAll(async () => {
  t = await buildTestApp();
  w = await createWorld(t);
  const sent = await w.as.alice.post('/api/v1/portal/conversations', { text: 'hello' });
  const notes = await w.as.receptionist.get('/api/v1/notifications');
  ids = { conversation: sent.body.conversation.id, notification: notes.body.notifications[0].id };
});
afterAll(() => t?.close());

async function counts(): Promise<string> {
  const tables = [
    'conversations',
    'messages',
    'notifications',
    'jobs',
    'roles',
    'role_members',
    'users',
    'charge_bands',
    'patients',
    'portal_accounts',
    'medical_items',
    'account_tokens',
  ];
  const out: number[] = [];
  for (const table of tables)
    out.push(
      Number(
        (await t.db.execute<{ n: string }>(sql.raw(`select count(*) as n from ${table}`))).rows[0]
          ?.n,
      ),
    );
  return out.join(',');
}

type Target = {
  method: string;
  name: string;
  url: () => string;
  as: () => Client;
  valid: () => Record<string, unknown>;
};

const targets: Target[] = [
  {
    method: 'POST',
    name: '/api/v1/portal/conversations',
    url: () => '/api/v1/portal/conversations',
    as: () => w.as.alice,
    valid: () => ({ text: 'ok' }),
  },
  {
    method: 'POST',
    name: '/api/v1/portal/conversations/:id/messages',
    url: () => `/api/v1/portal/conversations/${ids.conversation}/messages`,
    as: () => w.as.alice,
    valid: () => ({ text: 'ok' }),
  },
  {
    method: 'POST',
    name: '/api/v1/conversations/:id/messages',
    url: () => `/api/v1/conversations/${ids.conversation}/messages`,
    as: () => w.as.receptionist,
    valid: () => ({ text: 'ok', shareWithPatient: true, roleIds: [] }),
  },
  {
    method: 'POST',
    name: '/api/v1/patients/:id/conversations',
    url: () => `/api/v1/patients/${w.alice.id}/conversations`,
    as: () => w.as.receptionist,
    valid: () => ({ text: 'ok', shareWithPatient: false, roleIds: [w.roles.nurses] }),
  },
  {
    method: 'POST',
    name: '/api/v1/notifications/:id/reply',
    url: () => `/api/v1/notifications/${ids.notification}/reply`,
    as: () => w.as.receptionist,
    valid: () => ({ text: 'ok', shareWithPatient: true, roleIds: [] }),
  },
  {
    method: 'POST',
    name: '/api/v1/patients',
    url: () => '/api/v1/patients',
    as: () => w.as.admin,
    valid: () => ({
      givenName: 'Fuzz',
      familyName: 'Test',
      dateOfBirth: '1990-01-01',
      chargeBandId: w.band,
    }),
  },
  {
    method: 'PATCH',
    name: '/api/v1/patients/:id',
    url: () => `/api/v1/patients/${w.bob.id}`,
    as: () => w.as.admin,
    valid: () => ({ mobile: '0123' }),
  },
  {
    method: 'POST',
    name: '/api/v1/admin/roles',
    url: () => '/api/v1/admin/roles',
    as: () => w.as.admin,
    valid: () => ({ name: 'Fuzz role' }),
  },
  {
    method: 'POST',
    name: '/api/v1/admin/users',
    url: () => '/api/v1/admin/users',
    as: () => w.as.admin,
    valid: () => ({ name: 'Fuzz User', email: 'fuzz@example.org' }),
  },
  {
    method: 'PATCH',
    name: '/api/v1/admin/settings',
    url: () => '/api/v1/admin/settings',
    as: () => w.as.admin,
    valid: () => ({ timeZone: 'Europe/London' }),
  },
  {
    method: 'POST',
    name: '/api/v1/admin/charge-bands',
    url: () => '/api/v1/admin/charge-bands',
    as: () => w.as.admin,
    valid: () => ({ name: 'Fuzz band' }),
  },
  {
    method: 'PATCH',
    name: '/api/v1/admin/charge-bands/:id',
    url: () => `/api/v1/admin/charge-bands/${w.band}`,
    as: () => w.as.admin,
    valid: () => ({ onlineSignUpInviteCode: 'abc' }),
  },
  {
    method: 'POST',
    name: '/api/v1/patients/:id/medical-data',
    url: () => `/api/v1/patients/${w.alice.id}/medical-data`,
    as: () => w.as.nurse,
    valid: () => ({
      kind: 'result',
      title: 't',
      date: '2026-01-01',
      text: 'x',
      shareWithPatient: false,
    }),
  },
  {
    method: 'POST',
    name: '/api/v1/staff/session',
    url: () => '/api/v1/staff/session',
    as: () => w.as.receptionist,
    valid: () => ({ chamber: w.chamber.key, email: 'x@example.org', password: 'nope' }),
  },
  {
    method: 'POST',
    name: '/api/v1/portal/password',
    url: () => '/api/v1/portal/password',
    as: () => w.as.alice,
    valid: () => ({ token: 'x'.repeat(43), password: 'some-password-1' }),
  },
  {
    method: 'POST',
    name: '/api/v1/portal/password-reset',
    url: () => '/api/v1/portal/password-reset',
    as: () => w.as.alice,
    valid: () => ({ chamber: w.chamber.key, email: 'nobody@example.org' }),
  },
];

/** Hostile variations of a valid body: a field swapped for anything, extra fields, odd text. */
const hostileBody = (valid: Record<string, unknown>) =>
  fc.oneof(
    fc.jsonValue(),
    fc
      .record({ field: fc.constantFrom(...Object.keys(valid)), value: fc.jsonValue() })
      .map(({ field, value }) => ({ ...valid, [field]: value })),
    fc
      .record({ field: fc.string({ maxLength: 20 }), value: fc.jsonValue() })
      .map(({ field, value }) => ({ ...valid, [field]: value })),
    fc
      .record({
        field: fc.constantFrom(...Object.keys(valid)),
        value: fc.oneof(
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc.constant('\u0000\r\nBcc: x@evil.example'),
          fc.constant('x'.repeat(6000)),
          fc.constant('<script>alert(1)</script>'),
        ),
      })
      .map(({ field, value }) => ({ ...valid, [field]: value })),
    fc.string({ maxLength: 200 }).map((raw) => ({ __raw: raw })),
  );

describe('hostile input on every JSON route', () => {
  for (const target of targets) {
    it(`${target.method} ${target.name}: never a 500, always the one error shape, nothing stored on refusal`, async () => {
      await fc.assert(
        fc.asyncProperty(hostileBody(target.valid()), async (body) => {
          const before = await counts();
          const raw = (body as { __raw?: string })?.__raw;
          const res = await target
            .as()
            .call(target.method, target.url(), raw ?? JSON.stringify(body), {
              'content-type': 'application/json',
            });
          expect(res.status, JSON.stringify(body).slice(0, 200)).toBeLessThan(500);
          if (res.status >= 400) {
            expect(res.body).toEqual({
              error: expect.objectContaining({
                status: res.status,
                code: expect.stringMatching(/^[a-z_]+$/),
                message: expect.any(String),
              }),
            });
            expect(
              Object.keys(res.body.error).every((k) =>
                ['status', 'code', 'message', 'field'].includes(k),
              ),
            ).toBe(true);
            expect(await counts()).toBe(before);
          }
        }),
        { numRuns: 40, seed: 20261125 },
      );
    });
  }
});
