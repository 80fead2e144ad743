import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  fromPglite,
  fromPostgres,
  migrateDatabase,
  type Database,
  type Db,
} from '../../db/connect.js';
import { createChamber, createWorld, PASSWORD, type World } from '../../test/factories.js';
import { sealAllAudit } from '../../test/audit-seal.js';
import { migrateUpTo } from '../../test/migrations.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import {
  AUDIT_CHAIN_GENESIS,
  insertAuditEvents,
  sealAuditEvents,
  verifyAuditChain,
  type AuditChainAnchor,
  type AuditChainReport,
  type AuditEntry,
} from './audit.repository.js';

// Issue 7, item 6: a hash chain detects a changed row. Issue 18: requests only insert their
// rows; the sealer links committed rows onto their chamber's chain afterwards (audit_seals,
// migration 0019), and verifyAuditChain recomputes the chain.

const engine = inject('engine');
const onPostgres = engine === 'postgres';
const root = path.resolve(import.meta.dirname, '..', '..', '..');

let t: TestApp;
let w: World;

beforeAll(async () => {
  t = await buildTestApp();
  w = await createWorld(t);
});
afterAll(() => t?.close());

type Link = { id: number; chainSeq: number; prevHash: string; hash: string; action: string };

/** A chamber's chain as stored, in chain order: each link with the row it seals. */
async function chainOf(chamberId: string, db: Db = t.db): Promise<Link[]> {
  const res = await db.execute<{
    id: string | number;
    chain_seq: string | number;
    prev_hash: string;
    hash: string;
    action: string;
  }>(sql`
    select s.audit_event_id as id, s.chain_seq, encode(s.prev_hash, 'hex') as prev_hash,
           encode(s.hash, 'hex') as hash, e.action
      from audit_seals s
      left join audit_events e on e.chamber_id = s.chamber_id and e.id = s.audit_event_id
     where s.chamber_id = ${chamberId}::uuid order by s.chain_seq`);
  return res.rows.map((r) => ({
    id: Number(r.id),
    chainSeq: Number(r.chain_seq),
    prevHash: r.prev_hash,
    hash: r.hash,
    action: r.action,
  }));
}

/** Runs the sealer until every audit row is linked (server/test/audit-seal.ts). */
const seal = (db: Db = t.db) => sealAllAudit(db);

/** The stored chain is well formed: numbered 1..n, each row linked to the one before. */
function expectLinked(chain: Link[]) {
  chain.forEach((link, i) => {
    expect(link.chainSeq).toBe(i + 1);
    expect(link.prevHash).toBe(i === 0 ? AUDIT_CHAIN_GENESIS : chain[i - 1]!.hash);
    expect(link.hash).toMatch(/^[0-9a-f]{64}$/);
  });
}

/** How many rows of the chain carry a lower id than a row chained before them. */
function idInversions(chain: Link[]): number {
  let n = 0;
  let highest = 0;
  for (const link of chain) {
    if (link.id < highest) n += 1;
    highest = Math.max(highest, link.id);
  }
  return n;
}

/** The database's refusal message (drizzle wraps the driver's error as its cause). */
async function refusal(attempt: Promise<unknown>): Promise<string> {
  try {
    await attempt;
  } catch (error) {
    const e = error as { message?: string; cause?: { message?: string } };
    return `${e.message ?? ''} ${e.cause?.message ?? ''}`;
  }
  return 'no error: the statement was accepted';
}

/**
 * What someone with the database owner's rights can do: switch the append-only triggers off
 * for one transaction and change rows or links behind the product's back.
 */
async function tamper(change: (tx: Db) => Promise<unknown>) {
  await t.ownerDb().transaction(async (tx) => {
    await tx.execute(sql`alter table audit_events disable trigger audit_events_no_update_delete`);
    await tx.execute(sql`alter table audit_seals disable trigger audit_seals_no_update_delete`);
    await change(tx);
    await tx.execute(sql`alter table audit_seals enable trigger audit_seals_no_update_delete`);
    await tx.execute(sql`alter table audit_events enable trigger audit_events_no_update_delete`);
  });
}

let entryCounter = 0;
/** A varied audit row, as the services write them. */
function entry(chamberId: string, patientId: string | null = null): AuditEntry {
  entryCounter += 1;
  return {
    chamberId,
    at: new Date(Date.UTC(2031, 2, 30, 0, 30, 0, entryCounter)),
    action: entryCounter % 2 ? 'patient.viewed' : 'message.created',
    actorKind: 'staff',
    actorUserId: randomUUID(),
    actorLabel: `Staff ${entryCounter}`,
    patientId,
    subjectType: 'message',
    subjectId: randomUUID(),
    ip: entryCounter % 3 ? '203.0.113.9' : '2001:db8::9',
    details: { n: entryCounter, text: 'é "quoted"', nested: { a: [1, 2.5, null] } },
  };
}

