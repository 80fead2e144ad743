import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/connect.js';
import { wakeAfterCommit } from '../../db/event-order.js';
import { conflict, invalid, notFound } from '../../errors.js';
import type { ServiceContext } from '../../lib/context.js';
import type { StaffActor } from '../auth/actor.js';
import { audit, type AuditInput } from '../audit/audit.service.js';
import {
  addMember,
  countLiveRoles,
  findLiveRoles,
  findRole,
  findRoleByName,
  findUserOfChamber,
  insertAccessChangeNotifications,
  insertRole,
  listMembers,
  listRoles,
  markRoleDeleted,
  removeMember,
  renameRole,
  unassignWhereUnseen,
} from './role.repository.js';

/** Refuses role ids that are not live roles of the actor's chamber (another chamber's, deleted, unknown). */
export async function assertRolesOfChamber(
  ctx: ServiceContext,
  chamberId: string,
  roleIds: string[],
  field = 'roleIds',
): Promise<void> {
  const unique = [...new Set(roleIds)];
  if ((await countLiveRoles(ctx.db, chamberId, unique)) !== unique.length) {
    throw invalid('role_not_found', 'One of the chosen roles does not exist.', field);
  }
}

/**
 * Unassigns the user from the conversations they can no longer see (or all, when Inactive),
 * each change audited (rule 10). Runs inside the caller's transaction; the caller wakes the
 * live events after its commit (`wakeAfterCommit`).
 */
export async function unassignAndAudit(
  tx: Db,
  actor: StaffActor,
  userId: string,
  now: Date,
  reason: 'inactive' | 'cannot_see',
): Promise<void> {
  const unassigned = await unassignWhereUnseen(tx, actor.chamberId, userId, now);
  const [first, ...rest] = unassigned.map((c) => ({
    action: 'conversation.unassigned' as const,
    patientId: c.patientId,
    subjectType: 'conversation',
    subjectId: c.id,
    details: { previousAssigneeId: userId, reason },
  }));
  if (first) await audit(tx, actor, now, first, ...rest);
}

/**
 * Tells the Active members of some roles (every live role when `roleIds` is null), in the app,
 * that an admin act opened their internal notes to someone new (issue 17: the admin's side
 * doors, made visible); never the admin who acted nor anyone in `exceptUserIds`. Answers how
 * many were told. Runs inside the caller's transaction.
 */
export function tellRoleMembers(
  tx: Db,
  actor: StaffActor,
  now: Date,
  told: { roleIds: string[] | null; exceptUserIds?: string[]; detail: string },
): Promise<number> {
  return insertAccessChangeNotifications(tx, {
    chamberId: actor.chamberId,
    roleIds: told.roleIds,
    exceptUserIds: [actor.userId, ...(told.exceptUserIds ?? [])],
    detail: told.detail,
    now,
  });
}

/**
 * A user was made a member of roles by an admin (Add member, New User, a user's roles
 * changed): each role's other Active members are told ("Ada Admin joined Nurses", "Ada Admin
 * added Sam Smith to Nurses") and each membership is audited as `role.member_added`, which
 * System Activity marks as privileged. Runs inside the caller's transaction.
 */
export async function recordMembersAdded(
  tx: Db,
  actor: StaffActor,
  now: Date,
  member: { id: string; name: string },
  roleIds: string[],
): Promise<void> {
  const audits: AuditInput[] = [];
  for (const role of await findLiveRoles(tx, actor.chamberId, roleIds)) {
    const notified = await tellRoleMembers(tx, actor, now, {
      roleIds: [role.id],
      exceptUserIds: [member.id],
      detail:
        member.id === actor.userId
          ? `${actor.name} joined ${role.name}`
          : `${actor.name} added ${member.name} to ${role.name}`,
    });
    audits.push({
      action: 'role.member_added',
      subjectType: 'role',
      subjectId: role.id,
      details: { userId: member.id, notified },
    });
  }
  const [first, ...rest] = audits;
  if (first) await audit(tx, actor, now, first, ...rest);
}

