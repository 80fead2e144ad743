import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { roleMembers, users } from '../../db/schema.js';

export async function findUser(db: Db, chamberId: string, userId: string) {
  const rows = await db
    .select()
    .from(users)
    .where(and(eq(users.chamberId, chamberId), eq(users.id, userId)))
    .limit(1);
  return rows[0];
}

export async function insertUser(db: Db, row: typeof users.$inferInsert): Promise<void> {
  await db.insert(users).values(row);
}

/** Changes name, admin permission and Active/Inactive of a user; one left undefined keeps its value. */
export async function updateUser(
  db: Db,
  chamberId: string,
  userId: string,
  changes: Partial<Pick<typeof users.$inferInsert, 'name' | 'isAdmin' | 'active'>>,
  now: Date,
): Promise<void> {
  await db
    .update(users)
    .set({ ...changes, updatedAt: now })
    .where(and(eq(users.chamberId, chamberId), eq(users.id, userId)));
}

/** The chamber's users with the ids of the roles each holds. */
export async function listUsers(db: Db, chamberId: string) {
  return db
    .select({
      id: users.id,
      name: users.name,
      email: users.email,
      isAdmin: users.isAdmin,
      active: users.active,
      hasPassword: sql<boolean>`${users.passwordHash} is not null`,
      twoStep: sql<boolean>`exists (select 1 from staff_second_factors f where f.chamber_id = users.chamber_id and f.user_id = users.id)`,
      roleIds: sql<
        string[]
      >`(select coalesce(array_agg(rm.role_id::text order by rm.role_id), '{}') from role_members rm join roles r on r.chamber_id = rm.chamber_id and r.id = rm.role_id and r.deleted_at is null where rm.chamber_id = users.chamber_id and rm.user_id = users.id)`,
    })
    .from(users)
    .where(eq(users.chamberId, chamberId))
    .orderBy(asc(users.name));
}

/** Replaces the user's role memberships with exactly these roles; answers the roles added. */
export async function setUserRoles(
  db: Db,
  chamberId: string,
  userId: string,
  roleIds: string[],
): Promise<{ added: string[] }> {
  const had = await db
    .delete(roleMembers)
    .where(and(eq(roleMembers.chamberId, chamberId), eq(roleMembers.userId, userId)))
    .returning({ roleId: roleMembers.roleId });
  const wanted = [...new Set(roleIds)];
  if (wanted.length > 0) {
    await db.insert(roleMembers).values(wanted.map((roleId) => ({ chamberId, roleId, userId })));
  }
  const before = new Set(had.map((r) => r.roleId));
  return { added: wanted.filter((id) => !before.has(id)) };
}
