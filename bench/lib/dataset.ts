import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { fromPostgres, migrateDatabase, type Database, type Db } from '../../server/db/connect.js';
import { seedDemo } from '../../server/demo/demo-seed.js';
import { hashPassword } from '../../server/lib/passwords.js';
import { hashToken, newToken } from '../../server/lib/tokens.js';
import { testConfig } from '../../server/test/test-app.js';

/**
 * The benchmark data set: the demo chamber ("demo", Riverside Clinic) plus generated patients,
 * conversations and messages. Every generated id and text is derived from a counter, so two
 * data sets of the same size are identical apart from the demo rows' random ids.
 */
export interface DatasetSize {
  patients: number;
  messages: number;
}

export const DEFAULT_SIZE: DatasetSize = { patients: 100_000, messages: 5_000_000 };
export const QUICK_SIZE: DatasetSize = { patients: 2_000, messages: 20_000 };
export const EMBEDDED_SIZE: DatasetSize = { patients: 10_000, messages: 100_000 };

/** Staff of the built-in role who receive every new patient message (plus the demo's two). */
export const ROLE_STAFF = 8;
/** Members of "Live Bench", the role the live benchmark sends to. */
export const LIVE_STAFF = 1000;
/** Messages per generated conversation. */
const PER_CONVERSATION = 10;
/** Changing the generator changes this, so an old cached data set is not reused. */
const GENERATOR_VERSION = 5;

export const BENCH_PASSWORD = 'bench-password-not-secret-1';

export const patientEmail = (i: number) => `bench${i}@patient.example`;
export const staffEmail = (i: number) => `bench-staff${i}@riverside.example`;
export const liveEmail = (i: number) => `bench-live${i}@riverside.example`;

