import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import {
  fromPostgres,
  migrateDatabase,
  migrationsFolder,
  type Database,
  type Db,
} from '../../server/db/connect.js';
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
const GENERATOR_VERSION = 6;

export const BENCH_PASSWORD = 'bench-password-not-secret-1';

export const patientEmail = (i: number) => `bench${i}@patient.example`;
export const staffEmail = (i: number) => `bench-staff${i}@riverside.example`;
export const liveEmail = (i: number) => `bench-live${i}@riverside.example`;

/** Fills a migrated, empty database. Works on PostgreSQL and on PGlite. */
export async function generateDataset(db: Db, size: DatasetSize): Promise<void> {
  const config = testConfig();
  await seedDemo(db, config, () => new Date('2025-12-01T09:00:00Z'));
  const hash = await hashPassword(BENCH_PASSWORD);
  const run = statementRunner(db);
  const ids = await db.execute<{ chamber_id: string; role_id: string; band_id: string }>(sql`
    select c.id as chamber_id,
           (select id from roles r where r.chamber_id = c.id and r.name = 'Appointment Reminder Admin') as role_id,
           (select id from charge_bands b where b.chamber_id = c.id and b.name = 'Online') as band_id
    from chambers c where c.key = 'demo'`);
  const { chamber_id: chamber, role_id: builtIn, band_id: band } = ids.rows[0]!;
  const c = lit(chamber);

  await run(`
    insert into roles (chamber_id, id, name, created_at)
    values (${c}, md5('bench-live-role')::uuid, 'Live Bench', ${T0});
    insert into users (chamber_id, id, email, name, password_hash, is_admin, active,
                       password_changed_at, created_at, updated_at)
    select ${c}, md5('bench-staff-' || i)::uuid, 'bench-staff' || i || '@riverside.example',
           'Bench Staff ' || i, ${lit(hash)}, false, true, ${T0}, ${T0}, ${T0}
    from generate_series(1, ${ROLE_STAFF}) i;
    insert into role_members (chamber_id, role_id, user_id)
    select ${c}, ${lit(builtIn)}, md5('bench-staff-' || i)::uuid from generate_series(1, ${ROLE_STAFF}) i;
    insert into users (chamber_id, id, email, name, password_hash, is_admin, active,
                       password_changed_at, created_at, updated_at)
    select ${c}, md5('bench-live-' || i)::uuid, 'bench-live' || i || '@riverside.example',
           'Live Staff ' || i, ${lit(hash)}, false, true, ${T0}, ${T0}, ${T0}
    from generate_series(1, ${LIVE_STAFF}) i;
    insert into role_members (chamber_id, role_id, user_id)
    select ${c}, md5('bench-live-role')::uuid, md5('bench-live-' || i)::uuid
    from generate_series(1, ${LIVE_STAFF}) i;
  `);
  await bulkLoad(db, run, hash, {
    chambers: 1,
    patients: size.patients,
    conversations: Math.max(1, Math.floor(size.messages / PER_CONVERSATION)),
    messages: size.messages,
    chamber: () => c,
    builtIn: () => lit(builtIn),
    band: () => lit(band),
    staff: (_, i) => `md5('bench-staff-' || ${i})::uuid`,
  });
}

/**
 * Fills a migrated, empty PostgreSQL database with `chambers` chambers of their own and the same
 * totals as the one-chamber data set divided among them: each chamber (key `bench<h>`) has its
 * built-in role, a "Reception" role (who is told of overdue conversations, as in the demo
 * chamber), the "Online" charge band, ROLE_STAFF staff in the built-in role, and its share of the
 * patients (with portal accounts), conversations and messages. Written in SQL only (no demo
 * seed), so it fills any schema from TEMPLATE_MIGRATIONS on. Ids: chamberLayout().
 */
