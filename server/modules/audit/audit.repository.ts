import {
  and,
  desc,
  eq,
  getTableColumns,
  gte,
  inArray,
  lt,
  lte,
  not,
  or,
  sql,
  type AnyColumn,
  type SQL,
} from 'drizzle-orm';
import { VIEW_ACTION_RULE } from '../../../common/contract/audit.js';
import { coalescerPer } from '../../db/coalesce.js';
import type { Db, Rows } from '../../db/connect.js';
import { auditEvents, chambers, patients } from '../../db/schema.js';

export type AuditActorKind = 'staff' | 'patient' | 'system' | 'anonymous' | 'integration';

export interface AuditEntry {
  chamberId: string;
  at: Date;
  action: string;
  actorKind: AuditActorKind;
  actorUserId?: string | null;
  actorPatientId?: string | null;
  actorLabel?: string | null;
  patientId?: string | null;
  subjectType?: string | null;
  subjectId?: string | null;
  ip?: string | null;
  details?: Record<string, unknown> | null;
}

/**
 * Appends audit rows; never updates (the database refuses it anyway). No lock is taken: the
 * sealer (`sealAuditEvents`, run by the worker) chains committed rows afterwards (migration 0019).
 */
export async function insertAuditEvents(db: Db, entries: AuditEntry[]): Promise<void> {
  await insertAuditEventsStatement(db, entries);
}

/** `insertAuditEvents` as a statement not yet sent (for `writeTogether`); null: no rows. */
export function insertAuditEventsStatement(db: Db, entries: AuditEntry[]) {
  if (entries.length === 0) return null;
  return db.insert(auditEvents).values(entries.map(auditRow));
}

/** An audit entry as the row it is written as. */
function auditRow(e: AuditEntry) {
  return {
    chamberId: e.chamberId,
    at: e.at,
    action: e.action,
    actorKind: e.actorKind,
    actorUserId: e.actorUserId ?? null,
    actorPatientId: e.actorPatientId ?? null,
    actorLabel: e.actorLabel ?? null,
    patientId: e.patientId ?? null,
    subjectType: e.subjectType ?? null,
    subjectId: e.subjectId ?? null,
    ip: e.ip ?? null,
    details: e.details ?? null,
  } satisfies typeof auditEvents.$inferInsert;
}

/**
 * Appends the audit rows of a read, in a statement of its own (never inside a transaction:
 * the setting would reach the transaction's other writes). Its commit does not wait for the
 * WAL flush (`synchronous_commit` off for this statement only): a database crash may lose the
 * last fraction of a second of read records, never a write's, and a row the sealer has chained
 * is always on disk (docs/decisions/0007-read-audit-commit.md). `durable` waits as any commit.
 */
export async function insertReadAuditEvents(
  db: Db,
  entries: AuditEntry[],
  durable: boolean,
): Promise<void> {
  if (entries.length === 0) return;
  await readAudits(db).add({ entries, durable });
}

/**
 * The reads audited at about the same time are written in one statement (`Coalescer`): on a
 * busy server one round trip and one commit for many requests, each answered only once its
 * rows are written.
 */
const readAudits = coalescerPer<Db, { entries: AuditEntry[]; durable: boolean }>(
  async (db, items) => {
    const durable = items.filter((i) => i.durable).flatMap((i) => i.entries);
    const fast = items.filter((i) => !i.durable).flatMap((i) => i.entries);
    if (durable.length > 0) await insertAuditEvents(db, durable);
    if (fast.length > 0) await writeReadAuditEvents(db, fast);
  },
);

async function writeReadAuditEvents(db: Db, entries: AuditEntry[]): Promise<void> {
  // The rows as one JSON parameter: the statement's text is the same for any number of rows,
  // so each connection prepares it once (db/connect.ts), however many a batch carries. Its
  // keys are the row's field names (`auditRow`); a Date becomes its ISO 8601 text.
  const rows = JSON.stringify(entries.map(auditRow));
  // The setting is local to the statement's own transaction, and read by its commit.
  await db.execute(sql`
    insert into audit_events (chamber_id, at, action, actor_kind, actor_user_id, actor_patient_id,
                              actor_label, patient_id, subject_type, subject_id, ip, details)
    select r."chamberId", r.at, r.action, r."actorKind", r."actorUserId", r."actorPatientId",
           r."actorLabel", r."patientId", r."subjectType", r."subjectId", r.ip, r.details
      from rows from (jsonb_to_recordset(${rows}::jsonb)
             as ("chamberId" uuid, at timestamptz, action text, "actorKind" text, "actorUserId" uuid,
                 "actorPatientId" uuid, "actorLabel" text, "patientId" uuid, "subjectType" text,
                 "subjectId" text, ip inet, details jsonb)) with ordinality
           as r("chamberId", at, action, "actorKind", "actorUserId", "actorPatientId", "actorLabel",
                "patientId", "subjectType", "subjectId", ip, details, n)
     where set_config('synchronous_commit', 'off', true) = 'off'
     order by n`);
}

