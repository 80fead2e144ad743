import type { Db } from '../../db/connect.js';
import { invalid, notFound } from '../../errors.js';
import type { ServiceContext } from '../../lib/context.js';
import { encodeCursor, parseCursor } from '../../lib/schemas.js';
import type { Actor, AnonymousActor, StaffActor } from '../auth/actor.js';
import {
  patientExists,
  chambersByKey,
  findAuditEvents,
  findLabelledAuditEvents,
  insertAuditEvents,
  insertAuditEventsStatement,
  insertReadAuditEvents,
  verifyAuditChain,
  type AuditChainAnchor,
  type AuditChainReport,
  type AuditEntry,
  type AuditFilter,
} from './audit.repository.js';

/** The action names written to the audit log; stable, shown and filtered in System Activity. */
export type AuditAction =
  | 'staff.sign_in'
  | 'staff.sign_in_failed'
  | 'staff.sign_out'
  | 'staff.password_reset_requested'
  | 'staff.password_set'
  | 'staff.sign_in_started'
  | 'staff.second_factor_failed'
  | 'staff.second_factor_added'
  | 'staff.second_factor_removed'
  | 'staff.second_factor_reset'
  | 'staff.recovery_codes_created'
  | 'staff.sso_refused'
  | 'settings.sso_updated'
  | 'settings.sso_removed'
  | 'portal.sign_in'
  | 'portal.sign_in_failed'
  | 'portal.sign_out'
  | 'portal.password_reset_requested'
  | 'portal.password_set'
  | 'portal_account.invited'
  | 'portal_account.reset_sent'
  | 'portal_account.unblocked'
  | 'portal_account.blocked'
  | 'portal_account.disabled'
  | 'portal_account.enabled'
  | 'portal.signed_up'
  | 'portal.sign_up_refused'
  | 'portal.sign_up_confirmed'
  | 'portal.acting_for_changed'
  | 'proxy.added'
  | 'proxy.removed'
  | 'proxy.list_viewed'
  | 'settings.viewed'
  | 'document.created'
  | 'document.updated'
  | 'document.list_viewed'
  | 'document.downloaded'
  | 'medical_item.created'
  | 'medical_item.updated'
  | 'medical_item.list_viewed'
  | 'settings.updated'
  | 'charge_band.created'
  | 'charge_band.updated'
  | 'charge_band.online_access_changed'
  | 'role.created'
  | 'role.updated'
  | 'role.deleted'
  | 'role.member_added'
  | 'role.member_removed'
  | 'user.created'
  | 'user.updated'
  | 'patient.created'
  | 'patient.updated'
  | 'patient.viewed'
  | 'patient.searched'
  | 'message.searched'
  | 'feed.viewed'
  | 'conversation.viewed'
  | 'conversation.created'
  | 'conversation.closed'
  | 'conversation.reopened'
  | 'conversation.assigned'
  | 'conversation.unassigned'
  | 'conversation.red_flag_cleared'
  | 'inbox.team_viewed'
  | 'topic.created'
  | 'topic.updated'
  | 'topic.deleted'
  | 'quick_reply.created'
  | 'quick_reply.updated'
  | 'quick_reply.deleted'
  | 'message.created'
  | 'message.red_flagged'
  | 'message.out_of_hours_reply'
  | 'conversation.escalated'
  | 'inbox.viewed'
  | 'notification.list_viewed'
  | 'audit.viewed'
  | 'audit.exported'
  | 'activity.viewed'
  | 'chamber.created'
  | 'reports.viewed'
  | 'reports.exported'
  | 'integration.created'
  | 'integration.revoked'
  | 'integration.token_issued'
  | 'integration.token_refused'
  | 'fhir.read'
  | 'fhir.search'
  | 'fhir.refused';

export interface AuditInput {
  action: AuditAction;
  patientId?: string | null;
  subjectType?: string;
  subjectId?: string;
  details?: Record<string, unknown>;
}

