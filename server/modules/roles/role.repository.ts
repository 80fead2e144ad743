import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { uuidArrayParam } from '../../db/arrays.js';
import { roleMembers, roles, users } from '../../db/schema.js';

/** The chamber's roles (not deleted), with the number of Active members of each. */
export async function listRoles(db: Db, chamberId: string) {
  return db
    .select({
      id: roles.id,
      name: roles.name,
      isBuiltIn: roles.isBuiltIn,
      memberCount: sql<number>`(select count(*)::int from ${roleMembers} rm where rm.chamber_id = roles.chamber_id and rm.role_id = roles.id)`,
      activeMemberCount: sql<number>`(select count(*)::int from ${roleMembers} rm join ${users} u on u.chamber_id = rm.chamber_id and u.id = rm.user_id and u.active where rm.chamber_id = roles.chamber_id and rm.role_id = roles.id)`,
    })
    .from(roles)
    .where(and(eq(roles.chamberId, chamberId), isNull(roles.deletedAt)))
    .orderBy(asc(roles.name));
}

export async function insertRole(db: Db, row: typeof roles.$inferInsert): Promise<void> {
  await db.insert(roles).values(row);
}

export async function renameRole(db: Db, chamberId: string, roleId: string, name: string) {
  await db
    .update(roles)
    .set({ name })
    .where(and(eq(roles.chamberId, chamberId), eq(roles.id, roleId)));
}

/** Marks a role deleted; messages keep it in their audience history. */
export async function markRoleDeleted(db: Db, chamberId: string, roleId: string, now: Date) {
  await db
    .update(roles)
    .set({ deletedAt: now })
    .where(and(eq(roles.chamberId, chamberId), eq(roles.id, roleId)));
}

export async function findRole(db: Db, chamberId: string, roleId: string) {
  const rows = await db
    .select()
    .from(roles)
    .where(and(eq(roles.chamberId, chamberId), eq(roles.id, roleId), isNull(roles.deletedAt)))
    .limit(1);
  return rows[0];
}

/** How many of the given ids are live roles of this chamber. */
export async function countLiveRoles(
  db: Db,
  chamberId: string,
  roleIds: string[],
): Promise<number> {
  if (roleIds.length === 0) return 0;
  const rows = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(roles)
    .where(
      and(eq(roles.chamberId, chamberId), inArray(roles.id, roleIds), isNull(roles.deletedAt)),
    );
  return Number(rows[0]?.n ?? 0);
}

export async function findRoleByName(db: Db, chamberId: string, name: string) {
  const rows = await db
    .select()
    .from(roles)
    .where(
      and(
        eq(roles.chamberId, chamberId),
        sql`lower(${roles.name}) = lower(${name})`,
        isNull(roles.deletedAt),
      ),
    )
    .limit(1);
  return rows[0];
}

export async function listMembers(db: Db, chamberId: string, roleId: string) {
  return db
    .select({ id: users.id, name: users.name, email: users.email, active: users.active })
    .from(roleMembers)
    .innerJoin(
      users,
      and(eq(users.chamberId, roleMembers.chamberId), eq(users.id, roleMembers.userId)),
    )
    .where(and(eq(roleMembers.chamberId, chamberId), eq(roleMembers.roleId, roleId)))
    .orderBy(asc(users.name));
}

/** The user if they are one of the chamber's staff (active or not), before making them a member. */
export async function findUserOfChamber(db: Db, chamberId: string, userId: string) {
  const rows = await db
    .select({ id: users.id, name: users.name })
    .from(users)
    .where(and(eq(users.chamberId, chamberId), eq(users.id, userId)))
    .limit(1);
  return rows[0];
}

/** The live roles among these ids, with their names. */
export async function findLiveRoles(db: Db, chamberId: string, roleIds: string[]) {
  if (roleIds.length === 0) return [];
  return db
    .select({ id: roles.id, name: roles.name })
    .from(roles)
    .where(and(eq(roles.chamberId, chamberId), inArray(roles.id, roleIds), isNull(roles.deletedAt)))
    .orderBy(asc(roles.name));
}