/** The scope that lets an integration client read internal notes (every role's). */
const INTERNAL_NOTES_SCOPE = 'system/Communication.read-internal';

/**
 * Whether a row records a privileged act (issue 17): an admin act that opens a role's internal
 * notes to someone new while staying allowed. A member added to a role (by an admin, to
 * themselves or to anyone: Add member, New User, a user's roles changed), and an integration
 * client made with the internal-notes scope (a client's scopes never change afterwards).
 * System Activity shows these rows with a Privileged badge and filters them.
 */
function privilegedSql(action: AnyColumn | SQL, details: AnyColumn | SQL): SQL<boolean> {
  return sql<boolean>`(${action} = 'role.member_added' or (${action} = 'integration.created'
    and coalesce(${details} -> 'scopes', '[]'::jsonb) @> ${JSON.stringify([INTERNAL_NOTES_SCOPE])}::jsonb))`;
}

export interface AuditFilter {
  from?: Date;
  to?: Date;
  action?: string;
  userId?: string;
  patientId?: string;
  /** Leave out reads (`isViewAction`). */
  hideViews?: boolean;
  /** Only privileged rows (true), or only the others (false). */
  privileged?: boolean;
  beforeId?: number;
  limit: number;
}

/** The filter's conditions on audit_events. */
function auditWhere(chamberId: string, f: AuditFilter): SQL | undefined {
  const where: SQL[] = [eq(auditEvents.chamberId, chamberId)];
  if (f.from) where.push(gte(auditEvents.at, f.from));
  if (f.to) where.push(lte(auditEvents.at, f.to));
  if (f.action)
    where.push(sql`${auditEvents.action} like ${`${f.action.replace(/[%_\\]/g, '\\$&')}%`}`);
  if (f.userId) where.push(eq(auditEvents.actorUserId, f.userId));
  if (f.patientId) where.push(eq(auditEvents.patientId, f.patientId));
  if (f.beforeId !== undefined) where.push(lt(auditEvents.id, f.beforeId));
  if (f.privileged !== undefined) {
    const privileged = privilegedSql(auditEvents.action, auditEvents.details);
    where.push(f.privileged ? privileged : not(privileged));
  }
  if (f.hideViews) {
    const view = or(
      inArray(auditEvents.action, VIEW_ACTION_RULE.actions),
      ...VIEW_ACTION_RULE.likePatterns.map((p) => sql`${auditEvents.action} like ${p}`),
    );
    if (view) where.push(not(view));
  }
  return and(...where);
}

/** Newest first, filtered by chamber and the given criteria, each row marked privileged or not. */
export async function findAuditEvents(db: Db, chamberId: string, f: AuditFilter) {
  return db
    .select({
      ...getTableColumns(auditEvents),
      privileged: privilegedSql(auditEvents.action, auditEvents.details),
    })
    .from(auditEvents)
    .where(auditWhere(chamberId, f))
    .orderBy(desc(auditEvents.id))
    .limit(f.limit);
}

/** Who reads System Activity or a patient's Activity: conversation labels follow rule 4. */
export interface AuditReader {
  userId: string;
  roleIds: string[];
}

/** Tables whose rows a subject id names, with the column that says what the row is. */
const SUBJECT_NAMES: Record<string, { table: string; column: string }> = {
  document: { table: 'documents', column: 'title' },
  medical_item: { table: 'medical_items', column: 'title' },
  role: { table: 'roles', column: 'name' },
  user: { table: 'users', column: 'name' },
  topic: { table: 'topics', column: 'name' },
  charge_band: { table: 'charge_bands', column: 'name' },
  integration: { table: 'integration_clients', column: 'name' },
};

const UUID_TEXT = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/**
 * `findAuditEvents` with what each row is about in words: the patient's name and the subject's
 * label. A conversation (or a message's conversation) is labelled by its subject, else its
 * topic, and only for a reader who sees at least one of its messages (rule 4 at conversation
 * level); the message text never. The page is cut first, so the look-ups run for its rows only.
 */
