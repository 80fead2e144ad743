import { createHash, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minutes } from '../../lib/clock.js';
import {
  createBand,
  createChamber,
  createPatient,
  createStaff,
  createWorld,
  PASSWORD,
  takeLink,
  type TestChamber,
  type World,
} from '../../test/factories.js';
import { client, pdfUpload, type Client } from '../../test/http.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import { createIntegration, getToken } from '../fhir/fhir-test-support.js';

type Kind = 'staff' | 'patient';
const base = (kind: Kind) => (kind === 'staff' ? '/api/v1/staff' : '/api/v1/portal');

/** Signs in through the API; returns the status, the raw session token and a client with its cookie. */
async function signIn(t: TestApp, kind: Kind, chamber: string, email: string, password = PASSWORD) {
  const res = await t.app.inject({
    method: 'POST',
    url: `${base(kind)}/session`,
    payload: { chamber, email, password },
  });
  const set = res.headers['set-cookie'];
  const cookie = (Array.isArray(set) ? set[0] : set)?.split(';')[0];
  return {
    status: res.statusCode,
    token: cookie?.slice(cookie.indexOf('=') + 1),
    client: client(t.app, cookie),
  };
}

/** Every table of the product's schema. */
async function tables(t: TestApp): Promise<string[]> {
  const r = await t.db.execute<{ table_name: string }>(sql`
    select table_name from information_schema.tables
     where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`);
  return r.rows.map((x) => x.table_name);
}

/** The tables whose rows contain this text anywhere (any column, as PostgreSQL prints the row). */
async function tablesContaining(t: TestApp, text: string): Promise<string[]> {
  const found: string[] = [];
  for (const table of await tables(t)) {
    const r = await t.db.execute<{ n: string | number }>(
      sql`select count(*) as n from ${sql.identifier(table)} x where position(${text} in x::text) > 0`,
    );
    if (Number(r.rows[0]?.n) > 0) found.push(table);
  }
  return found;
}

const sha256 = (token: string) => createHash('sha256').update(token).digest();

