import { randomUUID } from 'node:crypto';
import type {
  NewTopic,
  PortalTopics,
  Topic,
  TopicChange,
  TopicList,
} from '../../../common/contract/topics.js';
import { conflict, notFound } from '../../errors.js';
import type { ServiceContext } from '../../lib/context.js';
import type { PatientActor, StaffActor } from '../auth/actor.js';
import { audit } from '../audit/audit.service.js';
import { requirePatientAccess } from '../portal-access/portal-access.service.js';
import { assertRolesOfChamber } from '../roles/role.service.js';
import {
  findTopic,
  findTopicByName,
  insertTopic,
  listOfferedTopics,
  listTopics,
  markTopicDeleted,
  updateTopic,
  type TopicRow,
} from './topic.repository.js';

function present(t: TopicRow): Topic {
  return {
    id: t.id,
    name: t.name,
    role: { id: t.roleId, name: t.roleName },
    roleDeleted: t.roleDeleted,
    active: t.active,
  };
}

/** Admin > Configuration > Online Portal > Message Topics (SPEC rule 9). */
export function createTopicService(ctx: ServiceContext) {
  const { db, clock } = ctx;

  async function assertNameFree(chamberId: string, name: string, exceptId?: string) {
    const existing = await findTopicByName(db, chamberId, name);
    if (existing && existing.id !== exceptId) {
      throw conflict(
        'topic_name_taken',
        `A topic named "${existing.name}" exists already.`,
        'name',
      );
    }
  }

  async function topicOf(actor: StaffActor, id: string): Promise<TopicRow> {
    const topic = await findTopic(db, actor.chamberId, id);
    if (!topic) throw notFound('That topic');
    return topic;
  }

  return {
    async list(actor: StaffActor): Promise<TopicList> {
      return { topics: (await listTopics(db, actor.chamberId)).map(present) };
    },

    /** What the portal's New message offers under "What is your message about?". */
    async offered(actor: PatientActor): Promise<PortalTopics> {
      await requirePatientAccess(db, actor, 'messaging');
      return { topics: await listOfferedTopics(db, actor.chamberId) };
    },

    /** New Topic: a name and the role its conversations go to. */
    async create(actor: StaffActor, input: NewTopic): Promise<Topic> {
      const name = input.name.trim();
      await assertRolesOfChamber(ctx, actor.chamberId, [input.roleId], 'roleId');
      await assertNameFree(actor.chamberId, name);
      const id = randomUUID();
      const now = clock();
      await db.transaction(async (tx) => {
        await insertTopic(tx, {
          chamberId: actor.chamberId,
          id,
          name,
          roleId: input.roleId,
          active: input.active ?? true,
          now,
        });
        await audit(tx, actor, now, {
          action: 'topic.created',
          subjectType: 'topic',
          subjectId: id,
          details: { name, roleId: input.roleId, active: input.active ?? true },
        });
      });
      return present(await topicOf(actor, id));
    },

    /** Renames a topic, routes it to another role, or makes it (in)active. */
    async update(actor: StaffActor, id: string, input: TopicChange): Promise<Topic> {
      const before = await topicOf(actor, id);
      const name = input.name?.trim();
      if (input.roleId !== undefined)
        await assertRolesOfChamber(ctx, actor.chamberId, [input.roleId], 'roleId');
      if (name !== undefined) await assertNameFree(actor.chamberId, name, id);
      const now = clock();
      await db.transaction(async (tx) => {
        await updateTopic(
          tx,
          actor.chamberId,
          id,
          { name, roleId: input.roleId, active: input.active },
          now,
        );
        await audit(tx, actor, now, {
          action: 'topic.updated',
          subjectType: 'topic',
          subjectId: id,
          details: {
            ...(name !== undefined ? { from: before.name, to: name } : {}),
            ...(input.roleId !== undefined ? { roleId: input.roleId } : {}),
            ...(input.active !== undefined ? { active: input.active } : {}),
          },
        });
      });
      return present(await topicOf(actor, id));
    },

    /** Deletes a topic: no longer offered; its conversations keep it. */
    async remove(actor: StaffActor, id: string): Promise<void> {
      const topic = await topicOf(actor, id);
      const now = clock();
      await db.transaction(async (tx) => {
        await markTopicDeleted(tx, actor.chamberId, id, now);
        await audit(tx, actor, now, {
          action: 'topic.deleted',
          subjectType: 'topic',
          subjectId: id,
          details: { name: topic.name },
        });
      });
    },
  };
}

export type TopicService = ReturnType<typeof createTopicService>;
