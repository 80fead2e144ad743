import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { roles, topics } from '../../db/schema.js';

type TopicRecord = typeof topics.$inferSelect;

/** A topic with its role, as the admin list shows it. */
export type TopicRow = Pick<TopicRecord, 'id' | 'name' | 'active'> & {
  roleId: string;
  roleName: string;
  roleDeleted: boolean;
};

const topicFields = {
  id: topics.id,
  name: topics.name,
  active: topics.active,
  roleId: topics.roleId,
  roleName: roles.name,
  roleDeleted: sql<boolean>`${roles.deletedAt} is not null`,
};

const topicRole = and(eq(roles.chamberId, topics.chamberId), eq(roles.id, topics.roleId));

/** The chamber's topics (deleted ones left out), by name. */
export async function listTopics(db: Db, chamberId: string): Promise<TopicRow[]> {
  return db
    .select(topicFields)
    .from(topics)
    .innerJoin(roles, topicRole)
    .where(and(eq(topics.chamberId, chamberId), isNull(topics.deletedAt)))
    .orderBy(asc(sql`lower(${topics.name})`), asc(topics.id));
}

/** The topics the portal offers: active, not deleted, by name. */
export async function listOfferedTopics(db: Db, chamberId: string) {
  return db
    .select({ id: topics.id, name: topics.name })
    .from(topics)
    .where(and(eq(topics.chamberId, chamberId), isNull(topics.deletedAt), eq(topics.active, true)))
    .orderBy(asc(sql`lower(${topics.name})`), asc(topics.id));
}

export async function findTopic(
  db: Db,
  chamberId: string,
  id: string,
): Promise<TopicRow | undefined> {
  const rows = await db
    .select(topicFields)
    .from(topics)
    .innerJoin(roles, topicRole)
    .where(and(eq(topics.chamberId, chamberId), eq(topics.id, id), isNull(topics.deletedAt)));
  return rows[0];
}

/** A live topic of that name (any case), for "already exists". */
export async function findTopicByName(db: Db, chamberId: string, name: string) {
  const rows = await db
    .select({ id: topics.id, name: topics.name })
    .from(topics)
    .where(
      and(
        eq(topics.chamberId, chamberId),
        isNull(topics.deletedAt),
        sql`lower(${topics.name}) = lower(${name})`,
      ),
    );
  return rows[0];
}

export async function insertTopic(
  db: Db,
  row: { chamberId: string; id: string; name: string; roleId: string; active: boolean; now: Date },
): Promise<void> {
  await db.insert(topics).values({
    chamberId: row.chamberId,
    id: row.id,
    name: row.name,
    roleId: row.roleId,
    active: row.active,
    createdAt: row.now,
    updatedAt: row.now,
  });
}

export async function updateTopic(
  db: Db,
  chamberId: string,
  id: string,
  changes: { name?: string; roleId?: string; active?: boolean },
  now: Date,
): Promise<void> {
  await db
    .update(topics)
    .set({ ...changes, updatedAt: now })
    .where(and(eq(topics.chamberId, chamberId), eq(topics.id, id)));
}

/** A deleted topic stays for the conversations that have it; it is never offered again. */
export async function markTopicDeleted(db: Db, chamberId: string, id: string, now: Date) {
  await db
    .update(topics)
    .set({ deletedAt: now, active: false, updatedAt: now })
    .where(and(eq(topics.chamberId, chamberId), eq(topics.id, id)));
}