describe('sessions and passwords', () => {
  let t: TestApp;
  let c: TestChamber;
  let band: string;
  let staff: { id: string; email: string };
  let patient: { id: string; email: string };

  beforeAll(async () => {
    t = await buildTestApp();
    c = await createChamber(t);
    band = await createBand(t, c, { messaging: true });
    staff = await createStaff(t, c, { name: 'Tok Staff' });
    patient = await createPatient(t, c, { bandId: band, given: 'Tokia' });
  });
  afterAll(() => t?.close());

  describe('session tokens (≥128 bits, only their SHA-256 stored)', () => {
    it('50 staff and 10 patient sign-ins give 60 distinct random tokens of at least 16 bytes', async () => {
      const tokens: string[] = [];
      for (let i = 0; i < 50; i += 1)
        tokens.push((await signIn(t, 'staff', c.key, staff.email)).token!);
      for (let i = 0; i < 10; i += 1)
        tokens.push((await signIn(t, 'patient', c.key, patient.email)).token!);
      for (const token of tokens) {
        expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
        const bytes = Buffer.from(token, 'base64url');
        // base64url decodes back to the same text: nothing was dropped.
        expect(bytes.toString('base64url')).toBe(token);
        expect(bytes.length).toBeGreaterThanOrEqual(16);
      }
      expect(new Set(tokens).size).toBe(60);
      // Random, not a counter or a time: no two tokens share their first 8 bytes.
      expect(
        new Set(tokens.map((x) => Buffer.from(x, 'base64url').subarray(0, 8).toString('hex'))).size,
      ).toBe(60);
      // Every bit position is set in some tokens and clear in others.
      const width = Math.min(...tokens.map((x) => Buffer.from(x, 'base64url').length)) * 8;
      for (let bit = 0; bit < width; bit += 1) {
        const ones = tokens.filter(
          (x) => (Buffer.from(x, 'base64url')[bit >> 3]! >> (7 - (bit & 7))) & 1,
        ).length;
        expect(ones, `bit ${bit}`).toBeGreaterThan(0);
        expect(ones, `bit ${bit}`).toBeLessThan(60);
      }
    });

    it('stores the SHA-256 of the token, never the token: no table holds it, and the hash works only through the cookie', async () => {
      for (const kind of ['staff', 'patient'] as const) {
        const s = await signIn(t, kind, c.key, kind === 'staff' ? staff.email : patient.email);
        expect(s.status).toBe(200);
        const token = s.token!;
        expect(await tablesContaining(t, token), kind).toEqual([]);
        const digest = sha256(token);
        const rows = await t.db.execute<{ token_hash: string }>(sql`
        select token_hash from sessions
         where token_hash in (${digest.toString('base64url')}, ${digest.toString('hex')}, ${digest.toString('base64')})`);
        expect(rows.rows, kind).toHaveLength(1);
        // The stored hash as a cookie opens nothing.
        const stored = rows.rows[0]!.token_hash;
        const name = kind === 'staff' ? 'staff_session' : 'portal_session';
        const forged = client(t.app, `${name}=${stored}`);
        expect((await forged.get(`${base(kind)}/session`)).status).toBe(401);
        expect((await s.client.get(`${base(kind)}/session`)).status).toBe(200);
      }
    });
  });

  describe('a new password ends every session of the account, everywhere', () => {
    for (const kind of ['staff', 'patient'] as const) {
      it(`${kind}: the sessions of every device end, one opened after the link was sent too; other accounts keep theirs`, async () => {
        const email =
          kind === 'staff'
            ? (await createStaff(t, c, { name: `Many Devices ${kind}` })).email
            : (await createPatient(t, c, { bandId: band, given: 'Many' })).email;
        const bystander =
          kind === 'staff'
            ? (await createStaff(t, c, { name: `Bystander ${kind}` })).email
            : (await createPatient(t, c, { bandId: band, given: 'Bystander' })).email;
        const phone = (await signIn(t, kind, c.key, email)).client;
        const laptop = (await signIn(t, kind, c.key, email)).client;
        const other = (await signIn(t, kind, c.key, bystander)).client;
        await t.app.inject({
          method: 'POST',
          url: `${base(kind)}/password-reset`,
          payload: { chamber: c.key, email },
        });
        const token = await takeLink(t, email);
        const tablet = (await signIn(t, kind, c.key, email)).client;
        for (const device of [phone, laptop, tablet])
          expect((await device.get(`${base(kind)}/session`)).status).toBe(200);

        const set = await t.app.inject({
          method: 'POST',
          url: `${base(kind)}/password`,
          payload: { token, password: 'brand-new-pass-61' },
        });
        expect(set.statusCode, set.body).toBe(200);
        for (const device of [phone, laptop, tablet]) {
          const res = await device.get(`${base(kind)}/session`);
          expect(res.status).toBe(401);
          expect(res.body.error.code).toBe('unauthenticated');
        }
        expect((await other.get(`${base(kind)}/session`)).status).toBe(200);
        expect((await signIn(t, kind, c.key, email)).status).toBe(401);
        expect((await signIn(t, kind, c.key, email, 'brand-new-pass-61')).status).toBe(200);
      });
    }
  });
});