/** Builds the "who and from where" part of an audit row from the actor. */
export function auditEntry(
  chamberId: string,
  actor: Actor | AnonymousActor,
  at: Date,
  input: AuditInput,
  label?: string,
): AuditEntry {
  return {
    chamberId,
    at,
    action: input.action,
    actorKind: actor.kind,
    actorUserId: actor.kind === 'staff' ? actor.userId : null,
    actorPatientId: actor.kind === 'patient' ? actor.patientId : null,
    actorLabel:
      label ??
      (actor.kind === 'anonymous'
        ? null
        : actor.kind === 'patient' && actor.proxy
          ? `${actor.proxy.name} for ${actor.name}`
          : actor.name),
    patientId: input.patientId ?? (actor.kind === 'patient' ? actor.patientId : null),
    subjectType: input.subjectType ?? null,
    subjectId: input.subjectId ?? null,
    ip: actor.ip,
    // Rule 18: the audit names both the patient acted for and the proxy's portal account.
    details:
      actor.kind === 'patient' && actor.proxy
        ? { ...input.details, proxyAccountId: actor.accountId }
        : (input.details ?? null),
  };
}

/** Records what a signed-in actor did, in the caller's transaction. */
export function audit(db: Db, actor: Actor, at: Date, ...inputs: AuditInput[]): Promise<void> {
  return insertAuditEvents(
    db,
    inputs.map((i) => auditEntry(actor.chamberId, actor, at, i)),
  );
}

/** `audit` as a statement not yet sent, to go with the transaction's other writes (`writeTogether`). */
export function auditStatement(db: Db, actor: Actor, at: Date, ...inputs: AuditInput[]) {
  return insertAuditEventsStatement(
    db,
    inputs.map((i) => auditEntry(actor.chamberId, actor, at, i)),
  );
}

/**
 * Records a read (a list or record viewed, an export, a download) in a statement of its own,
 * outside any transaction; its commit waits for the disk only if the operator asked
 * (`PORTAL_AUDIT_READS_DURABLE`).
 */
export function auditRead(
  ctx: Pick<ServiceContext, 'db' | 'config'>,
  actor: Actor,
  at: Date,
  ...inputs: AuditInput[]
): Promise<void> {
  return insertReadAuditEvents(
    ctx.db,
    inputs.map((i) => auditEntry(actor.chamberId, actor, at, i)),
    ctx.config.auditReadsDurable,
  );
}

/**
 * Records what the operator's command line did (no one signed in): the actor is the system,
 * labelled with the command (e.g. "npm run chamber"), in the caller's transaction.
 */
export function auditAsSystem(
  db: Db,
  chamberId: string,
  command: string,
  at: Date,
  ...inputs: AuditInput[]
): Promise<void> {
  return insertAuditEvents(
    db,
    inputs.map((i) => ({
      chamberId,
      at,
      action: i.action,
      actorKind: 'system' as const,
      actorLabel: command,
      patientId: i.patientId ?? null,
      subjectType: i.subjectType ?? null,
      subjectId: i.subjectId ?? null,
      ip: null,
      details: i.details ?? null,
    })),
  );
}

/**
 * Recomputes the audit hash chain of one chamber (by key) or of every chamber, one after the
 * other; operators run it with `npm run audit:verify`. An unknown key answers an empty list.
 * `expect` (a row's hash noted earlier) applies to every chamber listed: give it with a key.
 */
export async function verifyAuditChains(
  db: Db,
  options: { chamberKey?: string; batchSize?: number; expect?: AuditChainAnchor } = {},
): Promise<{ chamber: { id: string; key: string }; report: AuditChainReport }[]> {
  const results = [];
  for (const chamber of await chambersByKey(db, options.chamberKey)) {
    results.push({
      chamber,
      report: await verifyAuditChain(db, chamber.id, {
        batchSize: options.batchSize,
        expect: options.expect,
      }),
    });
  }
  return results;
}

/** One audit row as System Activity shows it, with the patient's name and the subject in words. */
export function presentAuditEvent(e: Awaited<ReturnType<typeof findLabelledAuditEvents>>[number]) {
  return {
    id: String(e.id),
    at: new Date(e.at).toISOString(),
    action: e.action,
    actor: {
      kind: e.actorKind,
      userId: e.actorUserId,
      patientId: e.actorPatientId,
      label: e.actorLabel,
    },
    patientId: e.patientId,
    patientName: e.patientName,
    subject: e.subjectType ? { type: e.subjectType, id: e.subjectId, label: e.subjectLabel } : null,
    ip: e.ip,
    details: e.details,
    privileged: e.privileged === true,
  };
}