/** A chamber of its own with `n` audit rows written one by one, and its chain. */
async function chamberWithRows(n: number) {
  const c = await createChamber(t);
  // The chamber's own rows first (none so far), then ours: one insert (transaction) each.
  for (let i = 0; i < n; i += 1)
    await insertAuditEvents(t.db, [entry(c.id, i % 4 === 0 ? w.alice.id : null)]);
  expect(await chainOf(c.id)).toEqual([]);
  await seal();
  const chain = await chainOf(c.id);
  expect(chain).toHaveLength(n);
  expect(await verifyAuditChain(t.db, c.id)).toMatchObject({ ok: true, rows: n });
  return { chamber: c, chain };
}

/** Verification reports the same whole-chain or in small batches (the hash carries over). */
async function verifyBothWays(
  chamberId: string,
  options: { expect?: AuditChainAnchor } = {},
): Promise<AuditChainReport> {
  const whole = await verifyAuditChain(t.db, chamberId, options);
  expect(await verifyAuditChain(t.db, chamberId, { ...options, batchSize: 4 })).toEqual(whole);
  return whole;
}

describe('the chain after real requests', () => {
  it('verifies after sign-ins, sends and reads, 20 of them at the same time', async () => {
    const signIn = (kind: 'staff' | 'patient', email: string, password: string) =>
      t.app.inject({
        method: 'POST',
        url: kind === 'staff' ? '/api/v1/staff/session' : '/api/v1/portal/session',
        payload: { chamber: w.chamber.key, email, password },
        remoteAddress: '203.0.113.77',
      });
    expect((await signIn('staff', w.nurse.email, 'wrong-password-1')).statusCode).toBe(401);
    expect((await signIn('patient', w.bob.email, 'wrong-password-1')).statusCode).toBe(401);
    expect((await signIn('patient', 'nobody@unknown.example', 'x-123456')).statusCode).toBe(401);
    expect((await signIn('staff', w.nurse.email, PASSWORD)).statusCode).toBe(200);

    const started = await w.as.alice.post('/api/v1/portal/conversations', { text: 'Hello' });
    expect(started.status).toBe(201);
    const conversationId: string = started.body.conversation.id;
    const reply = (text: string) =>
      w.as.receptionist.post(`/api/v1/conversations/${conversationId}/messages`, {
        text,
        shareWithPatient: true,
        roleIds: [w.roles.builtIn],
      });
    expect((await reply('Hello Alice')).status).toBe(201);
    expect((await w.as.alice.get(`/api/v1/portal/conversations/${conversationId}`)).status).toBe(
      200,
    );
    expect((await w.as.receptionist.get(`/api/v1/patients/${w.alice.id}/feed`)).status).toBe(200);

    await seal();
    const before = (await chainOf(w.chamber.id)).length;
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        switch (i % 4) {
          case 0:
            return w.as.alice.post('/api/v1/portal/conversations', { text: `Burst ${i}` });
          case 1:
            return reply(`Burst reply ${i}`);
          case 2:
            return w.as.alice.get(`/api/v1/portal/conversations/${conversationId}`);
          default:
            return w.as.receptionist.get(`/api/v1/conversations/${conversationId}`);
        }
      }),
    );
    expect(burst.map((r) => r.status).sort()).toEqual([
      ...Array<number>(10).fill(200),
      ...Array<number>(10).fill(201),
    ]);

    expect(await verifyAuditChain(t.db, w.chamber.id)).toMatchObject({
      ok: true,
      pending: 5 * 2 + 5 + 10,
    });
    await seal();
    const chain = await chainOf(w.chamber.id);
    // 5 new conversations (message + conversation rows), 5 replies, 10 reads.
    expect(chain.length - before).toBe(5 * 2 + 5 + 10);
    expectLinked(chain);
    const actions = new Set(chain.map((l) => l.action));
    for (const a of [
      'staff.sign_in_failed',
      'portal.sign_in_failed',
      'staff.sign_in',
      'portal.sign_in',
      'message.created',
      'conversation.created',
      'conversation.viewed',
      'feed.viewed',
    ])
      expect(actions).toContain(a);
    const report = await verifyBothWays(w.chamber.id);
    const last = chain[chain.length - 1]!;
    expect(report).toEqual({
      ok: true,
      rows: chain.length,
      head: { id: last.id, chainSeq: chain.length, hash: last.hash },
      pending: 0,
    });
    console.log(
      `[audit-chain ${engine}] ${chain.length} rows from real requests verified; ids out of chain order: ${idInversions(chain)}`,
    );
  });

  it.skipIf(!onPostgres)(
    'stays one chain when many connections write the same chamber while the sealer runs: no row skipped, none twice',
    async () => {
      const c = await createChamber(t);
      const WRITERS = 8;
      const EACH = 25;
      const clients = await rawClients(WRITERS);
      let writing = true;
      let sealedWhileWriting = 0;
      // The sealer runs the whole time, as the worker does: it must never link a row before
      // an older transaction's row that commits later, nor miss one.
      const sealer = (async () => {
        while (writing) {
          sealedWhileWriting += await sealAuditEvents(t.db);
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      try {
        await Promise.all(
          clients.map(async (cl, k) => {
            for (let i = 0; i < EACH; i += 1) {
              await cl.query('begin');
              // Raw SQL, not the product's code: every writer's row is sealed.
              await cl.query(
                `insert into audit_events (chamber_id, at, action, actor_kind, details)
                 values ($1, now(), 'raw.concurrent', 'system', $2)`,
                [c.id, JSON.stringify({ writer: k, i })],
              );
              // Hold the transaction open a moment, so that later transactions commit first.
              await cl.query('select pg_sleep($1)', [Math.random() * 0.003]);
              await cl.query('commit');
            }
          }),
        );
      } finally {
        writing = false;
        await sealer;
        await Promise.all(clients.map((cl) => cl.end()));
      }
      await seal();
      const chain = await chainOf(c.id);
      expect(chain).toHaveLength(WRITERS * EACH);
      expect(new Set(chain.map((l) => l.id)).size).toBe(WRITERS * EACH);
      expectLinked(chain);
      expect(sealedWhileWriting).toBeGreaterThan(0);
      expect(await verifyBothWays(c.id)).toMatchObject({
        ok: true,
        rows: WRITERS * EACH,
        pending: 0,
      });
      console.log(
        `[audit-chain ${engine}] ${WRITERS} connections x ${EACH} transactions with the sealer running: chain intact, ${sealedWhileWriting} rows sealed while writing; ids out of chain order: ${idInversions(chain)}`,
      );
    },
  );

  it.skipIf(!onPostgres)(
    'an audit row waits for no other transaction of its chamber, and is sealed only once the older one ends',
    async () => {
      const c = await createChamber(t);
      const [older, newer] = await rawClients(2);
      try {
        await older!.query('begin');
        await older!.query(
          `insert into audit_events (chamber_id, at, action, actor_kind) values ($1, now(), 'raw.older', 'system')`,
          [c.id],
        );
        // With the chain's lock of migration 0007 this insert waited until "older" ended.
        await newer!.query(`set statement_timeout = '2s'`);
        await newer!.query(
          `insert into audit_events (chamber_id, at, action, actor_kind) values ($1, now(), 'raw.newer', 'system')`,
          [c.id],
        );
        // The open transaction holds the sealer's horizon: the committed newer row waits.
        await sealAuditEvents(t.db);
        expect(await chainOf(c.id)).toEqual([]);
        expect(await verifyAuditChain(t.db, c.id)).toMatchObject({ ok: true, pending: 1 });
        await older!.query('commit');
        await seal();
        // Sealed in the order of the transactions that wrote them.
        expect((await chainOf(c.id)).map((l) => [l.chainSeq, l.action])).toEqual([
          [1, 'raw.older'],
          [2, 'raw.newer'],
        ]);
      } finally {
        await Promise.all([older!.end(), newer!.end()]);
      }
    },
  );
});

/** Connections of their own to this test's PostgreSQL database, as the product's role. */
async function rawClients(n: number): Promise<pg.Client[]> {
  const name = (await t.db.execute<{ name: string }>(sql`select current_database() as name`))
    .rows[0]!.name;
  const target = new URL(inject('postgresUrl'));
  target.pathname = `/${name}`;
  return Promise.all(
    Array.from({ length: n }, async () => {
      const cl = new pg.Client({ connectionString: target.toString() });
      await cl.connect();
      return cl;
    }),
  );
}

describe('writers', () => {
  it('seals raw SQL and multi-row inserts in the order they were written', async () => {
    const { chamber: c, chain } = await chamberWithRows(2);
    await t.db.execute(sql`
      insert into audit_events (chamber_id, at, action, actor_kind)
      values (${c.id}::uuid, now(), 'raw.insert', 'system')`);
    await insertAuditEvents(t.db, [
      { ...entry(c.id), action: 'multi.1' },
      { ...entry(c.id), action: 'multi.2' },
      { ...entry(c.id), action: 'multi.3' },
    ]);
    expect(await seal()).toBe(4);
    const after = await chainOf(c.id);
    expect(after.slice(0, 2)).toEqual(chain);
    expect(after.slice(2).map((l) => [l.chainSeq, l.action])).toEqual([
      [3, 'raw.insert'],
      [4, 'multi.1'],
      [5, 'multi.2'],
      [6, 'multi.3'],
    ]);
    expectLinked(after);
    expect(await verifyAuditChain(t.db, c.id)).toMatchObject({ ok: true, rows: 6 });
    // Sealing again links nothing twice.
    expect(await seal()).toBe(0);
    expect(await chainOf(c.id)).toEqual(after);
  });

  it('a link written by hand (the product may add links) is caught by the chain', async () => {
    const { chamber: c, chain } = await chamberWithRows(2);
    await insertAuditEvents(t.db, [entry(c.id)]);
    const [row] = (
      await t.db.execute<{ id: string | number }>(
        sql`select max(id) as id from audit_events where chamber_id = ${c.id}::uuid`,
      )
    ).rows;
    // A link for the new row, out of turn and with a made-up hash, before the sealer runs.
    await t.db.execute(sql`
      insert into audit_seals (chamber_id, chain_seq, audit_event_id, prev_hash, hash, sealed_at)
      values (${c.id}::uuid, 3, ${Number(row!.id)}, decode(${chain[1]!.hash}, 'hex'), sha256('\\x00'::bytea), now())`);
    await seal();
    expect(await verifyAuditChain(t.db, c.id)).toMatchObject({
      ok: false,
      rows: 2,
      firstBadId: Number(row!.id),
      chainSeq: 3,
      reason: expect.stringMatching(/contents do not match its hash/),
    });
  });

  it('gives every chamber a chain of its own, from the genesis value', async () => {
    const a = await createChamber(t);
    const b = await createChamber(t);
    for (let i = 0; i < 3; i += 1) {
      await insertAuditEvents(t.db, [entry(a.id)]);
      await insertAuditEvents(t.db, [entry(b.id)]);
    }
    await seal();
    for (const c of [a, b]) {
      const chain = await chainOf(c.id);
      expect(chain.map((l) => l.chainSeq)).toEqual([1, 2, 3]);
      expect(chain[0]!.prevHash).toBe(AUDIT_CHAIN_GENESIS);
      expect(await verifyAuditChain(t.db, c.id)).toMatchObject({ ok: true, rows: 3 });
    }
    // A chamber without rows verifies as an empty chain.
    const empty = await createChamber(t);
    expect(await verifyAuditChain(t.db, empty.id)).toEqual({
      ok: true,
      rows: 0,
      head: null,
      pending: 0,
    });
  });

  it('links interleaved chambers in runs cut anywhere, even inside a transaction: each chain in write order', async () => {
    await seal();
    const a = await createChamber(t);
    const b = await createChamber(t);
    // One transaction writes rows of both chambers; then one row per transaction, alternating.
    await insertAuditEvents(t.db, [
      entry(a.id),
      entry(b.id),
      entry(a.id),
      entry(b.id),
      entry(a.id),
    ]);
    for (let i = 0; i < 3; i += 1) {
      await insertAuditEvents(t.db, [entry(b.id)]);
      await insertAuditEvents(t.db, [entry(a.id)]);
    }
    const runs: number[] = [];
    for (let n = await sealAuditEvents(t.db, 2); n > 0; n = await sealAuditEvents(t.db, 2))
      runs.push(n);
    expect(runs).toEqual([2, 2, 2, 2, 2, 1]);
    for (const [c, rows] of [
      [a, 6],
      [b, 5],
    ] as const) {
      const chain = await chainOf(c.id);
      expect(chain).toHaveLength(rows);
      expectLinked(chain);
      // Written one after the other, so write order is id order.
      expect(chain.map((l) => l.id)).toEqual([...chain.map((l) => l.id)].sort((x, y) => x - y));
      expect(await verifyBothWays(c.id)).toMatchObject({ ok: true, rows, pending: 0 });
    }
  });

  it('hashes the same whatever the session time zone and date style', async () => {
    const c = await createChamber(t);
    await t.db.transaction(async (tx) => {
      await tx.execute(sql`set local timezone = 'America/St_Johns'`);
      await tx.execute(sql`set local datestyle = 'SQL, DMY'`);
      await tx.execute(sql`set local extra_float_digits = 0`);
      await insertAuditEvents(tx, [entry(c.id), entry(c.id)]);
      await tx.execute(sql`
        insert into audit_events (chamber_id, at, action, actor_kind, details)
        values (${c.id}::uuid, '2031-06-01 12:00:00.123456+05:45', 'raw.tz', 'system', '{"x": 1.50}')`);
    });
    // Sealed under other settings again.
    await t.db.transaction(async (tx) => {
      await tx.execute(sql`set local timezone = 'Pacific/Chatham'`);
      await tx.execute(sql`set local datestyle = 'Postgres, MDY'`);
      await tx.execute(sql`set local extra_float_digits = 1`);
      expect(await sealAllAudit(tx)).toBeGreaterThanOrEqual(3);
    });
    const elsewhere = await t.db.transaction(async (tx) => {
      await tx.execute(sql`set local timezone = 'Asia/Kathmandu'`);
      await tx.execute(sql`set local datestyle = 'German, YMD'`);
      await tx.execute(sql`set local intervalstyle = 'sql_standard'`);
      await tx.execute(sql`set local extra_float_digits = 3`);
      return verifyAuditChain(tx, c.id);
    });
    expect(elsewhere).toMatchObject({ ok: true, rows: 3 });
    expect(await verifyAuditChain(t.db, c.id)).toEqual(elsewhere);
  });

  it('keeps audit rows, links and runs append-only: UPDATE, DELETE and TRUNCATE are refused, even to the owner', async () => {
    const { chamber: c } = await chamberWithRows(1);
    const where = sql`chamber_id = ${c.id}::uuid`;
    // The triggers hold for the tables' owner too (the product's own role has not even the right).
    const owner = t.ownerDb();
    expect(
      await refusal(owner.execute(sql`update audit_events set action = 'x' where ${where}`)),
    ).toMatch(/append-only: UPDATE refused/);
    expect(await refusal(owner.execute(sql`delete from audit_events where ${where}`))).toMatch(
      /append-only: DELETE refused/,
    );
    expect(await refusal(owner.execute(sql`truncate audit_events`))).toMatch(
      /append-only: TRUNCATE refused/,
    );
    expect(
      await refusal(owner.execute(sql`update audit_seals set chain_seq = 9 where ${where}`)),
    ).toMatch(/audit_seals is append-only: UPDATE refused/);
    expect(await refusal(owner.execute(sql`delete from audit_seals where ${where}`))).toMatch(
      /audit_seals is append-only: DELETE refused/,
    );
    expect(await refusal(owner.execute(sql`truncate audit_seals`))).toMatch(
      /append-only: TRUNCATE refused/,
    );
    expect(await refusal(owner.execute(sql`delete from audit_seal_runs`))).toMatch(
      /audit_seal_runs is append-only: DELETE refused/,
    );
    expect(await verifyAuditChain(t.db, c.id)).toMatchObject({ ok: true, rows: 1 });
  });
});

describe('tampering is detected', () => {
  const ROWS = 12;
  const BAD = 6; // the chain position of the changed row

  const changes: [string, (id: number) => ReturnType<typeof sql>][] = [
    ['action', (id) => sql`update audit_events set action = 'patient.searched' where id = ${id}`],
    [
      'details',
      (id) =>
        sql`update audit_events set details = jsonb_set(details, '{n}', '0') where id = ${id}`,
    ],
    [
      'at',
      (id) => sql`update audit_events set at = at + interval '1 microsecond' where id = ${id}`,
    ],
    [
      'patient_id',
      (id) => sql`update audit_events set patient_id = ${w.bob.id}::uuid where id = ${id}`,
    ],
    ['actor_label', (id) => sql`update audit_events set actor_label = null where id = ${id}`],
    ['ip', (id) => sql`update audit_events set ip = '198.51.100.1' where id = ${id}`],
    [
      'boundary (a character moved from subject_id to subject_type)',
      (id) =>
        sql`update audit_events set subject_type = subject_type || left(subject_id, 1), subject_id = substr(subject_id, 2) where id = ${id}`,
    ],
  ];

  it.each(changes)('a changed %s is reported at exactly that row', async (_field, change) => {
    const { chamber: c, chain } = await chamberWithRows(ROWS);
    const bad = chain[BAD - 1]!;
    await tamper((tx) => tx.execute(change(bad.id)));
    expect(await verifyBothWays(c.id)).toEqual({
      ok: false,
      rows: BAD - 1,
      firstBadId: bad.id,
      chainSeq: BAD,
      reason: expect.stringMatching(/contents do not match its hash/),
    });
  });

  it('an empty string in place of NULL is a change', async () => {
    const c = await createChamber(t);
    await insertAuditEvents(t.db, [{ ...entry(c.id), subjectType: null, subjectId: null }]);
    await insertAuditEvents(t.db, [entry(c.id)]);
    await seal();
    const [first] = await chainOf(c.id);
    await tamper((tx) =>
      tx.execute(sql`update audit_events set subject_type = '' where id = ${first!.id}`),
    );
    expect(await verifyAuditChain(t.db, c.id)).toMatchObject({
      ok: false,
      rows: 0,
      firstBadId: first!.id,
    });
  });

  it('a removed middle row is reported at its own link', async () => {
    const { chamber: c, chain } = await chamberWithRows(ROWS);
    await tamper((tx) =>
      tx.execute(sql`delete from audit_events where id = ${chain[BAD - 1]!.id}`),
    );
    expect(await verifyBothWays(c.id)).toEqual({
      ok: false,
      rows: BAD - 1,
      firstBadId: chain[BAD - 1]!.id,
      chainSeq: BAD,
      reason: expect.stringMatching(/the row this link seals is missing/),
    });
  });

  it('removed links, more than a batch of them, are reported at the link after them', async () => {
    const { chamber: c, chain } = await chamberWithRows(ROWS + 2);
    const gone = chain.slice(4, 9).map((l) => l.id); // numbers 5 to 9, rows and links
    await tamper(async (tx) => {
      await tx.execute(sql`delete from audit_events where id in (${sql.join(gone, sql`, `)})`);
      await tx.execute(
        sql`delete from audit_seals where chamber_id = ${c.id}::uuid and chain_seq between 5 and 9`,
      );
    });
    expect(await verifyBothWays(c.id)).toEqual({
      ok: false,
      rows: 4,
      firstBadId: chain[9]!.id,
      chainSeq: 10,
      reason: expect.stringMatching(/number 10 in the chain, 5 was expected/),
    });
  });

  it('a removed link alone leaves its row outside the chain', async () => {
    const { chamber: c, chain } = await chamberWithRows(ROWS);
    await tamper((tx) =>
      tx.execute(
        sql`delete from audit_seals where chamber_id = ${c.id}::uuid and chain_seq = ${ROWS}`,
      ),
    );
    expect(await verifyBothWays(c.id)).toEqual({
      ok: false,
      rows: ROWS - 1,
      firstBadId: chain[ROWS - 1]!.id,
      chainSeq: null,
      reason: expect.stringMatching(/outside the chain/),
    });
  });

  it('a removed middle row, the links after it renumbered, is still reported at the next link', async () => {
    const { chamber: c, chain } = await chamberWithRows(ROWS);
    await tamper(async (tx) => {
      await tx.execute(sql`delete from audit_events where id = ${chain[BAD - 1]!.id}`);
      await tx.execute(
        sql`delete from audit_seals where chamber_id = ${c.id}::uuid and chain_seq = ${BAD}`,
      );
      await tx.execute(
        sql`update audit_seals set chain_seq = chain_seq - 1 where chamber_id = ${c.id}::uuid and chain_seq > ${BAD}`,
      );
    });
    expect(await verifyBothWays(c.id)).toMatchObject({
      ok: false,
      rows: BAD - 1,
      firstBadId: chain[BAD]!.id,
      reason: expect.stringMatching(/prev_hash is not the hash of the link before it/),
    });
  });

  it('a changed row whose hash was recomputed is reported at the next row', async () => {
    const { chamber: c, chain } = await chamberWithRows(ROWS);
    const bad = chain[BAD - 1]!;
    await tamper(async (tx) => {
      await tx.execute(
        sql`update audit_events set action = 'patient.searched' where id = ${bad.id}`,
      );
      await tx.execute(
        sql`update audit_seals s set hash = sha256(s.prev_hash || audit_event_canonical(e, s.chain_seq))
              from audit_events e
             where e.chamber_id = s.chamber_id and e.id = s.audit_event_id and e.id = ${bad.id}`,
      );
    });
    expect((await chainOf(c.id))[BAD - 1]!.hash).not.toBe(bad.hash);
    expect(await verifyBothWays(c.id)).toEqual({
      ok: false,
      rows: BAD,
      firstBadId: chain[BAD]!.id,
      chainSeq: BAD + 1,
      reason: expect.stringMatching(
        /prev_hash is not the hash of the link before it \(row id \d+\)/,
      ),
    });
  });

  it('a changed first row is reported, and so is a first row not chained from the genesis value', async () => {
    const { chamber: c, chain } = await chamberWithRows(3);
    await tamper((tx) =>
      tx.execute(sql`update audit_events set action = 'x' where id = ${chain[0]!.id}`),
    );
    expect(await verifyAuditChain(t.db, c.id)).toMatchObject({
      ok: false,
      rows: 0,
      firstBadId: chain[0]!.id,
    });
    const other = await chamberWithRows(3);
    await tamper((tx) =>
      tx.execute(
        sql`update audit_seals set prev_hash = '\\x01'::bytea where chamber_id = ${other.chamber.id}::uuid and chain_seq = 1`,
      ),
    );
    expect(await verifyAuditChain(t.db, other.chamber.id)).toMatchObject({
      ok: false,
      firstBadId: other.chain[0]!.id,
      reason: expect.stringMatching(/genesis/),
    });
  });

  it('a hash noted earlier catches rows rewritten hashes and all, and rows removed from the end', async () => {
    const { chamber: c, chain } = await chamberWithRows(6);
    const noted = { chainSeq: 4, hash: chain[3]!.hash };
    expect(await verifyAuditChain(t.db, c.id, { expect: noted })).toMatchObject({
      ok: true,
      rows: 6,
    });
    // Rewrite row 3 and every hash after it (rows 3 to 6), as an owner who read the trigger could.
    await tamper(async (tx) => {
      await tx.execute(
        sql`update audit_events set action = 'patient.searched' where id = ${chain[2]!.id}`,
      );
      for (const link of chain.slice(2)) {
        await tx.execute(sql`
          update audit_seals s
             set prev_hash = (select p.hash from audit_seals p
                               where p.chamber_id = s.chamber_id and p.chain_seq = s.chain_seq - 1),
                 hash = sha256((select p.hash from audit_seals p
                                 where p.chamber_id = s.chamber_id and p.chain_seq = s.chain_seq - 1)
                               || audit_event_canonical(e, s.chain_seq))
            from audit_events e
           where e.chamber_id = s.chamber_id and e.id = s.audit_event_id and e.id = ${link.id}`);
      }
    });
    // The chain alone holds (that is what the noted hash is for) ...
    expect(await verifyAuditChain(t.db, c.id)).toMatchObject({ ok: true, rows: 6 });
    // ... the noted hash does not.
    expect(await verifyBothWays(c.id, { expect: noted })).toEqual({
      ok: false,
      rows: 3,
      firstBadId: chain[3]!.id,
      chainSeq: 4,
      reason: expect.stringMatching(/not the one noted earlier/),
    });

    const other = await chamberWithRows(6);
    await tamper(async (tx) => {
      await tx.execute(
        sql`delete from audit_events where id in (${other.chain[4]!.id}, ${other.chain[5]!.id})`,
      );
      await tx.execute(
        sql`delete from audit_seals where chamber_id = ${other.chamber.id}::uuid and chain_seq > 4`,
      );
    });
    expect(await verifyAuditChain(t.db, other.chamber.id)).toMatchObject({ ok: true, rows: 4 });
    expect(
      await verifyAuditChain(t.db, other.chamber.id, {
        expect: { chainSeq: 6, hash: other.chain[5]!.hash },
      }),
    ).toEqual({
      ok: false,
      rows: 4,
      firstBadId: null,
      chainSeq: 6,
      reason: expect.stringMatching(
        /chain ends at number 4, before number 6 .* removed from its end/,
      ),
    });
  });

  it('a row slipped in behind the sealer (an older transaction id, triggers off) is outside the chain', async () => {
    const { chamber: c } = await chamberWithRows(4);
    await t.ownerDb().transaction(async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`);
      await tx.execute(sql`
        insert into audit_events (chamber_id, at, action, actor_kind, xid)
        values (${c.id}::uuid, now(), 'slipped.in', 'system', '3'::xid8)`);
    });
    const [slipped] = (
      await t.db.execute<{ id: string | number }>(
        sql`select id from audit_events where action = 'slipped.in' and chamber_id = ${c.id}::uuid`,
      )
    ).rows;
    // The sealer never links it: it is below every run's horizon.
    await seal();
    expect(await verifyBothWays(c.id)).toEqual({
      ok: false,
      rows: 4,
      firstBadId: Number(slipped!.id),
      chainSeq: null,
      reason: expect.stringMatching(/outside the chain/),
    });
  });
});

/**
 * An empty database of this project's engine (created from nothing, no template), and a way to
 * give the operator's command the database as it is now: the PostgreSQL URL, or for PGlite
 * (one process at a time) a copy in a data directory of its own.
 */
async function emptyDatabase(): Promise<{
  database: Database;
  cliEnv: () => Promise<Record<string, string>>;
  drop: () => Promise<void>;
}> {
  const dirs: string[] = [];
  const dataDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-audit-chain-'));
    dirs.push(dir);
    return dir;
  };
  const removeDirs = () => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
  if (!onPostgres) {
    const client = await PGlite.create();
    const database = fromPglite(client);
    return {
      database,
      cliEnv: async () => {
        const dir = dataDir();
        const copy = await PGlite.create(path.join(dir, 'pglite'), {
          loadDataDir: await client.dumpDataDir('none'),
        });
        await copy.close();
        return { DATA_DIR: dir };
      },
      drop: async () => {
        await database.close().catch(() => undefined);
        removeDirs();
      },
    };
  }
  const name = `portal_chain_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: inject('postgresUrl') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(inject('postgresUrl'));
  url.pathname = `/${name}`;
  const database = fromPostgres(url.toString(), 2);
  return {
    database,
    cliEnv: async () => ({ DATABASE_URL: url.toString(), DATA_DIR: dataDir() }),
    drop: async () => {
      await database.close().catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
      removeDirs();
    },
  };
}

/** Writes `n` audit rows as single-row INSERTs in one transaction; answers the milliseconds. */
async function timeInserts(db: Db, chamberId: string, n: number): Promise<number> {
  const started = performance.now();
  await db.transaction(async (tx) => {
    for (let i = 0; i < n; i += 1) {
      await tx.execute(sql`
        insert into audit_events (chamber_id, at, action, actor_kind, actor_label, ip, details)
        values (${chamberId}::uuid, now(), 'bench.row', 'staff', 'Bench', '203.0.113.1', ${JSON.stringify({ i })}::jsonb)`);
    }
  });
  return performance.now() - started;
}

async function addChamber(db: Db, key: string): Promise<string> {
  const id = randomUUID();
  await db.execute(sql`
    insert into chambers (id, key, name, created_at, updated_at)
    values (${id}::uuid, ${key}, ${key}, now(), now())`);
  return id;
}

/** Runs `npm run audit:verify` as an operator would. */
function verifyCli(env: Record<string, string>, args: string[] = []) {
  return new Promise<{ code: number; out: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'server/cli/verify-audit.ts', ...args],
      {
        cwd: root,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        timeout: 60_000,
      },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : -1) : 0,
          out: stdout + stderr,
        }),
    );
  });
}