describe('one chamber, as in use', () => {
  let t: TestApp;
  let w: World;

  beforeAll(async () => {
    t = await buildTestApp();
    w = await createWorld(t);
  });
  afterAll(() => t?.close());

  describe('stored password hashes', () => {
    /** argon2id, version 19, OWASP's parameters (19 MiB, 2 passes, 1 lane), 16-byte salt, 32-byte hash. */
    const PHC = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;

    const userHash = async (id: string) =>
      (
        await t.db.execute<{ password_hash: string }>(
          sql`select password_hash from users where id = ${id}::uuid`,
        )
      ).rows[0]!.password_hash;
    const patientHash = async (id: string) =>
      (
        await t.db.execute<{ password_hash: string }>(
          sql`select password_hash from portal_accounts where patient_id = ${id}::uuid`,
        )
      ).rows[0]!.password_hash;

    it('is an argon2id PHC string with $argon2id$v=19$m=19456,t=2,p=1$, whichever way the password was set', async () => {
      // New User with a password (admin, through the API).
      const made = await w.as.admin.post('/api/v1/admin/users', {
        name: 'Hash Person',
        email: 'hash.person@example.test',
        password: 'hash-password-42',
      });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      const created = await userHash(made.body.id);
      expect(created).toMatch(PHC);
      expect(created.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
      // Staff password set with a reset link.
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/staff/password-reset',
        payload: { chamber: w.chamber.key, email: 'hash.person@example.test' },
      });
      const token = await takeLink(t, 'hash.person@example.test');
      const set = await t.app.inject({
        method: 'POST',
        url: '/api/v1/staff/password',
        payload: { token, password: 'hash-password-43' },
      });
      expect(set.statusCode).toBe(200);
      const reset = await userHash(made.body.id);
      expect(reset).toMatch(PHC);
      expect(reset).not.toBe(created);
      // Patients set theirs from the invitation link (the factory does it as a patient would).
      expect(await patientHash(w.alice.id)).toMatch(PHC);
      expect(await patientHash(w.bob.id)).toMatch(PHC);
      // The same password twice: a fresh salt each time.
      expect(await patientHash(w.alice.id)).not.toBe(await patientHash(w.bob.id));
      expect(await userHash(w.nurse.id)).not.toBe(await userHash(w.receptionist.id));
    });
  });

  describe('GET changes nothing', () => {
    let bearer: string;
    let conversationId: string;
    let messageId: string;

    beforeAll(async () => {
      const sent = await w.as.alice.post('/api/v1/portal/conversations', { text: 'A question' });
      conversationId = sent.body.conversation.id;
      messageId = sent.body.message.id;
      // The admin joins the built-in role, so the admin may open the conversation.
      expect(
        (
          await w.as.admin.put(
            `/api/v1/admin/roles/${w.roles.builtIn}/members/${w.chamber.admin.userId}`,
          )
        ).status,
      ).toBe(200);
      bearer = await getToken(t.app, await createIntegration(w.as.admin, 'GET check'));
      await t.app.listen({ host: '127.0.0.1', port: 0 });
    });

    /**
     * Rows of every table, as a count and a digest of their content; a session's last-seen time
     * is left out, as any request of the session may move it (every 5 s at most).
     */
    async function snapshot(): Promise<Record<string, { rows: number; digest: string }>> {
      const out: Record<string, { rows: number; digest: string }> = {};
      for (const table of await tables(t)) {
        const r = await t.db.execute<{ n: string | number; digest: string }>(sql`
        select count(*) as n,
               md5(coalesce(string_agg((to_jsonb(x) - 'last_seen_at')::text, '|'
                                       order by (to_jsonb(x) - 'last_seen_at')::text), '')) as digest
          from ${sql.identifier(table)} x`);
        out[table] = { rows: Number(r.rows[0]?.n), digest: r.rows[0]!.digest };
      }
      return out;
    }

    it('every GET route of the route table, called by an admin (a patient on portal routes), leaves every table as it was apart from audit_events', async () => {
      const staffFile = pdfUpload('a.pdf', { shareWithPatient: 'true' });
      const staffDocument = await t.app.inject({
        method: 'POST',
        url: `/api/v1/patients/${w.alice.id}/documents`,
        headers: { cookie: w.as.admin.cookie!, ...staffFile.headers },
        payload: staffFile.payload,
      });
      expect(staffDocument.statusCode, staffDocument.body).toBe(201);
      const documentId = staffDocument.json().id as string;
      // A file the patient attached to a message: what FHIR's Binary serves.
      expect(
        (await w.as.admin.patch('/api/v1/admin/settings', { patientAttachmentsEnabled: true }))
          .status,
      ).toBe(200);
      const patientFile = pdfUpload('b.pdf');
      const upload = await t.app.inject({
        method: 'POST',
        url: '/api/v1/portal/documents',
        headers: { cookie: w.as.alice.cookie!, ...patientFile.headers },
        payload: patientFile.payload,
      });
      expect(upload.statusCode, upload.body).toBe(201);
      const attachmentId = upload.json().id as string;
      const attached = await w.as.alice.post(
        `/api/v1/portal/conversations/${conversationId}/messages`,
        {
          text: 'With a file',
          attachmentIds: [attachmentId],
        },
      );
      expect(attached.status, JSON.stringify(attached.body)).toBe(201);
      const ids: Record<string, string> = {
        patients: w.alice.id,
        conversations: conversationId,
        roles: w.roles.builtIn,
        documents: documentId,
        Communication: messageId,
        Patient: w.alice.id,
        Practitioner: w.receptionist.id,
        Group: w.roles.builtIn,
        Binary: attachmentId,
      };
      const QUERY: Record<string, string> = {
        'GET /api/v1/patients': '?query=Archer',
        'GET /api/v1/quick-replies': `?patientId=${w.alice.id}`,
        'GET /api/v1/search': '?q=results',
        'GET /api/v1/portal/search': '?q=results',
        'GET /api/v1/staff/sign-in-options': `?chamber=${w.chamber.key}`,
        'GET /api/v1/staff/sso/start': `?chamber=${w.chamber.key}`,
        'GET /api/v1/admin/reports/reply-times': '?from=2026-01-01&to=2026-01-31&groupBy=role',
        'GET /api/v1/admin/reports/reply-times.csv': '?from=2026-01-01&to=2026-01-31&groupBy=day',
      };
      const port = (t.app.server.address() as AddressInfo).port;

      const before = await snapshot();
      const statuses: Record<string, number> = {};
      // Single sign-on's two navigations answer redirects (302), not 200.
      const redirects = ['GET /api/v1/staff/sso/start', 'GET /api/v1/staff/sso/callback'];
      // The second step answers only a half-signed-in session (access-matrix.test.ts).
      for (const route of t.app.routeAuth.filter(
        (r) => r.method === 'GET' && r.auth !== 'staff-pending',
      )) {
        const k = `GET ${route.url}`;
        const resource = route.url.match(/\/([A-Za-z-]+)\/:id/)?.[1];
        if (resource && !ids[resource]) throw new Error(`${k}: which id should this check use?`);
        const url =
          route.url.replace(':id', resource ? ids[resource]! : '').replace('*', 'index.html') +
          (QUERY[k] ?? '');
        const caller: Client =
          route.auth === 'patient' || route.auth === 'public-or-patient' ? w.as.alice : w.as.admin;
        const headers: Record<string, string> = url.startsWith('/fhir/')
          ? { authorization: `Bearer ${bearer}` }
          : {};
        if (route.auth === 'stream') {
          // A live-events stream: open it over HTTP, read its first bytes, close it.
          const ac = new AbortController();
          const res = await fetch(`http://127.0.0.1:${port}${url}`, {
            headers: { cookie: caller.cookie! },
            signal: ac.signal,
          });
          await res.body!.getReader().read();
          ac.abort();
          statuses[k] = res.status;
          continue;
        }
        statuses[k] = (await caller.get(url, headers)).status;
      }
      const after = await snapshot();
      delete before.audit_events;
      delete after.audit_events;
      // Rate-limited public GETs (sign-in options, single sign-on) count each request.
      delete before.rate_limit_counters;
      delete after.rate_limit_counters;
      expect(after).toEqual(before);
      // The calls did real work: every API and FHIR GET answered 200.
      const refused = Object.entries(statuses).filter(
        ([k, s]) =>
          s !== (redirects.includes(k) ? 302 : 200) &&
          (k.startsWith('GET /api/') || k.startsWith('GET /fhir/')),
      );
      expect(refused).toEqual([]);
      console.info(
        `GET check: ${Object.keys(statuses).length} GET routes, ${Object.keys(before).length} tables compared`,
      );
    });
  });

  describe('CORS', () => {
    it('never answers another site with a wildcard origin or credentials, on any route, preflight or not', async () => {
      let calls = 0;
      for (const route of t.app.routeAuth.filter((r) => r.auth !== 'stream')) {
        const url = route.url
          .replace(':id', randomUUID())
          .replace(':userId', randomUUID())
          .replace('*', 'x');
        for (const res of [
          await t.app.inject({
            method: route.method as 'GET',
            url,
            headers: {
              origin: 'https://evil.example',
              cookie: w.as.admin.cookie!,
              ...(route.method === 'GET' ? {} : { 'content-type': 'application/json' }),
            },
            ...(route.method === 'GET' ? {} : { payload: '{}' }),
          }),
          await t.app.inject({
            method: 'OPTIONS',
            url,
            headers: {
              origin: 'https://evil.example',
              'access-control-request-method': route.method,
              'access-control-request-headers': 'content-type',
            },
          }),
        ]) {
          calls += 1;
          const label = `${route.method} ${route.url} (${res.statusCode})`;
          expect(res.headers['access-control-allow-origin'], label).not.toBe('*');
          expect(res.headers['access-control-allow-origin'], label).not.toBe(
            'https://evil.example',
          );
          expect(res.headers['access-control-allow-credentials'], label).not.toBe('true');
        }
      }
      // And the other site's POST was refused outright (the CSRF defence), not merely unreadable.
      const post = await t.app.inject({
        method: 'POST',
        url: '/api/v1/portal/conversations',
        headers: {
          origin: 'https://evil.example',
          cookie: w.as.alice.cookie!,
          'content-type': 'application/json',
        },
        payload: JSON.stringify({ text: 'from evil' }),
      });
      expect(post.statusCode).toBe(403);
      expect(post.json().error.code).toBe('cross_origin_refused');
      expect(calls).toBeGreaterThan(100);
    });
  });
});

