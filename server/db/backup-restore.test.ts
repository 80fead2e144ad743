import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_PASSWORD } from '../demo/demo-seed.js';
import { seedDemoChamber } from '../test/crash-rounds.js';
import { startServerProcess, type ServerProcess } from '../test/processes.js';
import { openTestDatabase } from '../test/test-app.js';
import { fromPostgres, type Database, type Db } from './connect.js';

// Issue 17, finding 12: the backup and restore drill of docs/operations.md, on PostgreSQL. A
// running product gets data through its API (the demo chamber, conversations, internal notes,
// attachments and documents, so document files exist in its DATA_DIR); then, while it runs:
// `pg_dump -Fc` of its database, a copy of its documents folder; `pg_restore` into a NEW
// database, the product started on that database and the copied folder (the original's files
// gone), every message and every document read back through the API (bytes equal), and
// `npm run audit:verify` reports the restored audit chain intact, anchored on the newest
// `number:hash` noted before the backup.

const onPostgres = inject('engine') === 'postgres';
const root = path.resolve(import.meta.dirname, '..', '..');
const PG_BIN = process.env.PORTAL_PG_BIN ?? '/usr/lib/postgresql/15/bin';
/** The PostgreSQL 15 client tools: the installed server's own, else whatever is on PATH. */
const tool = (name: string) =>
  fs.existsSync(path.join(PG_BIN, name)) ? path.join(PG_BIN, name) : name;

/** The tables whose every row must come back exactly (a digest of their contents). */
const TABLES = [
  'chambers',
  'roles',
  'users',
  'role_members',
  'patients',
  'topics',
  'conversations',
  'messages',
  'message_attachments',
  'documents',
  'notifications',
  'audit_events',
];

// A PDF, a PNG and a JPEG, each with random bytes inside: every file is different. (The PNG's
// random bytes go in a text chunk: random chunk bytes make its type unreadable half the time.)
const PDF = () =>
  Buffer.concat([Buffer.from('%PDF-1.4\n%'), randomBytes(2048), Buffer.from('\n%%EOF\n')]);
const pngChunk = (type: string, data: Buffer) => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([length, body, crc]);
};
const PNG = () =>
  Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'),
    pngChunk('IHDR', Buffer.from('00000001000000010806000000', 'hex')),
    pngChunk('tEXt', Buffer.from(`Comment\0${randomBytes(512).toString('hex')}`, 'latin1')),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
const JPEG = () =>
  Buffer.concat([
    Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex'),
    randomBytes(4096),
  ]);

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a program to its end; a non-zero exit is an answer, not a failure. */
function run(file: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        cwd: root,
        timeout: 120_000,
        maxBuffer: 16 * 1024 * 1024,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      },
      (error, stdout, stderr) =>
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          stdout,
          stderr,
          ms: Date.now() - started,
        }),
    );
  });
}

/** `npm run audit:verify` as the operator runs it: its own process, DATABASE_URL only. */
function auditVerify(databaseUrl: string, dataDir: string, args: string[] = []): Promise<Run> {
  return run(process.execPath, ['--import', 'tsx', 'server/cli/verify-audit.ts', ...args], {
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
  });
}

/** One HTTP call to a product process. */
async function call(
  base: string,
  method: string,
  url: string,
  options: { cookie?: string; body?: unknown; form?: FormData } = {},
): Promise<{ status: number; body: any; bytes: Buffer; headers: Headers }> {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: {
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(options.cookie ? { cookie: options.cookie } : {}),
    },
    body: options.form ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch {
    body = undefined;
  }
  return { status: res.status, body, bytes, headers: res.headers };
}