/** Fills a migrated, empty database. Works on PostgreSQL and on PGlite. */
export async function generateDataset(db: Db, size: DatasetSize): Promise<void> {
  const config = testConfig();
  await seedDemo(db, config, () => new Date('2025-12-01T09:00:00Z'));
  const hash = await hashPassword(BENCH_PASSWORD);
  // One statement at a time: the embedded database takes no multi-statement strings.
  const run = async (text: string) => {
    for (const statement of text.split(/;\s*\n/).map((t) => t.trim()))
      if (statement) await db.execute(sql.raw(statement.replace(/;$/, '')));
  };
  const ids = await db.execute<{ chamber_id: string; role_id: string; band_id: string }>(sql`
    select c.id as chamber_id,
           (select id from roles r where r.chamber_id = c.id and r.name = 'Appointment Reminder Admin') as role_id,
           (select id from charge_bands b where b.chamber_id = c.id and b.name = 'Online') as band_id
    from chambers c where c.key = 'demo'`);
  const { chamber_id: chamber, role_id: builtIn, band_id: band } = ids.rows[0]!;
  const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const c = lit(chamber);
  const t0 = `timestamptz '2026-01-01 00:00:00+00'`;
  const P = size.patients;
  const C = Math.max(1, Math.floor(size.messages / PER_CONVERSATION));
  const M = size.messages;

  await run(`
    insert into roles (chamber_id, id, name, created_at)
    values (${c}, md5('bench-live-role')::uuid, 'Live Bench', ${t0});
    insert into users (chamber_id, id, email, name, password_hash, is_admin, active,
                       password_changed_at, created_at, updated_at)
    select ${c}, md5('bench-staff-' || i)::uuid, 'bench-staff' || i || '@riverside.example',
           'Bench Staff ' || i, ${lit(hash)}, false, true, ${t0}, ${t0}, ${t0}
    from generate_series(1, ${ROLE_STAFF}) i;
    insert into role_members (chamber_id, role_id, user_id)
    select ${c}, ${lit(builtIn)}, md5('bench-staff-' || i)::uuid from generate_series(1, ${ROLE_STAFF}) i;
    insert into users (chamber_id, id, email, name, password_hash, is_admin, active,
                       password_changed_at, created_at, updated_at)
    select ${c}, md5('bench-live-' || i)::uuid, 'bench-live' || i || '@riverside.example',
           'Live Staff ' || i, ${lit(hash)}, false, true, ${t0}, ${t0}, ${t0}
    from generate_series(1, ${LIVE_STAFF}) i;
    insert into role_members (chamber_id, role_id, user_id)
    select ${c}, md5('bench-live-role')::uuid, md5('bench-live-' || i)::uuid
    from generate_series(1, ${LIVE_STAFF}) i;
  `);
  // Bulk load without keys and indexes, then build them once: many times faster than
  // maintaining five indexes and checking foreign keys row by row. They are rebuilt from the
  // catalogue, exactly as the migrations made them.
  const rebuild = await dropKeysAndIndexes(db, BULK_TABLES);
  await run(`
    insert into patients (chamber_id, id, given_name, family_name, date_of_birth, email,
                          charge_band_id, email_consent, created_at, updated_at)
    select ${c}, md5('bench-patient-' || i)::uuid, 'Given' || i, 'Family' || (i % 5000),
           date '1940-01-01' + (i % 25000), 'bench' || i || '@patient.example', ${lit(band)},
           true, ${t0}, ${t0}
    from generate_series(1, ${P}) i;
    insert into portal_accounts (chamber_id, id, patient_id, email, password_hash, state,
                                 activated_at, password_changed_at, created_at, updated_at)
    select ${c}, md5('bench-account-' || i)::uuid, md5('bench-patient-' || i)::uuid,
           'bench' || i || '@patient.example',
           ${lit(hash)}, 'active', ${t0}, ${t0}, ${t0}, ${t0}
    from generate_series(1, ${P}) i;
  `);
  // Conversation n belongs to patient 1 + (n - 1) % P; message k to conversation 1 + (k - 1) % C,
  // so messages interleave across conversations as they do in a real clinic. In each
  // conversation the patient writes first, staff answer; staff messages 4 and 8 are internal notes.
  await run(`
    insert into conversations (chamber_id, id, patient_id, started_by_kind, last_message_at,
                               awaiting_reply, created_at)
    select ${c}, md5('bench-conv-' || n)::uuid, md5('bench-patient-' || (1 + (n - 1) % ${P}))::uuid,
           'patient', ${t0}, false, ${t0} + n * interval '1 second'
    from generate_series(1, ${C}) n;
  `);
  await run(`
    insert into messages (chamber_id, id, conversation_id, patient_id, author_kind,
                          author_user_id, author_role_name, text, shared_with_patient, role_ids,
                          created_at)
    select ${c}, md5('bench-msg-' || k)::uuid, md5('bench-conv-' || n)::uuid,
           md5('bench-patient-' || (1 + (n - 1) % ${P}))::uuid,
           case when j % 2 = 0 then 'patient' else 'staff' end,
           case when j % 2 = 0 then null else md5('bench-staff-' || (1 + k % ${ROLE_STAFF}))::uuid end,
           case when j % 2 = 0 then null else 'Appointment Reminder Admin' end,
           'Message ' || k || ': about the appointment on day ' || (k % 28 + 1) ||
             ', please call the clinic if anything changes.',
           j % 4 <> 3, array[${lit(builtIn)}]::uuid[], ${t0} + k * interval '1 second'
    from (select k, 1 + (k - 1) % ${C} as n, (k - 1) / ${C} as j
          from generate_series(1, ${M}) k) g
    order by k;
  `);
  await run(`
    update conversations cv set last_message_at = s.last_at, last_patient_visible_seq = s.visible,
           awaiting_reply = false, last_seq = s.last_seq, staff_role_ids = array[${lit(builtIn)}]::uuid[],
           staff_author_ids = s.authors, answered_by_user_id = s.answered_by, answered_seq = s.answered_seq,
           first_reply_at = s.first_reply_at,
           updated_at = s.last_at
    from (select conversation_id, max(created_at) as last_at, max(seq) as last_seq,
                 max(seq) filter (where shared_with_patient) as visible,
                 coalesce(array_agg(distinct author_user_id) filter (where author_user_id is not null), '{}') as authors,
                 max(seq) filter (where author_kind = 'staff' and shared_with_patient) as answered_seq,
                 min(created_at) filter (where author_kind = 'staff' and shared_with_patient) as first_reply_at,
                 (array_agg(author_user_id order by seq desc) filter (where author_kind = 'staff' and shared_with_patient))[1] as answered_by
          from messages where chamber_id = ${c} and created_at > ${t0} group by conversation_id) s
    where cv.chamber_id = ${c} and cv.id = s.conversation_id;
    insert into conversation_reads (chamber_id, conversation_id, reader_kind, reader_id,
                                    last_read_seq, updated_at)
    select cv.chamber_id, cv.id, 'patient', cv.patient_id, cv.last_patient_visible_seq, ${t0}
    from conversations cv where cv.chamber_id = ${c} and cv.created_at > ${t0}
      and cv.last_patient_visible_seq is not null;
  `);
  await rebuild();
  await run(`analyze`);
}