export function createRoleService(ctx: ServiceContext) {
  const { db, clock } = ctx;

  const roleNotFound = () => notFound('That role');

  async function assertNameFree(chamberId: string, name: string, exceptId?: string) {
    const existing = await findRoleByName(db, chamberId, name);
    if (existing && existing.id !== exceptId) {
      throw conflict('role_name_taken', `A role named "${existing.name}" exists already.`, 'name');
    }
  }

  return {
    /** The chamber's roles, for the reply form and the admin screens. */
    list(actor: StaffActor) {
      return listRoles(db, actor.chamberId);
    },

    /** New Role. */
    async create(actor: StaffActor, input: { name: string }) {
      const name = input.name.trim();
      await assertNameFree(actor.chamberId, name);
      const id = randomUUID();
      const now = clock();
      await db.transaction(async (tx) => {
        await insertRole(tx, { chamberId: actor.chamberId, id, name, createdAt: now });
        await audit(tx, actor, now, {
          action: 'role.created',
          subjectType: 'role',
          subjectId: id,
          details: { name },
        });
      });
      return { id, name, isBuiltIn: false, memberCount: 0, activeMemberCount: 0 };
    },

    async rename(actor: StaffActor, roleId: string, input: { name: string }) {
      const role = await findRole(db, actor.chamberId, roleId);
      if (!role) throw roleNotFound();
      if (role.isBuiltIn)
        throw conflict('role_built_in', 'The built-in role cannot be renamed.', 'name');
      const name = input.name.trim();
      await assertNameFree(actor.chamberId, name, roleId);
      const now = clock();
      await db.transaction(async (tx) => {
        await renameRole(tx, actor.chamberId, roleId, name);
        await audit(tx, actor, now, {
          action: 'role.updated',
          subjectType: 'role',
          subjectId: roleId,
          details: { from: role.name, to: name },
        });
      });
    },

    /**
     * Deletes a role. Messages keep it in their audience history; if it was the Role for new
     * messages, new messages go to the built-in role (rule 2).
     */
    async remove(actor: StaffActor, roleId: string) {
      const role = await findRole(db, actor.chamberId, roleId);
      if (!role) throw roleNotFound();
      if (role.isBuiltIn) throw conflict('role_built_in', 'The built-in role cannot be deleted.');
      const now = clock();
      const members = await listMembers(db, actor.chamberId, roleId);
      await db.transaction(async (tx) => {
        await markRoleDeleted(tx, actor.chamberId, roleId, now);
        // Its members' assignments they can no longer see end (rule 10).
        for (const m of members) await unassignAndAudit(tx, actor, m.id, now, 'cannot_see');
        await audit(tx, actor, now, {
          action: 'role.deleted',
          subjectType: 'role',
          subjectId: roleId,
          details: { name: role.name },
        });
      });
      await wakeAfterCommit(db, actor.chamberId);
    },

    async members(actor: StaffActor, roleId: string) {
      if (!(await findRole(db, actor.chamberId, roleId))) throw roleNotFound();
      return listMembers(db, actor.chamberId, roleId);
    },

    /** Adds a member; the role's other Active members are told (see `recordMembersAdded`). */
    async addMember(actor: StaffActor, roleId: string, userId: string) {
      if (!(await findRole(db, actor.chamberId, roleId))) throw roleNotFound();
      const member = await findUserOfChamber(db, actor.chamberId, userId);
      if (!member) throw notFound('That user');
      const now = clock();
      await db.transaction(async (tx) => {
        if (await addMember(tx, actor.chamberId, roleId, userId))
          await recordMembersAdded(tx, actor, now, member, [roleId]);
      });
    },

    async removeMember(actor: StaffActor, roleId: string, userId: string) {
      if (!(await findRole(db, actor.chamberId, roleId))) throw roleNotFound();
      const now = clock();
      await db.transaction(async (tx) => {
        if (!(await removeMember(tx, actor.chamberId, roleId, userId)))
          throw notFound('That member');
        await unassignAndAudit(tx, actor, userId, now, 'cannot_see');
        await audit(tx, actor, now, {
          action: 'role.member_removed',
          subjectType: 'role',
          subjectId: roleId,
          details: { userId },
        });
      });
      await wakeAfterCommit(db, actor.chamberId);
    },
  };
}

export type RoleService = ReturnType<typeof createRoleService>;