describe('migration and operators', () => {
  it('chains the rows written before the chain existed, in id order per chamber, and moves the chains into audit_seals; costs measured; npm run audit:verify', async () => {
    const N = 2000;
    const scratch = await emptyDatabase();
    const { db } = scratch.database;
    try {
      await migrateUpTo(scratch.database, '0005_integration_clients');
      const a = await addChamber(db, 'alpha');
      const b = await addChamber(db, 'beta');
      // Interleaved old rows of two chambers, with the fields the hash covers.
      for (let i = 0; i < 6; i += 1) {
        await db.execute(sql`
          insert into audit_events (chamber_id, at, action, actor_kind, patient_id, ip, details)
          values (${i % 2 ? a : b}::uuid, now(), ${`old.${i}`}, 'system',
                  ${i % 3 ? null : randomUUID()}::uuid, '192.0.2.1', ${JSON.stringify({ i })}::jsonb)`);
      }
      await timeInserts(db, b, 100); // warm-up, not measured
      const beforeMs = await timeInserts(db, b, N);

      await migrateDatabase(scratch.database);
      for (const id of [a, b]) {
        const chain = await chainOf(id, db);
        expectLinked(chain);
        expect(idInversions(chain)).toBe(0);
        expect(await verifyAuditChain(db, id)).toMatchObject({
          ok: true,
          rows: id === a ? 3 : 3 + 100 + N,
        });
      }
      // The append-only trigger is back on after the migration.
      expect(await refusal(db.execute(sql`update audit_events set action = 'x'`))).toMatch(
        /append-only/,
      );

      // Migration 0019 moved the links as they were; the sealer's first horizon is past them.
      expect(await verifyAuditChain(db, b)).toMatchObject({ ok: true, pending: 0 });
      const afterMs = await timeInserts(db, b, N);
      expect(await verifyAuditChain(db, b)).toMatchObject({ ok: true, pending: N });
      const sealStarted = performance.now();
      expect(await seal(db)).toBe(N);
      const sealMs = performance.now() - sealStarted;
      const total = 3 + 100 + 2 * N;
      const verifyStarted = performance.now();
      expect(await verifyAuditChain(db, b)).toMatchObject({ ok: true, rows: total });
      const verifyMs = performance.now() - verifyStarted;
      console.log(
        `[audit-chain ${engine}] ${N} single-row inserts in one transaction: ${beforeMs.toFixed(0)} ms before the chain (0005), ${afterMs.toFixed(0)} ms with the sealer (0019, x${(afterMs / beforeMs).toFixed(2)}); sealing them: ${sealMs.toFixed(0)} ms; verifying ${total} rows: ${verifyMs.toFixed(0)} ms`,
      );

      // The operator's command, on the intact log (PostgreSQL only: a PGlite copy for the
      // command costs seconds, and this part does not depend on the engine) and on a changed one.
      if (onPostgres) {
        const intact = await verifyCli(await scratch.cliEnv());
        expect(intact.code, intact.out).toBe(0);
        expect(intact.out).toMatch(/alpha: intact, 3 rows; newest row id \d+, 3:[0-9a-f]{64}\n/);
        expect(intact.out).toMatch(new RegExp(`beta: intact, ${total} rows`));
        expect(intact.out).toMatch(/Audit log intact: 2 chamber\(s\)/);
      }
      const victim = (await chainOf(a, db))[1]!;
      await db.transaction(async (tx) => {
        await tx.execute(
          sql`alter table audit_events disable trigger audit_events_no_update_delete`,
        );
        await tx.execute(
          sql`update audit_events set details = '{"i": 99}' where id = ${victim.id}`,
        );
        await tx.execute(
          sql`alter table audit_events enable trigger audit_events_no_update_delete`,
        );
      });
      const env = await scratch.cliEnv();
      const broken = await verifyCli(env);
      expect(broken.code, broken.out).toBe(1);
      expect(broken.out).toContain(
        `alpha: BROKEN at audit row id ${victim.id} (number 2 in the chain): its contents do not match its hash`,
      );
      expect(broken.out).toMatch(new RegExp(`beta: intact, ${total} rows`));
      expect(broken.out).toMatch(/AUDIT LOG BROKEN in 1 of 2 chamber\(s\)/);
      if (onPostgres) {
        const head = new RegExp(
          `beta: intact, ${total} rows; newest row id \\d+, (\\d+:[0-9a-f]{64})`,
        ).exec(broken.out)![1]!;
        const one = await verifyCli(env, ['--chamber', 'beta', '--expect', head]);
        expect(one.code, one.out).toBe(0);
        expect(one.out).not.toContain('alpha');
        const wrong = head.replace(/:./, (m) => (m === ':0' ? ':1' : ':0'));
        const rewritten = await verifyCli(env, ['--chamber', 'beta', '--expect', wrong]);
        expect(rewritten.code, rewritten.out).toBe(1);
        expect(rewritten.out).toMatch(
          /beta: BROKEN at audit row id \d+ .*not the one noted earlier/,
        );
        const usage = await verifyCli(env, ['--expect', head]);
        expect(usage.code, usage.out).toBe(2);
        expect(usage.out).toContain('--expect needs --chamber');
      }
    } finally {
      await scratch.drop();
    }
  }, 120_000);

  it.skipIf(onPostgres)(
    'npm run audit:verify refuses a data directory without a database',
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-audit-chain-'));
      try {
        const res = await verifyCli({ DATA_DIR: dir });
        expect(res.code, res.out).toBe(2);
        expect(res.out).toContain('There is no embedded database in');
        // Nothing was created there.
        expect(fs.readdirSync(dir)).toEqual([]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