const BULK_TABLES = [
  'patients',
  'portal_accounts',
  'conversations',
  'messages',
  'conversation_reads',
];

/**
 * Drops the indexes, keys and foreign keys of the tables (and foreign keys pointing at them),
 * and returns a function that makes them again. Foreign keys are checked when re-added.
 */
async function dropKeysAndIndexes(db: Db, tables: string[]): Promise<() => Promise<void>> {
  const list = sql.join(
    tables.map((t) => sql`${t}`),
    sql`, `,
  );
  const constraints = await db.execute<{
    tbl: string;
    name: string;
    def: string;
    type: string;
  }>(sql`
    select c.conrelid::regclass::text as tbl, c.conname as name,
           pg_get_constraintdef(c.oid) as def, c.contype as type
    from pg_constraint c
    where c.contype in ('p', 'u', 'f')
      and (c.conrelid::regclass::text in (${list})
           or (c.contype = 'f' and c.confrelid::regclass::text in (${list})))`);
  const indexes = await db.execute<{ name: string; def: string }>(sql`
    select i.indexname as name, i.indexdef as def from pg_indexes i
    where i.schemaname = 'public' and i.tablename in (${list})
      and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`);
  const foreign = constraints.rows.filter((c) => c.type === 'f');
  const keys = constraints.rows.filter((c) => c.type !== 'f');
  for (const c of [...foreign, ...keys])
    await db.execute(sql.raw(`alter table ${c.tbl} drop constraint "${c.name}"`));
  for (const i of indexes.rows) await db.execute(sql.raw(`drop index "${i.name}"`));
  return async () => {
    await db.execute(sql.raw(`set maintenance_work_mem = '512MB'`));
    for (const c of keys)
      await db.execute(sql.raw(`alter table ${c.tbl} add constraint "${c.name}" ${c.def}`));
    for (const i of indexes.rows) await db.execute(sql.raw(i.def));
    for (const c of foreign)
      await db.execute(sql.raw(`alter table ${c.tbl} add constraint "${c.name}" ${c.def}`));
  };
}

/** The ids the benchmarks use, read from a data set. */
export interface DatasetIds {
  chamberId: string;
  builtInRoleId: string;
  liveRoleId: string;
  patientIds: string[];
  staffIds: string[];
  liveStaffIds: string[];
}

