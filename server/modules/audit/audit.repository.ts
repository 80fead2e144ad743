import { and, desc, eq, gte, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { auditEvents } from '../../db/schema.js';

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

/** Appends audit rows; never updates (the database refuses it anyway). */
export async function insertAuditEvents(db: Db, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db.insert(auditEvents).values(
    entries.map((e) => ({
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
    })),
  );
}

export interface AuditFilter {
  from?: Date;
  to?: Date;
  action?: string;
  userId?: string;
  patientId?: string;
  beforeId?: number;
  limit: number;
}

/** Newest first, filtered by chamber and the given criteria. */
export async function findAuditEvents(db: Db, chamberId: string, f: AuditFilter) {
  const where: SQL[] = [eq(auditEvents.chamberId, chamberId)];
  if (f.from) where.push(gte(auditEvents.at, f.from));
  if (f.to) where.push(lte(auditEvents.at, f.to));
  if (f.action)
    where.push(sql`${auditEvents.action} like ${`${f.action.replace(/[%_\\]/g, '\\$&')}%`}`);
  if (f.userId) where.push(eq(auditEvents.actorUserId, f.userId));
  if (f.patientId) where.push(eq(auditEvents.patientId, f.patientId));
  if (f.beforeId !== undefined) where.push(lt(auditEvents.id, f.beforeId));
  return db
    .select()
    .from(auditEvents)
    .where(and(...where))
    .orderBy(desc(auditEvents.id))
    .limit(f.limit);
}
