import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { chambers, patients, quickReplies, roles } from '../../db/schema.js';

/** A stored quick reply, its variables unfilled. */
export type QuickReplyRow = Pick<
  typeof quickReplies.$inferSelect,
  'id' | 'name' | 'text' | 'roleIds'
>;

const fields = {
  id: quickReplies.id,
  name: quickReplies.name,
  text: quickReplies.text,
  roleIds: quickReplies.roleIds,
};

const byName = [asc(sql`lower(${quickReplies.name})`), asc(quickReplies.id)];

/** The chamber's quick replies, by name. */
export async function listQuickReplies(db: Db, chamberId: string): Promise<QuickReplyRow[]> {
  return db
    .select(fields)
    .from(quickReplies)
    .where(eq(quickReplies.chamberId, chamberId))
    .orderBy(...byName);
}

/** The quick replies a staff user holding these roles may use: for everyone, or for one of them. */
export async function listUsableQuickReplies(
  db: Db,
  chamberId: string,
  roleIds: string[],
): Promise<QuickReplyRow[]> {
  const held =
    roleIds.length === 0
      ? sql`'{}'::uuid[]`
      : sql`array[${sql.join(
          roleIds.map((id) => sql`${id}::uuid`),
          sql`, `,
        )}]`;
  return db
    .select(fields)
    .from(quickReplies)
    .where(
      and(
        eq(quickReplies.chamberId, chamberId),
        sql`(cardinality(${quickReplies.roleIds}) = 0 or ${quickReplies.roleIds} && ${held})`,
      ),
    )
    .orderBy(...byName);
}

export async function findQuickReply(
  db: Db,
  chamberId: string,
  id: string,
): Promise<QuickReplyRow | undefined> {
  const rows = await db
    .select(fields)
    .from(quickReplies)
    .where(and(eq(quickReplies.chamberId, chamberId), eq(quickReplies.id, id)));
  return rows[0];
}

/** A quick reply of that name (any case), for "already exists". */
export async function findQuickReplyByName(db: Db, chamberId: string, name: string) {
  const rows = await db
    .select({ id: quickReplies.id, name: quickReplies.name })
    .from(quickReplies)
    .where(
      and(eq(quickReplies.chamberId, chamberId), sql`lower(${quickReplies.name}) = lower(${name})`),
    );
  return rows[0];
}

/** The names of these roles of the chamber (deleted ones too, marked). */
export async function findRoleNames(db: Db, chamberId: string, roleIds: string[]) {
  if (roleIds.length === 0) return [];
  return db
    .select({
      id: roles.id,
      name: roles.name,
      deleted: sql<boolean>`${roles.deletedAt} is not null`,
    })
    .from(roles)
    .where(and(eq(roles.chamberId, chamberId), inArray(roles.id, roleIds)));
}

/** What the variables are filled with: the patient's names and the clinic's; none when the patient is not of the chamber. */
export async function findFillFacts(db: Db, chamberId: string, patientId: string) {
  const rows = await db
    .select({
      firstName: patients.givenName,
      lastName: patients.familyName,
      clinicName: chambers.name,
      clinicPhone: chambers.clinicPhone,
    })
    .from(patients)
    .innerJoin(chambers, eq(chambers.id, patients.chamberId))
    .where(and(eq(patients.chamberId, chamberId), eq(patients.id, patientId)));
  return rows[0];
}

export async function insertQuickReply(
  db: Db,
  row: { chamberId: string; id: string; name: string; text: string; roleIds: string[]; now: Date },
): Promise<void> {
  await db.insert(quickReplies).values({
    chamberId: row.chamberId,
    id: row.id,
    name: row.name,
    text: row.text,
    roleIds: row.roleIds,
    createdAt: row.now,
    updatedAt: row.now,
  });
}

export async function updateQuickReply(
  db: Db,
  chamberId: string,
  id: string,
  changes: { name?: string; text?: string; roleIds?: string[] },
  now: Date,
): Promise<void> {
  await db
    .update(quickReplies)
    .set({ ...changes, updatedAt: now })
    .where(and(eq(quickReplies.chamberId, chamberId), eq(quickReplies.id, id)));
}

export async function deleteQuickReply(db: Db, chamberId: string, id: string): Promise<void> {
  await db
    .delete(quickReplies)
    .where(and(eq(quickReplies.chamberId, chamberId), eq(quickReplies.id, id)));
}