export async function findLabelledAuditEvents(
  db: Db,
  chamberId: string,
  f: AuditFilter,
  reader: AuditReader,
) {
  const e = db
    .select()
    .from(auditEvents)
    .where(auditWhere(chamberId, f))
    .orderBy(desc(auditEvents.id))
    .limit(f.limit)
    .as('e');
  const subjectUuid = sql`${e.subjectId}::uuid`;
  const conversationId = sql`case when ${e.subjectType} = 'conversation' then ${subjectUuid}
    else (select m.conversation_id from messages m
           where m.chamber_id = ${e.chamberId} and m.id = ${subjectUuid}) end`;
  const roleIds = `{${reader.roleIds.join(',')}}`;
  const conversationLabel = sql`(select case when c.staff_role_ids && ${roleIds}::uuid[]
                                           or ${reader.userId}::uuid = any(c.staff_author_ids)
                                         then coalesce(c.subject, t.name) end
      from conversations c
      left join topics t on t.chamber_id = c.chamber_id and t.id = c.topic_id
     where c.chamber_id = ${e.chamberId} and c.id = ${conversationId})`;
  const named = Object.entries(SUBJECT_NAMES).map(
    ([type, { table, column }]) =>
      sql`when ${e.subjectType} = ${type} then (select x.${sql.raw(column)} from ${sql.raw(table)} x
             where x.chamber_id = ${e.chamberId} and x.id = ${subjectUuid})`,
  );
  // The uuid test comes first: a CASE evaluates a branch only when its condition holds, so a
  // subject id that is not a uuid (the team inbox's view name) is never cast.
  const subjectLabel = sql<string | null>`case
      when ${e.subjectId} is null or ${e.subjectId} !~ ${UUID_TEXT} then null
      when ${e.subjectType} in ('conversation', 'message') then ${conversationLabel}
      ${sql.join(named, sql` `)}
    end`;
  return db
    .select({
      ...e._.selectedFields,
      patientName: sql<string | null>`(select p.given_name || ' ' || p.family_name from patients p
         where p.chamber_id = ${e.chamberId} and p.id = ${e.patientId})`,
      subjectLabel,
      privileged: privilegedSql(e.action, e.details),
    })
    .from(e)
    .orderBy(desc(e.id));
}

/** The value the first link of a chamber's chain starts from. */
export const AUDIT_CHAIN_GENESIS = Buffer.alloc(32).toString('hex');

/** Rows a sealer run links at most; a run that links this many is followed by another at once. */
export const AUDIT_SEAL_BATCH = 5000;

/**
 * One run of the audit sealer (`audit_seal`, migrations 0019 and 0020): links up to `maxRows` committed
 * audit rows, oldest transaction first, onto their chambers' hash chains. Returns how many it
 * linked; 0 also when another process's run is under way.
 */
export async function sealAuditEvents(db: Db, maxRows = AUDIT_SEAL_BATCH): Promise<number> {
  const result = await db.execute<{ n: number }>(sql`select audit_seal(${maxRows}::int) as n`);
  return Number(result.rows[0]?.n ?? 0);
}

export type AuditChainReport =
  | {
      ok: true;
      /** Rows checked: the whole chain. */
      rows: number;
      /** The newest link: an operator may note its hash to compare with a later run. */
      head: { id: number; chainSeq: number; hash: string } | null;
      /** Rows written after the sealer's last run, not linked yet (checked by a later run). */
      pending: number;
    }
  | {
      ok: false;
      /** Rows that verified before the first bad one. */
      rows: number;
      /** The audit row of the first bad link (or the unlinked row); null when links are missing from the chain's end. */
      firstBadId: number | null;
      chainSeq: number | null;
      reason: string;
    };

/** A row's hash noted earlier, outside the database (docs/operations.md). */
export interface AuditChainAnchor {
  chainSeq: number;
  hash: string;
}

/**
 * Recomputes a chamber's audit hash chain, link by link in chain order, in batches of
 * `batchSize` links (so a chain of millions is never in memory at once). Link number n must
 * follow link n - 1, start from its hash (the genesis value for the first) and hash to
 * sha256(prev_hash || audit_event_canonical(row, n)) of the audit row it names, which must
 * exist. Answers the first link that does not: a changed row is itself reported, a removed row
 * at its own link, a removed link or a rewritten hash at the link after it. Then every audit
 * row written before the sealer's last run must have a link: a row without one was slipped in.
 * Links added while it runs are checked too. With `expect`, link number `expect.chainSeq` must
 * still have the hash noted earlier: this catches what the chain alone cannot, links rewritten
 * (hashes and all) or removed up to there.
 */