describe('equal work for known and unknown emails', () => {
  let t: TestApp;
  let c: TestChamber;
  const ROUNDS = 11;
  let staff: string[];
  let patients: string[];

  beforeAll(async () => {
    t = await buildTestApp();
    c = await createChamber(t);
    const band = await createBand(t, c, { messaging: true });
    staff = [];
    patients = [];
    for (let i = 0; i < 4; i += 1) {
      staff.push((await createStaff(t, c, { name: `Timing Staff ${i}` })).email);
      patients.push((await createPatient(t, c, { bandId: band, given: `Timing${i}` })).email);
    }
  });
  afterAll(() => t?.close());

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const unknownEmail = () => `nobody-${randomUUID()}@example.test`;

  /** Times known and unknown emails alternately, so machine load falls on both alike; medians in ms. */
  async function race(call: (email: string) => Promise<number>, known: (i: number) => string) {
    const times = { known: [] as number[], unknown: [] as number[] };
    // Warm-up: the first unknown email computes the stand-in password hash once.
    await call(known(0));
    await call(unknownEmail());
    for (let i = 0; i < ROUNDS; i += 1) {
      const order = i % 2 === 0 ? (['known', 'unknown'] as const) : (['unknown', 'known'] as const);
      for (const which of order) {
        const email = which === 'known' ? known(i) : unknownEmail();
        const start = performance.now();
        const status = await call(email);
        times[which].push(performance.now() - start);
        expect(status, which).toBeLessThan(500);
      }
    }
    return { known: median(times.known), unknown: median(times.unknown) };
  }

  /**
   * Unknown within 0.5× to 2× of known, by medians. A noisy machine can upset one measurement;
   * a real difference (no password check for an unknown email, writes only for a known one) upsets
   * every one, so up to three are taken.
   */
  async function expectSimilar(
    label: string,
    measure: () => Promise<{ known: number; unknown: number }>,
  ) {
    const seen: string[] = [];
    let m = { known: 0, unknown: 0 };
    for (let attempt = 0; attempt < 3; attempt += 1) {
      m = await measure();
      seen.push(`known ${m.known.toFixed(1)} ms, unknown ${m.unknown.toFixed(1)} ms`);
      if (m.unknown >= 0.5 * m.known && m.unknown <= 2 * m.known) break;
    }
    console.info(`${t.engine} ${label}: ${seen.join('; ')}`);
    expect(m.unknown, `${label}: ${seen.join('; ')}`).toBeGreaterThanOrEqual(0.5 * m.known);
    expect(m.unknown, `${label}: ${seen.join('; ')}`).toBeLessThanOrEqual(2 * m.known);
  }

  for (const kind of ['staff', 'patient'] as const) {
    const emails = () => (kind === 'staff' ? staff : patients);

    it(`sign-in (${kind}): a wrong password for a known email takes about as long as an unknown email`, async () => {
      await expectSimilar(`sign-in ${kind}`, async () => {
        // No account reaches the lockout (5 failures in a row) while this is measured.
        await t.db.execute(sql`update users set failed_sign_ins = 0, locked_until = null`);
        await t.db.execute(sql`update portal_accounts set failed_sign_ins = 0`);
        return race(
          async (email) =>
            (
              await t.app.inject({
                method: 'POST',
                url: `${base(kind)}/session`,
                payload: { chamber: c.key, email, password: 'not-the-password-1' },
              })
            ).statusCode,
          (i) => emails()[i % emails().length]!,
        );
      });
      // They were wrong passwords for accounts that exist, counted as such.
      const failed = await t.db.execute<{ n: string | number }>(
        kind === 'staff'
          ? sql`select coalesce(sum(failed_sign_ins), 0) as n from users where chamber_id = ${c.id}::uuid`
          : sql`select coalesce(sum(failed_sign_ins), 0) as n from portal_accounts where chamber_id = ${c.id}::uuid`,
      );
      expect(Number(failed.rows[0]?.n)).toBeGreaterThan(0);
    });

    it(`password reset (${kind}): a known email takes about as long as an unknown one`, async () => {
      const links = async () =>
        Number(
          (
            await t.db.execute<{ n: string | number }>(
              sql`select count(*) as n from account_tokens where chamber_id = ${c.id}::uuid`,
            )
          ).rows[0]?.n,
        );
      const before = await links();
      await expectSimilar(`reset ${kind}`, () =>
        race(
          async (email) => {
            // Past the 3-minute limit, so each known request really makes a link.
            t.clock.advance(minutes(3));
            return (
              await t.app.inject({
                method: 'POST',
                url: `${base(kind)}/password-reset`,
                payload: { chamber: c.key, email },
              })
            ).statusCode;
          },
          (i) => emails()[i % emails().length]!,
        ),
      );
      // Each known request made its link: the known side did all its work.
      expect(await links()).toBeGreaterThanOrEqual(before + ROUNDS + 1);
    });
  }
});