/** A CSV cell: quoted, and defused so a spreadsheet never runs it as a formula. */
function csvCell(value: unknown): string {
  let s =
    value === null || value === undefined
      ? ''
      : typeof value === 'string'
        ? value
        : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return `"${s.replace(/"/g, '""')}"`;
}

export interface AuditQuery {
  from?: string;
  to?: string;
  action?: string;
  userId?: string;
  patientId?: string;
  hideViews?: 'true' | 'false';
  privileged?: 'true' | 'false';
  cursor?: string;
}

const EXPORT_LIMIT = 100_000;

export function createAuditService(ctx: ServiceContext) {
  const { db, clock } = ctx;

  function filter(q: AuditQuery, limit: number): AuditFilter {
    const date = (v: string | undefined, field: string, endOfDay: boolean) => {
      if (v === undefined) return undefined;
      const d = new Date(
        /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T${endOfDay ? '23:59:59.999' : '00:00:00.000'}Z` : v,
      );
      if (Number.isNaN(d.getTime()))
        throw invalid(
          'validation_failed',
          `${field} must be a date (YYYY-MM-DD) or a date and time.`,
          field,
        );
      return d;
    };
    const before = q.cursor === undefined ? undefined : parseCursor(q.cursor);
    return {
      from: date(q.from, 'from', false),
      to: date(q.to, 'to', true),
      action: q.action,
      userId: q.userId,
      patientId: q.patientId,
      hideViews: q.hideViews === 'true',
      privileged: q.privileged === undefined ? undefined : q.privileged === 'true',
      beforeId: before,
      limit,
    };
  }

  return {
    /** System Activity: newest first, filtered by date, type, user and patient. */
    async list(actor: StaffActor, q: AuditQuery) {
      const rows = await findLabelledAuditEvents(db, actor.chamberId, filter(q, 51), actor);
      const page = rows.slice(0, 50);
      await auditRead(ctx, actor, clock(), {
        action: 'audit.viewed',
        patientId: q.patientId ?? null,
        details: { ...q, cursor: undefined },
      });
      const last = page[page.length - 1];
      return {
        events: page.map(presentAuditEvent),
        nextCursor: rows.length > 50 && last ? encodeCursor(Number(last.id)) : null,
      };
    },

    /** The patient's Activity tab (the read is audited). */
    async forPatient(actor: StaffActor, patientId: string, cursor?: string) {
      if (!(await patientExists(db, actor.chamberId, patientId))) throw notFound('That patient');
      const rows = await findLabelledAuditEvents(
        db,
        actor.chamberId,
        filter({ patientId, cursor }, 51),
        actor,
      );
      const page = rows.slice(0, 50);
      // Who read whose record, and what it is about (document titles, conversation subjects).
      await auditRead(ctx, actor, clock(), {
        action: 'activity.viewed',
        patientId,
        subjectType: 'patient',
        subjectId: patientId,
      });
      const last = page[page.length - 1];
      return {
        events: page.map(presentAuditEvent),
        nextCursor: rows.length > 50 && last ? encodeCursor(Number(last.id)) : null,
      };
    },

    /** System Activity as CSV, with the same filters. */
    async exportCsv(actor: StaffActor, q: AuditQuery): Promise<string> {
      const rows = await findAuditEvents(
        db,
        actor.chamberId,
        filter({ ...q, cursor: undefined }, EXPORT_LIMIT),
      );
      await auditRead(ctx, actor, clock(), {
        action: 'audit.exported',
        patientId: q.patientId ?? null,
        details: { ...q, rows: rows.length },
      });
      const header = [
        'id',
        'at',
        'action',
        'actor_kind',
        'actor',
        'actor_user_id',
        'actor_patient_id',
        'patient_id',
        'subject_type',
        'subject_id',
        'ip',
        'details',
        'privileged',
      ];
      const lines = rows.map((e) =>
        [
          e.id,
          new Date(e.at).toISOString(),
          e.action,
          e.actorKind,
          e.actorLabel,
          e.actorUserId,
          e.actorPatientId,
          e.patientId,
          e.subjectType,
          e.subjectId,
          e.ip,
          e.details,
          e.privileged === true,
        ]
          .map(csvCell)
          .join(','),
      );
      return `${header.join(',')}\r\n${lines.join('\r\n')}${lines.length ? '\r\n' : ''}`;
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