export async function verifyAuditChain(
  db: Db,
  chamberId: string,
  options: { batchSize?: number; expect?: AuditChainAnchor } = {},
): Promise<AuditChainReport> {
  const batchSize = options.batchSize ?? 5000;
  // The sealer's progress, read first: every row below it was linked before this check began.
  const progress = await db.execute<{ horizon: string | null }>(sql`
    select max(horizon)::text as horizon from audit_seal_runs`);
  const horizon = progress.rows[0]?.horizon ?? '1';
  type ChainRow = {
    id: string | number;
    chain_seq: string | number;
    prev_hash: string | null;
    hash: string | null;
    present: boolean;
    content_ok: boolean | null;
  };
  let rows = 0;
  let last: { id: number; chainSeq: number; hash: string } | null = null;
  // Batches are ranges of chain_seq, not "the next N links": a range never makes the database
  // sort more than one batch, whatever plan it picks.
  let from = 0;
  for (;;) {
    const batch: Rows<ChainRow> = await db.execute<ChainRow>(sql`
      select s.audit_event_id as id, s.chain_seq, encode(s.prev_hash, 'hex') as prev_hash,
             encode(s.hash, 'hex') as hash, e.id is not null as present,
             sha256(s.prev_hash || audit_event_canonical(e, s.chain_seq)) = s.hash as content_ok
        from audit_seals s
        left join audit_events e on e.chamber_id = s.chamber_id and e.id = s.audit_event_id
       where s.chamber_id = ${chamberId}::uuid
         and s.chain_seq > ${from} and s.chain_seq <= ${from + batchSize}
       order by s.chain_seq`);
    for (const r of batch.rows) {
      const id: number = Number(r.id);
      const chainSeq: number = Number(r.chain_seq);
      const bad = (reason: string): AuditChainReport => ({
        ok: false,
        rows,
        firstBadId: id,
        chainSeq,
        reason,
      });
      const expected: number = (last?.chainSeq ?? 0) + 1;
      if (chainSeq !== expected)
        return bad(
          `link missing before this one: it is number ${chainSeq} in the chain, ${expected} was expected`,
        );
      if (r.prev_hash !== (last?.hash ?? AUDIT_CHAIN_GENESIS))
        return bad(
          last
            ? `its prev_hash is not the hash of the link before it (row id ${last.id}): that link's hash was rewritten, or a link was removed or replaced`
            : 'the first link of the chain does not start from the genesis value',
        );
      if (!r.present) return bad('the row this link seals is missing: it was removed');
      if (r.content_ok !== true)
        return bad('its contents do not match its hash: the row was changed after it was written');
      if (options.expect?.chainSeq === chainSeq && options.expect.hash.toLowerCase() !== r.hash)
        return bad(
          'its hash is not the one noted earlier: this row or rows before it were rewritten, hashes and all',
        );
      rows += 1;
      last = { id, chainSeq, hash: r.hash! };
    }
    // A full range holds every number in it (chain_seq is unique): go on with the next one.
    if (batch.rows.length === batchSize) {
      from += batchSize;
      continue;
    }
    // Otherwise the chain ends here, unless links follow a gap: the next one is then reported.
    const next = await db.execute<{ chain_seq: string | number | null }>(sql`
      select min(chain_seq) as chain_seq from audit_seals
       where chamber_id = ${chamberId}::uuid and chain_seq > ${from + batchSize}`);
    const nextSeq = next.rows[0]?.chain_seq;
    if (nextSeq === null || nextSeq === undefined) break;
    from = Number(nextSeq) - 1;
  }
  if (options.expect && options.expect.chainSeq > (last?.chainSeq ?? 0))
    return {
      ok: false,
      rows,
      firstBadId: null,
      chainSeq: options.expect.chainSeq,
      reason: `the chain ends at number ${last?.chainSeq ?? 0}, before number ${options.expect.chainSeq} noted earlier: rows were removed from its end`,
    };
  // Rows without a link: below the sealer's progress, slipped in behind it; above, not sealed yet.
  const unlinked = await db.execute<{ stray: string | number | null; pending: number }>(sql`
    select min(e.id) filter (where e.xid < ${horizon}::xid8) as stray,
           (count(*) filter (where e.xid >= ${horizon}::xid8))::int as pending
      from audit_events e
     where e.chamber_id = ${chamberId}::uuid
       and not exists (select 1 from audit_seals s
                        where s.chamber_id = e.chamber_id and s.audit_event_id = e.id)`);
  const stray = unlinked.rows[0]?.stray;
  if (stray !== null && stray !== undefined)
    return {
      ok: false,
      rows,
      firstBadId: Number(stray),
      chainSeq: null,
      reason:
        'the row is outside the chain: it was written before the sealer last ran, and has no link',
    };
  return { ok: true, rows, head: last, pending: Number(unlinked.rows[0]?.pending ?? 0) };
}

/** Chambers by key (one, or all when no key is given), for the operator's chain check. */
export async function chambersByKey(db: Db, key?: string) {
  return db
    .select({ id: chambers.id, key: chambers.key })
    .from(chambers)
    .where(key === undefined ? undefined : eq(chambers.key, key))
    .orderBy(chambers.key);
}

/** Whether the chamber has this patient (the Activity tab of a missing patient is 404). */
export async function patientExists(db: Db, chamberId: string, patientId: string) {
  const rows = await db
    .select({ id: patients.id })
    .from(patients)
    .where(and(eq(patients.chamberId, chamberId), eq(patients.id, patientId)))
    .limit(1);
  return rows.length > 0;
}