async function signIn(base: string, kind: 'staff' | 'portal', email: string): Promise<string> {
  const res = await call(base, 'POST', `/api/v1/${kind}/session`, {
    body: { chamber: 'demo', email, password: DEMO_PASSWORD },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

/** A digest of each table's rows, to compare a restored database with its original. */
async function digests(db: Db): Promise<Record<string, { rows: number; md5: string }>> {
  const out: Record<string, { rows: number; md5: string }> = {};
  for (const table of TABLES) {
    const r = await db.execute<{ rows: string | number; md5: string | null }>(
      sql.raw(
        `select count(*) as rows, md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) as md5 from ${table} t`,
      ),
    );
    out[table] = { rows: Number(r.rows[0]!.rows), md5: r.rows[0]!.md5 ?? '' };
  }
  return out;
}

/** Who may do what with each table and sequence (the grants to the product's role). */
async function grants(db: Db): Promise<{ name: string; acl: string | null }[]> {
  const r = await db.execute<{ name: string; acl: string | null }>(sql`
    select n.nspname || '.' || c.relname as name, c.relacl::text as acl
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname in ('public', 'drizzle') and c.relkind in ('r', 'S')
     order by 1`);
  return r.rows;
}

/** Every message of a conversation a reader may see, all pages (staff or portal route). */
async function messagesOf(
  base: string,
  cookie: string,
  conversationUrl: string,
): Promise<{ id: string; text: string; attachments: { id: string }[] }[] | undefined> {
  const all: { id: string; text: string; attachments: { id: string }[] }[] = [];
  for (let cursor: string | null = null; ;) {
    const page = await call(
      base,
      'GET',
      `${conversationUrl}${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ''}`,
      { cookie },
    );
    if (page.status === 404) return undefined; // Not this reader's to see.
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    all.push(...(page.body.messages as typeof all));
    cursor = page.body.nextCursor as string | null;
    if (!cursor) return all;
  }
}

describe.skipIf(!onPostgres)('backup and restore drill (pg_dump, pg_restore, documents)', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let restored: Database | undefined;
  let restoredName: string | undefined;
  let admin: pg.Client | undefined;
  let server: ServerProcess | undefined;
  let dirs: string[] = [];

  const stop = async (p: ServerProcess | undefined) => {
    if (p && p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  };
  const tempDir = (prefix: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    database = await openTestDatabase();
    await seedDemoChamber(database.db);
    admin = new pg.Client({ connectionString: inject('postgresUrl') });
    await admin.connect();
  }, 60_000);

  afterAll(async () => {
    const steps: (() => Promise<unknown>)[] = [
      () => stop(server),
      async () => restored?.close(),
      async () =>
        restoredName && admin?.query(`DROP DATABASE IF EXISTS ${restoredName} WITH (FORCE)`),
      async () => admin?.end(),
      async () => database?.close(),
      async () => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })),
    ];
    for (const step of steps) await step().catch((e: unknown) => console.error(e));
    dirs = [];
  }, 60_000);

  it('dump, copy the documents, restore into a new database: every message and document is back, the audit chain intact', async () => {
    const started = Date.now();
    // The product's connection (on PostgreSQL, possibly a restricted role) and the tables'
    // owner, who takes the backup and restores it.
    const productUrl = database.url!;
    const ownerUrl = (database as { ownerUrl?: string }).ownerUrl ?? productUrl;
    const dataDir = tempDir('portal-backup-data-');
    server = await startServerProcess(productUrl, dataDir, {
      env: { PORTAL_SIGN_IN_RATE_LIMIT: '100000' },
    });
    const base = server.url;

    // --- Data through the API: attachments, a staff document, replies, an internal note.
    const adminCookie = await signIn(base, 'staff', 'admin@riverside.example');
    const on = await call(base, 'PATCH', '/api/v1/admin/settings', {
      cookie: adminCookie,
      body: { patientAttachmentsEnabled: true },
    });
    expect(on.status, JSON.stringify(on.body)).toBe(200);
    const alice = await signIn(base, 'portal', 'alice@patient.example');
    const reception = await signIn(base, 'staff', 'reception@riverside.example');
    const files = new Map<string, Buffer>();
    const upload = async (url: string, cookie: string, bytes: Buffer, fields: object) => {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.append(k, String(v));
      form.append('file', new Blob([bytes]), 'file.bin');
      const res = await call(base, 'POST', url, { cookie, form });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      files.set(res.body.id as string, bytes);
      return res.body.id as string;
    };
    const attachments = [
      await upload('/api/v1/portal/documents', alice, PDF(), { title: 'Referral letter' }),
      await upload('/api/v1/portal/documents', alice, PNG(), { title: 'Photo of the rash' }),
      await upload('/api/v1/portal/documents', alice, JPEG(), { title: 'Old prescription' }),
    ];
    const conversations: string[] = [];
    for (const [text, ids] of [
      ['Here is the referral letter and a photo, as asked.', attachments.slice(0, 2)],
      ['My old prescription, for the repeat.', attachments.slice(2)],
      ['Can I move my appointment to Friday?', []],
    ] as const) {
      const sent = await call(base, 'POST', '/api/v1/portal/conversations', {
        cookie: alice,
        body: { text, attachmentIds: ids },
      });
      expect(sent.status, JSON.stringify(sent.body)).toBe(201);
      conversations.push(sent.body.conversation.id as string);
    }
    const roles = await call(base, 'GET', '/api/v1/roles', { cookie: reception });
    expect(roles.status).toBe(200);
    const receptionRole = (roles.body.roles as { id: string; name: string }[]).find(
      (r) => r.name === 'Reception',
    )!;
    expect(receptionRole).toBeDefined();
    for (const [i, body] of [
      [0, { text: 'Thank you, both received.', shareWithPatient: true, roleIds: [] }],
      [
        1,
        {
          text: 'Internal: check the dose first.',
          shareWithPatient: false,
          roleIds: [receptionRole.id],
        },
      ],
      [2, { text: 'Friday 10:00 is booked for you.', shareWithPatient: true, roleIds: [] }],
    ] as const) {
      const reply = await call(base, 'POST', `/api/v1/conversations/${conversations[i]}/messages`, {
        cookie: reception,
        body,
      });
      expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    }
    const [aliceRow] = (
      await database.db.execute<{ id: string }>(
        sql`select p.id::text as id from patients p join chambers c on c.id = p.chamber_id
             where c.key = 'demo' and p.email = 'alice@patient.example'`,
      )
    ).rows;
    await upload(`/api/v1/patients/${aliceRow!.id}/documents`, reception, PDF(), {
      title: 'Blood test results',
      shareWithPatient: true,
    });
    const documentsDir = path.join(dataDir, 'documents');
    const onDisk = fs.readdirSync(documentsDir, { recursive: true, withFileTypes: true });
    expect(onDisk.filter((e) => e.isFile() && !e.parentPath.includes('.incoming'))).toHaveLength(
      files.size,
    );

    // What must come back: every message and document of the database (the demo's too).
    const expectedMessages = (
      await database.db.execute<{ id: string; conversation_id: string; text: string }>(
        sql`select id::text, conversation_id::text, text from messages order by id`,
      )
    ).rows;
    const expectedDocuments = (
      await database.db.execute<{ id: string; patient_id: string; sha256: string }>(
        sql`select id::text, patient_id::text, sha256 from documents order by id`,
      )
    ).rows;
    expect(expectedDocuments).toHaveLength(files.size);
    const patientsOfDemo = (
      await database.db.execute<{ id: string }>(
        sql`select p.id::text as id from patients p join chambers c on c.id = p.chamber_id where c.key = 'demo'`,
      )
    ).rows.map((r) => r.id);

    // --- The daily routine: note the audit chain's newest number:hash outside the database.
    const before = await auditVerify(productUrl, dataDir, ['--chamber', 'demo']);
    expect(before.code, before.stdout + before.stderr).toBe(0);
    const anchor = /demo: intact, .* (\d+):([0-9a-f]{64})/.exec(before.stdout);
    expect(anchor, before.stdout).not.toBeNull();

    // --- Backup, with the product running: pg_dump first, then the documents folder (a
    // document's file is written before its row commits, so every row in the dump has its file).
    const backupDir = tempDir('portal-backup-');
    const dumpFile = path.join(backupDir, 'portal.dump');
    const dump = await run(tool('pg_dump'), ['--format=custom', `--file=${dumpFile}`, ownerUrl]);
    expect(dump.code, dump.stderr).toBe(0);
    const copiedDocuments = path.join(backupDir, 'documents');
    fs.cpSync(documentsDir, copiedDocuments, { recursive: true, preserveTimestamps: true });
    const original = await digests(database.db);
    const originalGrants = await grants(database.db);
    await stop(server);
    server = undefined;
    // The original's files are gone: whatever the restored product serves comes from the copy.
    fs.rmSync(dataDir, { recursive: true, force: true });

    // --- Restore into a NEW database, as the tables' owner (--no-owner: everything belongs to
    // the role restoring). The dump carries the grants to the product's role, which exists on
    // this server; on a new server, make the roles first (docs/operations.md).
    restoredName = `portal_restored_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const ownerRole = new URL(ownerUrl).username;
    await admin!.query(`CREATE DATABASE ${restoredName} OWNER ${pg.escapeIdentifier(ownerRole)}`);
    const at = (url: string) => {
      const u = new URL(url);
      u.pathname = `/${restoredName}`;
      return u.toString();
    };
    const restore = await run(tool('pg_restore'), [
      '--exit-on-error',
      '--no-owner',
      `--dbname=${at(ownerUrl)}`,
      dumpFile,
    ]);
    expect(restore.code, restore.stderr).toBe(0);
    const newDataDir = tempDir('portal-restored-data-');
    fs.cpSync(copiedDocuments, path.join(newDataDir, 'documents'), {
      recursive: true,
      preserveTimestamps: true,
    });

    // The restored tables are the original's, row for row, with the same grants.
    restored = fromPostgres(at(productUrl), 2);
    expect(await digests(restored.db)).toEqual(original);
    expect(await grants(restored.db)).toEqual(originalGrants);
    const productRole = new URL(productUrl).username;
    if (productRole !== ownerRole) {
      // The restricted role came back restricted: it may read and add audit rows, nothing more.
      const auditAcl = originalGrants.find((g) => g.name === 'public.audit_events')!.acl!;
      expect(auditAcl).toMatch(new RegExp(`[{,]${productRole}=ar/`));
    }

    // --- The product on the restored database and the copied documents, as it runs in
    // production: as the product's role, not migrating (the restored schema is current).
    server = await startServerProcess(at(productUrl), newDataDir, {
      env: { PORTAL_SIGN_IN_RATE_LIMIT: '100000', PORTAL_MIGRATE: 'false' },
    });
    const again = server.url;
    const readers = {
      admin: await signIn(again, 'staff', 'admin@riverside.example'),
      reception: await signIn(again, 'staff', 'reception@riverside.example'),
      nurse: await signIn(again, 'staff', 'nurse@riverside.example'),
      alice: await signIn(again, 'portal', 'alice@patient.example'),
    };
    // Every message, as some reader of its conversation sees it.
    const seen = new Map<string, string>();
    const attachmentsSeen = new Set<string>();
    for (const conversationId of new Set(expectedMessages.map((m) => m.conversation_id))) {
      for (const [who, cookie] of Object.entries(readers)) {
        const url =
          who === 'alice'
            ? `/api/v1/portal/conversations/${conversationId}`
            : `/api/v1/conversations/${conversationId}`;
        for (const m of (await messagesOf(again, cookie, url)) ?? []) {
          seen.set(m.id, m.text);
          for (const a of m.attachments) attachmentsSeen.add(a.id);
        }
      }
    }
    const missing = expectedMessages.filter((m) => seen.get(m.id) !== m.text);
    expect(missing).toEqual([]);
    expect([...attachmentsSeen].sort()).toEqual([...attachments].sort());
    // Every document, downloaded: the same bytes (the test's own) and the same SHA-256.
    let documentsRead = 0;
    for (const patientId of patientsOfDemo) {
      const list = await call(again, 'GET', `/api/v1/patients/${patientId}/documents`, {
        cookie: readers.reception,
      });
      expect(list.status, JSON.stringify(list.body)).toBe(200);
      for (const d of list.body.documents as { id: string }[]) {
        const content = await call(again, 'GET', `/api/v1/documents/${d.id}/content`, {
          cookie: readers.reception,
        });
        expect(content.status, d.id).toBe(200);
        expect(content.bytes.equals(files.get(d.id)!), d.id).toBe(true);
        expect(sha256(content.bytes)).toBe(expectedDocuments.find((e) => e.id === d.id)!.sha256);
        documentsRead += 1;
      }
    }
    expect(documentsRead).toBe(expectedDocuments.length);
    // Alice's portal serves the shared ones from the copied folder too.
    const portalDocs = await call(again, 'GET', '/api/v1/portal/documents', {
      cookie: readers.alice,
    });
    expect(portalDocs.status).toBe(200);
    for (const d of portalDocs.body.documents as { id: string }[]) {
      const content = await call(again, 'GET', `/api/v1/portal/documents/${d.id}/content`, {
        cookie: readers.alice,
      });
      expect(content.bytes.equals(files.get(d.id)!), d.id).toBe(true);
    }
    // And it carries on: a new message is stored after the restored ones.
    const after = await call(
      again,
      'POST',
      `/api/v1/portal/conversations/${conversations[2]}/messages`,
      {
        cookie: readers.alice,
        body: { text: 'Thank you, Friday is fine.' },
      },
    );
    expect(after.status, JSON.stringify(after.body)).toBe(201);

    // --- audit:verify on the restored database: intact, and still holding the noted row.
    const verified = await auditVerify(at(productUrl), newDataDir, [
      '--chamber',
      'demo',
      '--expect',
      `${anchor![1]}:${anchor![2]}`,
    ]);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/demo: intact/);
    expect(verified.stdout).toMatch(/Audit log intact/);
    const all = await auditVerify(at(productUrl), newDataDir);
    expect(all.code, all.stdout + all.stderr).toBe(0);

    console.log(
      `backup and restore drill: ${expectedMessages.length} messages in ${new Set(expectedMessages.map((m) => m.conversation_id)).size} conversations and ` +
        `${expectedDocuments.length} documents (${attachments.length} of them attachments) back through the API, bytes equal; ` +
        `${TABLES.length} tables equal row for row (${original.audit_events!.rows} audit rows); ` +
        `dump and restore as ${ownerRole}, the product as ${productRole}; ` +
        `pg_dump ${dump.ms} ms (${fs.statSync(dumpFile).size} bytes), pg_restore ${restore.ms} ms; ` +
        `audit:verify after the restore: exit ${verified.code}, anchored on ${anchor![1]}:${anchor![2]!.slice(0, 12)}…; ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }, 180_000);
});