/**
 * Tells the Active members of some roles (of every live role when `roleIds` is null) that an
 * admin act opened those roles' internal notes to someone new: one `access_change`
 * notification each, holding the sentence; nobody in `exceptUserIds` (the admin who acted, the
 * new member). Answers how many users were told.
 */
export async function insertAccessChangeNotifications(
  db: Db,
  n: {
    chamberId: string;
    roleIds: string[] | null;
    exceptUserIds: string[];
    detail: string;
    now: Date;
  },
): Promise<number> {
  const now = sql`${n.now.toISOString()}::timestamptz`;
  const inRoles =
    n.roleIds === null ? sql`true` : sql`rm.role_id = any(${uuidArrayParam(n.roleIds)})`;
  const told = await db.execute<{ user_id: string }>(sql`
    insert into notifications (chamber_id, id, user_id, kind, message_count, created_at, updated_at, detail)
    select ${n.chamberId}::uuid, gen_random_uuid(), x.user_id, 'access_change', 1, ${now}, ${now}, ${n.detail}
      from (select distinct rm.user_id
              from role_members rm
              join roles r on r.chamber_id = rm.chamber_id and r.id = rm.role_id and r.deleted_at is null
              join users u on u.chamber_id = rm.chamber_id and u.id = rm.user_id and u.active
             where rm.chamber_id = ${n.chamberId}::uuid and ${inRoles}
               and rm.user_id <> all(${uuidArrayParam(n.exceptUserIds)})) x
    returning user_id`);
  return told.rows.length;
}

export async function addMember(
  db: Db,
  chamberId: string,
  roleId: string,
  userId: string,
): Promise<boolean> {
  const rows = await db
    .insert(roleMembers)
    .values({ chamberId, roleId, userId })
    .onConflictDoNothing()
    .returning({ userId: roleMembers.userId });
  return rows.length > 0;
}

export async function removeMember(
  db: Db,
  chamberId: string,
  roleId: string,
  userId: string,
): Promise<boolean> {
  const rows = await db
    .delete(roleMembers)
    .where(
      and(
        eq(roleMembers.chamberId, chamberId),
        eq(roleMembers.roleId, roleId),
        eq(roleMembers.userId, userId),
      ),
    )
    .returning({ userId: roleMembers.userId });
  return rows.length > 0;
}

/**
 * Unassigns the user from the conversations they can no longer see, or from all of them when
 * they are Inactive (rule 10), logging `conversation.updated` for each (its UPDATE takes each
 * conversation's row lock, so a send to one of them waits for it or it for the send).
 */
export async function unassignWhereUnseen(
  db: Db,
  chamberId: string,
  userId: string,
  now: Date,
): Promise<{ id: string; patientId: string }[]> {
  const result = await db.execute<{ id: string; patient_id: string }>(sql`
    with who as (
      select u.active,
             coalesce((select array_agg(rm.role_id) from role_members rm
                         join roles r on r.chamber_id = rm.chamber_id and r.id = rm.role_id and r.deleted_at is null
                        where rm.chamber_id = u.chamber_id and rm.user_id = u.id), '{}'::uuid[]) as role_ids
        from users u where u.chamber_id = ${chamberId}::uuid and u.id = ${userId}::uuid
    ), changed as (
      update conversations c set assignee_user_id = null, updated_at = ${now.toISOString()}::timestamptz
        from who
       where c.chamber_id = ${chamberId}::uuid and c.assignee_user_id = ${userId}::uuid
         and (not who.active or not (c.staff_role_ids && who.role_ids or ${userId}::uuid = any(c.staff_author_ids)))
      returning c.id, c.patient_id, c.staff_role_ids, c.staff_author_ids
    ), logged as (
      insert into live_events (chamber_id, kind, patient_id, conversation_id, to_patient, role_ids, user_ids, data, created_at)
      select ${chamberId}::uuid, 'conversation.updated', patient_id, id, false, staff_role_ids, staff_author_ids,
             jsonb_build_object('by', null), ${now.toISOString()}::timestamptz
        from changed
    )
    select id, patient_id from changed`);
  return result.rows.map((r) => ({ id: r.id, patientId: r.patient_id }));
}
