import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config.js';
import { fromPostgres, type Db } from '../../db/connect.js';
import { createWorld, type World } from '../../test/factories.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import { insertAuditEvents, insertReadAuditEvents, type AuditEntry } from './audit.repository.js';

// The audit rows of reads commit without waiting for the WAL flush, in a statement of their
// own (docs/decisions/0007-read-audit-commit.md): the rows are the same as any other's, and
// the setting never outlives the statement.

const onPostgres = inject('engine') === 'postgres';

let t: TestApp;
let w: World;

beforeAll(async () => {
  t = await buildTestApp();
  w = await createWorld(t);
});
afterAll(async () => {
  await t?.close();
});

const entries = (action: string): AuditEntry[] => [
  {
    chamberId: w.chamber.id,
    at: new Date('2026-03-02T10:00:00.123Z'),
    action,
    actorKind: 'staff',
    actorUserId: w.receptionist.id,
    actorLabel: 'Rita Reception',
    patientId: w.alice.id,
    subjectType: 'patient',
    subjectId: w.alice.id,
    ip: '203.0.113.9',
    details: { conversationId: 'c-1', nested: { quote: 'it\'s "here"' } },
  },
  {
    chamberId: w.chamber.id,
    at: new Date('2026-03-02T10:00:01Z'),
    action,
    actorKind: 'patient',
    actorPatientId: w.bob.id,
    actorLabel: null,
    ip: null,
    details: null,
  },
];

async function rowsOf(action: string) {
  const rows = await t.db.execute(sql`
    select chamber_id, at, actor_kind, actor_user_id, actor_patient_id, actor_label, patient_id,
           subject_type, subject_id, host(ip) as ip, details
      from audit_events where action = ${action} order by id`);
  return rows.rows.map((r) => ({ ...r, at: new Date(String(r.at)).toISOString() }));
}

describe('audit rows of reads', () => {
  it('are written exactly as the durable path writes them', async () => {
    await insertAuditEvents(t.db, entries('test.durable'));
    await insertReadAuditEvents(t.db, entries('test.read'), false);
    await insertReadAuditEvents(t.db, entries('test.read_durable'), true);
    const durable = await rowsOf('test.durable');
    expect(durable).toHaveLength(2);
    expect(await rowsOf('test.read')).toEqual(durable);
    expect(await rowsOf('test.read_durable')).toEqual(durable);
  });

  it('leave the connection as they found it: only their own commit skips the flush', async () => {
    // One connection, so the next statement runs where the read's did.
    const one =
      inject('engine') === 'postgres'
        ? fromPostgres(t.url!, 1)
        : { db: t.db, close: async () => {} };
    try {
      const before = await setting(one.db);
      await insertReadAuditEvents(one.db, entries('test.leak'), false);
      expect(await setting(one.db)).toBe(before);
      expect(before).toBe('on');
    } finally {
      await one.close();
    }
  });

  it('reads audited at the same time go in one statement, each row written, a bad one failing alone', async () => {
    const actions = Array.from({ length: 12 }, (_, i) => `test.together_${i}`);
    const record = onPostgres
      ? (await import('../../test/statements.js')).recordStatements
      : async <T>(fn: () => Promise<T>) => ({ result: await fn(), statements: [] });
    const { result, statements } = await record(() =>
      Promise.allSettled([
        ...actions.map((a) => insertReadAuditEvents(t.db, entries(a), false)),
        // Of no chamber: refused by its foreign key.
        insertReadAuditEvents(
          t.db,
          entries('test.refused').map((e) => ({ ...e, chamberId: randomUUID() })),
          false,
        ),
      ]),
    );
    expect(result.map((r) => r.status)).toEqual([...actions.map(() => 'fulfilled'), 'rejected']);
    for (const a of actions) expect(await rowsOf(a)).toHaveLength(2);
    expect(await rowsOf('test.refused')).toHaveLength(0);
    if (onPostgres) {
      // The batch of 13, refused as a whole, then each again on its own.
      const inserts = statements.filter((s) => /insert into audit_events/i.test(s.text));
      expect(inserts).toHaveLength(1 + actions.length + 1);
    }
  });

  it('a Feed read is recorded through the product with its reader', async () => {
    const res = await w.as.receptionist.get(`/api/v1/patients/${w.alice.id}/feed`);
    expect(res.status).toBe(200);
    const rows = await t.db.execute<{ actor_user_id: string; patient_id: string }>(sql`
      select actor_user_id, patient_id from audit_events where action = 'feed.viewed'`);
    expect(rows.rows).toEqual([{ actor_user_id: w.receptionist.id, patient_id: w.alice.id }]);
  });

  it('PORTAL_AUDIT_READS_DURABLE is true or false, false by default', () => {
    const base = { DATA_DIR: '/tmp/portal-config-check' };
    expect(loadConfig(base).auditReadsDurable).toBe(false);
    expect(loadConfig({ ...base, PORTAL_AUDIT_READS_DURABLE: 'true' }).auditReadsDurable).toBe(
      true,
    );
    expect(() => loadConfig({ ...base, PORTAL_AUDIT_READS_DURABLE: 'yes' })).toThrow(ConfigError);
  });
});

async function setting(db: Db): Promise<string> {
  const rows = await db.execute<{ synchronous_commit: string }>(sql`show synchronous_commit`);
  return rows.rows[0]!.synchronous_commit;
}