export async function generateChambers(db: Db, size: DatasetSize, chambers: number): Promise<void> {
  const hash = await hashPassword(BENCH_PASSWORD);
  const run = statementRunner(db);
  const n = chambers;
  const perChamber = chamberShare(size, n);
  await run(`
    insert into chambers (id, key, name, patient_portal_enabled, time_zone, out_of_hours_message,
                          clinic_phone, created_at, updated_at)
    select ${chamberExpr('h')}, 'bench' || h, 'Bench Clinic ' || h, true, 'Europe/London',
           'Thank you. The clinic is closed now; we will read your message when we open.',
           '020 7946 0000', ${T0}, ${T0}
    from generate_series(1, ${n}) h;
    insert into roles (chamber_id, id, name, is_built_in, created_at)
    select ${chamberExpr('h')}, ${builtInExpr('h')}, 'Appointment Reminder Admin', true, ${T0}
    from generate_series(1, ${n}) h;
    insert into roles (chamber_id, id, name, created_at)
    select ${chamberExpr('h')}, md5('bench-ch' || h || '-role-reception')::uuid, 'Reception', ${T0}
    from generate_series(1, ${n}) h;
    update chambers set escalation_role_id = md5('bench-ch' || h || '-role-reception')::uuid
    from generate_series(1, ${n}) h where id = ${chamberExpr('h')};
    insert into charge_bands (chamber_id, id, name, online_access, allow_online_messaging,
                              created_at, updated_at)
    select ${chamberExpr('h')}, ${bandExpr('h')}, 'Online', 'allow_no_notifications', true, ${T0}, ${T0}
    from generate_series(1, ${n}) h;
    insert into users (chamber_id, id, email, name, password_hash, is_admin, active,
                       password_changed_at, created_at, updated_at)
    select ${chamberExpr('h')}, ${staffExpr('h', 'i')}, 'bench-staff' || i || '@ch' || h || '.example',
           'Bench Staff ' || h || '-' || i, ${lit(hash)}, false, true, ${T0}, ${T0}, ${T0}
    from generate_series(1, ${n}) h, generate_series(1, ${ROLE_STAFF}) i;
    insert into role_members (chamber_id, role_id, user_id)
    select ${chamberExpr('h')}, ${builtInExpr('h')}, ${staffExpr('h', 'i')}
    from generate_series(1, ${n}) h, generate_series(1, ${ROLE_STAFF}) i;
  `);
  await bulkLoad(db, run, hash, {
    chambers: n,
    patients: perChamber.patients * n,
    conversations: perChamber.conversations * n,
    messages: perChamber.messages * n,
    chamber: chamberExpr,
    builtIn: builtInExpr,
    band: bandExpr,
    staff: staffExpr,
  });
}

const T0 = `timestamptz '2026-01-01 00:00:00+00'`;
const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const chamberExpr = (h: string) => `md5('bench-chamber-' || ${h})::uuid`;
const builtInExpr = (h: string) => `md5('bench-ch' || ${h} || '-role-builtin')::uuid`;
const bandExpr = (h: string) => `md5('bench-ch' || ${h} || '-band-online')::uuid`;
const staffExpr = (h: string, i: string) => `md5('bench-ch' || ${h} || '-staff-' || ${i})::uuid`;

/** Runs a text of statements one at a time: the embedded database takes no multi-statement strings. */
function statementRunner(db: Db) {
  return async (text: string) => {
    for (const statement of text.split(/;\s*\n/).map((t) => t.trim()))
      if (statement) await db.execute(sql.raw(statement.replace(/;$/, '')));
  };
}

/** What each chamber of an N-chamber data set holds: the totals divided, whole conversations. */
function chamberShare(size: DatasetSize, chambers: number) {
  const patients = Math.max(1, Math.floor(size.patients / chambers));
  const messages = Math.max(PER_CONVERSATION, Math.floor(size.messages / chambers));
  return {
    patients,
    messages,
    conversations: Math.max(1, Math.floor(messages / PER_CONVERSATION)),
  };
}

/**
 * The generated patients, conversations and messages, in as many chambers as `layout` has
 * (SQL expressions of the chamber's number `h` give each chamber's ids). Counters are global
 * and chambers take them in turn (patient, conversation and message k belong to chamber
 * 1 + (k - 1) % N), so the chambers' messages interleave in time as the conversations of one
 * chamber do; with one chamber it is the data set of every version before (v5).
 */