/** The uuid PostgreSQL makes with `md5(s)::uuid`. */
export function md5Uuid(s: string): string {
  const h = createHash('md5').update(s).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export async function datasetIds(db: Db, patients: number): Promise<DatasetIds> {
  const rows = await db.execute<{ chamber_id: string; role_id: string }>(sql`
    select c.id as chamber_id, r.id as role_id from chambers c
    join roles r on r.chamber_id = c.id and r.name = 'Appointment Reminder Admin'
    where c.key = 'demo'`);
  const { chamber_id: chamberId, role_id: builtInRoleId } = rows.rows[0]!;
  return {
    chamberId,
    builtInRoleId,
    liveRoleId: md5Uuid('bench-live-role'),
    patientIds: Array.from({ length: patients }, (_, i) => md5Uuid(`bench-patient-${i + 1}`)),
    staffIds: Array.from({ length: ROLE_STAFF }, (_, i) => md5Uuid(`bench-staff-${i + 1}`)),
    liveStaffIds: Array.from({ length: LIVE_STAFF }, (_, i) => md5Uuid(`bench-live-${i + 1}`)),
  };
}

/**
 * Opens sessions without signing in (sign-in is measured on its own): inserts session rows
 * the way sign-in does and returns the cookie values.
 */
export async function openSessions(
  db: Db,
  chamberId: string,
  kind: 'patient' | 'staff',
  subjectIds: string[],
): Promise<string[]> {
  const tokens = subjectIds.map(() => newToken());
  const now = new Date();
  const expires = new Date(now.getTime() + 12 * 3_600_000);
  for (let i = 0; i < subjectIds.length; i += 500) {
    const slice = subjectIds.slice(i, i + 500);
    const values = slice.map(
      (id, j) =>
        sql`(${chamberId}, gen_random_uuid(), ${hashToken(tokens[i + j]!)}, ${kind}, ${kind === 'staff' ? id : null}, ${kind === 'patient' ? id : null},
             ${kind === 'patient' ? sql`(select a.id from portal_accounts a where a.chamber_id = ${chamberId} and a.patient_id = ${id})` : null}, ${now}, ${now}, ${expires})`,
    );
    await db.execute(
      sql`insert into sessions (chamber_id, id, token_hash, kind, user_id, patient_id, account_id, created_at, last_seen_at, expires_at) values ${sql.join(values, sql`, `)}`,
    );
  }
  return tokens;
}

export const DEFAULT_BENCH_URL =
  process.env.BENCH_DATABASE_URL ||
  process.env.TEST_DATABASE_URL ||
  'postgres://portal_test:portal_test@127.0.0.1:5432/postgres';

function dbUrl(adminUrl: string, name: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * A PostgreSQL copy of the data set for one run. The generated data set is kept as a template
 * database (made once, minutes at the default size) and copied for each run, so every run
 * starts from the same rows.
 */
export async function postgresDataset(
  size: DatasetSize,
  log: (s: string) => void,
): Promise<{ url: string; drop: () => Promise<void> }> {
  // `npm run bench` makes one copy for all its scenarios and passes it down.
  const shared = process.env.BENCH_RUN_DATABASE_URL;
  if (shared && process.env.BENCH_RUN_SIZE === `${size.patients}/${size.messages}`)
    return { url: shared, drop: async () => undefined };
  const adminUrl = DEFAULT_BENCH_URL;
  const template = `portal_bench_v${GENERATOR_VERSION}_${size.patients}_${size.messages}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [template]);
    let ready = false;
    if (exists.rowCount) {
      const probe = new pg.Client({ connectionString: dbUrl(adminUrl, template) });
      await probe.connect();
      ready = Boolean(
        (await probe.query(`select 1 from pg_tables where tablename = 'bench_dataset_ready'`))
          .rowCount,
      );
      await probe.end();
    }
    if (!ready) {
      log(`generating the data set ${template} (once; reused by later runs)`);
      const started = Date.now();
      await admin.query(`drop database if exists ${template} with (force)`);
      await admin.query(`create database ${template}`);
      const database = fromPostgres(dbUrl(adminUrl, template), 2);
      await migrateDatabase(database);
      await generateDataset(database.db, size);
      await database.db.execute(sql`create table bench_dataset_ready (at timestamptz)`);
      await database.close();
      log(`data set generated in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    const name = `portal_bench_run_${process.pid}`;
    await admin.query(`drop database if exists ${name} with (force)`);
    const started = Date.now();
    await admin.query(`create database ${name} template ${template}`);
    log(`copied the data set in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // Migrations newer than the data set apply to the copy, as they would at a product start.
    // Statistics as autovacuum would have them soon after: a migration that rewrote a table
    // leaves the planner guessing (sampled: seconds).
    const copy = fromPostgres(dbUrl(adminUrl, name), 1);
    await migrateDatabase(copy);
    await copy.db.execute(sql`analyze`);
    await copy.close();
    return {
      url: dbUrl(adminUrl, name),
      drop: async () => {
        const a = new pg.Client({ connectionString: adminUrl });
        await a.connect();
        await a.query(`drop database if exists ${name} with (force)`);
        await a.end();
      },
    };
  } finally {
    await admin.end();
  }
}

export type { Database };