async function bulkLoad(
  db: Db,
  run: (text: string) => Promise<void>,
  hash: string,
  layout: {
    chambers: number;
    /** Totals over every chamber; each a multiple of `chambers`. */
    patients: number;
    conversations: number;
    messages: number;
    chamber: (h: string) => string;
    builtIn: (h: string) => string;
    band: (h: string) => string;
    staff: (h: string, i: string) => string;
  },
): Promise<void> {
  const N = layout.chambers;
  const P = layout.patients / N;
  const C = layout.conversations / N;
  const { chamber, builtIn, band, staff } = layout;
  // Bulk load without keys and indexes, then build them once: many times faster than
  // maintaining five indexes and checking foreign keys row by row. They are rebuilt from the
  // catalogue, exactly as the migrations made them.
  const rebuild = await dropKeysAndIndexes(db, BULK_TABLES);
  await run(`
    insert into patients (chamber_id, id, given_name, family_name, date_of_birth, email,
                          charge_band_id, email_consent, created_at, updated_at)
    select ${chamber('h')}, md5('bench-patient-' || i)::uuid, 'Given' || i, 'Family' || (i % 5000),
           date '1940-01-01' + (i % 25000), 'bench' || i || '@patient.example', ${band('h')},
           true, ${T0}, ${T0}
    from (select i, 1 + (i - 1) % ${N} as h from generate_series(1, ${layout.patients}) i) g;
    insert into portal_accounts (chamber_id, id, patient_id, email, password_hash, state,
                                 activated_at, password_changed_at, created_at, updated_at)
    select ${chamber('h')}, md5('bench-account-' || i)::uuid, md5('bench-patient-' || i)::uuid,
           'bench' || i || '@patient.example',
           ${lit(hash)}, 'active', ${T0}, ${T0}, ${T0}, ${T0}
    from (select i, 1 + (i - 1) % ${N} as h from generate_series(1, ${layout.patients}) i) g;
  `);
  // In chamber h, its conversation number c (from 0) belongs to its patient c % P; its message
  // number m (from 0) to its conversation m % C, so messages interleave across conversations as
  // they do in a real clinic. The global number of a chamber's k-th row (from 0) is k * N + h.
  // In each conversation the patient writes first, staff answer; staff messages 4 and 8 are
  // internal notes.
  await run(`
    insert into conversations (chamber_id, id, patient_id, started_by_kind, last_message_at,
                               awaiting_reply, created_at)
    select ${chamber('h')}, md5('bench-conv-' || n)::uuid,
           md5('bench-patient-' || ((c % ${P}) * ${N} + h))::uuid,
           'patient', ${T0}, false, ${T0} + n * interval '1 second'
    from (select n, 1 + (n - 1) % ${N} as h, (n - 1) / ${N} as c
          from generate_series(1, ${layout.conversations}) n) g;
  `);
  await run(`
    insert into messages (chamber_id, id, conversation_id, patient_id, author_kind,
                          author_user_id, author_role_name, text, shared_with_patient, role_ids,
                          created_at)
    select ${chamber('h')}, md5('bench-msg-' || k)::uuid, md5('bench-conv-' || ((m % ${C}) * ${N} + h))::uuid,
           md5('bench-patient-' || (((m % ${C}) % ${P}) * ${N} + h))::uuid,
           case when j % 2 = 0 then 'patient' else 'staff' end,
           case when j % 2 = 0 then null else ${staff('h', `(1 + k % ${ROLE_STAFF})`)} end,
           case when j % 2 = 0 then null else 'Appointment Reminder Admin' end,
           'Message ' || k || ': about the appointment on day ' || (k % 28 + 1) ||
             ', please call the clinic if anything changes.',
           j % 4 <> 3, array[${builtIn('h')}]::uuid[], ${T0} + k * interval '1 second'
    from (select k, h, m, m / ${C} as j
          from (select k, 1 + (k - 1) % ${N} as h, (k - 1) / ${N} as m
                from generate_series(1, ${layout.messages}) k) a) g
    order by k;
  `);
  await run(`
    update conversations cv set last_message_at = s.last_at, last_patient_visible_seq = s.visible,
           awaiting_reply = false, last_seq = s.last_seq, staff_role_ids = s.role_ids,
           staff_author_ids = s.authors, answered_by_user_id = s.answered_by, answered_seq = s.answered_seq,
           first_reply_at = s.first_reply_at,
           updated_at = s.last_at
    from (select chamber_id, conversation_id, max(created_at) as last_at, max(seq) as last_seq,
                 max(seq) filter (where shared_with_patient) as visible,
                 coalesce(array_agg(distinct author_user_id) filter (where author_user_id is not null), '{}') as authors,
                 max(seq) filter (where author_kind = 'staff' and shared_with_patient) as answered_seq,
                 min(created_at) filter (where author_kind = 'staff' and shared_with_patient) as first_reply_at,
                 (array_agg(author_user_id order by seq desc) filter (where author_kind = 'staff' and shared_with_patient))[1] as answered_by,
                 (array_agg(role_ids[1]))[1:1] as role_ids
          from messages where created_at > ${T0} group by chamber_id, conversation_id) s
    where cv.chamber_id = s.chamber_id and cv.id = s.conversation_id;
    insert into conversation_reads (chamber_id, conversation_id, reader_kind, reader_id,
                                    last_read_seq, updated_at)
    select cv.chamber_id, cv.id, 'patient', cv.patient_id, cv.last_patient_visible_seq, ${T0}
    from conversations cv where cv.created_at > ${T0}
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

/** Options of postgresDataset beyond the size. */
export interface DatasetOptions {
  /** 1 (default): the demo chamber holds the generated rows; more: chambers of their own (generateChambers). */
  chambers?: number;
  /**
   * Chambers of their own even for one (generateChambers): no demo seed, so a copy can be
   * migrated by any build from TEMPLATE_MIGRATIONS on (the mixed ramps run two builds).
   */
  ofTheirOwn?: boolean;
  /** A copy of its own even under `npm run bench` (which otherwise passes one copy to every scenario). */
  own?: boolean;
  /** Brings the copy's schema up to date (default: this build's migrations, in this process). */
  migrate?: (url: string) => Promise<void>;
}

/**
 * The migrations a template of chambers of their own is made with: up to the last one of the
 * build before issue 18 (21dcf26), so that a copy can be migrated forward by that build and by
 * any later one (a product refuses a schema newer than its own).
 */
export const TEMPLATE_MIGRATIONS = '0018_patient_access';

/** Applies the committed migrations up to and including `lastTag` only. */
async function migrateUpTo(database: Database, lastTag: string): Promise<void> {
  const journalFile = path.join(migrationsFolder, 'meta', '_journal.json');
  const journal = JSON.parse(fs.readFileSync(journalFile, 'utf8')) as {
    entries: { tag: string }[];
  };
  const last = journal.entries.findIndex((e) => e.tag === lastTag);
  if (last < 0) throw new Error(`no migration ${lastTag} in ${journalFile}`);
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-bench-migrations-'));
  try {
    fs.mkdirSync(path.join(folder, 'meta'));
    const entries = journal.entries.slice(0, last + 1);
    fs.writeFileSync(
      path.join(folder, 'meta', '_journal.json'),
      JSON.stringify({ ...journal, entries }),
    );
    for (const e of entries)
      fs.copyFileSync(
        path.join(migrationsFolder, `${e.tag}.sql`),
        path.join(folder, `${e.tag}.sql`),
      );
    await migratePg(database.db as unknown as Parameters<typeof migratePg>[0], {
      migrationsFolder: folder,
    });
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

/** One chamber of a data set, with the ids a benchmark signs in as. */
export interface ChamberIds {
  chamberId: string;
  builtInRoleId: string;
  /** Its patients (each with a portal account), at most as many as asked for. */
  patientIds: string[];
  /** Its staff in the built-in role. */
  staffIds: string[];
}

/**
 * The chambers of an N-chamber data set (generateChambers), each with up to `patients` of its
 * patients, spread over its share.
 */
export function chamberLayout(size: DatasetSize, chambers: number, patients: number): ChamberIds[] {
  const share = chamberShare(size, chambers);
  const take = Math.min(patients, share.patients);
  const step = Math.max(1, Math.floor(share.patients / take));
  return Array.from({ length: chambers }, (_, c) => {
    const h = c + 1;
    return {
      chamberId: md5Uuid(`bench-chamber-${h}`),
      builtInRoleId: md5Uuid(`bench-ch${h}-role-builtin`),
      patientIds: Array.from({ length: take }, (_, k) =>
        md5Uuid(`bench-patient-${k * step * chambers + h}`),
      ),
      staffIds: Array.from({ length: ROLE_STAFF }, (_, i) =>
        md5Uuid(`bench-ch${h}-staff-${i + 1}`),
      ),
    };
  });
}

/** The template database a data set of this size and layout is kept in. */
export function templateName(size: DatasetSize, chambers = 1, ofTheirOwn = chambers > 1): string {
  return `portal_bench_v${GENERATOR_VERSION}_${ofTheirOwn ? `${chambers}ch_` : ''}${size.patients}_${size.messages}`;
}

let copies = 0;

/**
 * A PostgreSQL copy of the data set for one run. The generated data set is kept as a template
 * database (made once, minutes at the default size) and copied for each run, so every run
 * starts from the same rows.
 */
export async function postgresDataset(
  size: DatasetSize,
  log: (s: string) => void,
  options: DatasetOptions = {},
): Promise<{ url: string; drop: () => Promise<void> }> {
  const chambers = options.chambers ?? 1;
  const ofTheirOwn = chambers > 1 || options.ofTheirOwn === true;
  // `npm run bench` makes one copy for all its scenarios and passes it down.
  const shared = process.env.BENCH_RUN_DATABASE_URL;
  if (
    shared &&
    !options.own &&
    !ofTheirOwn &&
    process.env.BENCH_RUN_SIZE === `${size.patients}/${size.messages}`
  )
    return { url: shared, drop: async () => undefined };
  const adminUrl = DEFAULT_BENCH_URL;
  const template = templateName(size, chambers, ofTheirOwn);
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
      // The demo chamber's data set starts from the demo seed, which this build writes (so its
      // schema is this build's); chambers of their own are SQL only, from TEMPLATE_MIGRATIONS.
      if (ofTheirOwn) {
        await migrateUpTo(database, TEMPLATE_MIGRATIONS);
        await generateChambers(database.db, size, chambers);
      } else {
        await migrateDatabase(database);
        await generateDataset(database.db, size);
      }
      // As a database that has lived a while: every row's hint bits set and frozen, the
      // visibility map full. Otherwise each copy's first reads write them back and autovacuum
      // works through millions of rows while a benchmark measures (a new template's first
      // mixed ramp held half the users of an old one's).
      log('vacuuming the data set (freeze)');
      await database.db.execute(sql`vacuum (freeze, analyze)`);
      await database.db.execute(sql`create table bench_dataset_ready (at timestamptz)`);
      await database.close();
      log(`data set generated in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    copies += 1;
    const name = `portal_bench_run_${process.pid}${options.own || copies > 1 ? `_${copies}` : ''}`;
    await admin.query(`drop database if exists ${name} with (force)`);
    const started = Date.now();
    // FILE_COPY (PostgreSQL 15 and later; the default there, WAL_LOG, sends every block of the
    // copy through the WAL, which the next checkpoints then write out while a scenario measures).
    const fileCopy =
      Number((await admin.query('show server_version_num')).rows[0].server_version_num) >= 150000;
    await admin.query(
      `create database ${name} template ${template}${fileCopy ? ' strategy = file_copy' : ''}`,
    );
    log(`copied the data set in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // Migrations newer than the data set apply to the copy, as they would at a product start.
    // Then a vacuum as autovacuum would do soon after: statistics (a migration that rewrote a
    // table leaves the planner guessing) and the rewritten rows' hint bits (the frozen rest is
    // skipped), and a checkpoint, so that none of it is written out while a scenario measures.
    // Seconds.
    const drop = async () => {
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    };
    const migrating = Date.now();
    try {
      if (options.migrate) await options.migrate(dbUrl(adminUrl, name));
      else {
        const copy = fromPostgres(dbUrl(adminUrl, name), 1);
        try {
          await migrateDatabase(copy);
        } finally {
          await copy.close();
        }
      }
      const analyze = new pg.Client({ connectionString: dbUrl(adminUrl, name) });
      await analyze.connect();
      try {
        await analyze.query('vacuum (analyze)');
        await analyze.query('checkpoint');
      } finally {
        await analyze.end();
      }
    } catch (error) {
      await drop();
      throw error;
    }
    log(
      `migrated, vacuumed and checkpointed the copy in ${((Date.now() - migrating) / 1000).toFixed(1)} s`,
    );
    return { url: dbUrl(adminUrl, name), drop };
  } finally {
    await admin.end();
  }
}

export type { Database };
