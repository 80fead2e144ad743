import { randomUUID } from 'node:crypto';
import { conflict, notFound } from '../../errors.js';
import type { ServiceContext } from '../../lib/context.js';
import { assertAcceptablePassword, hashPassword, passwordUserInputs } from '../../lib/passwords.js';
import type { StaffActor } from '../auth/actor.js';
import { createAccountLink } from '../auth/account-links.js';
import { deleteSessionsOf, findStaffByEmail } from '../auth/auth.repository.js';
import { audit } from '../audit/audit.service.js';
import { findChamber } from '../chambers/chamber.repository.js';
import { wakeAfterCommit } from '../../db/event-order.js';
import {
  assertRolesOfChamber,
  recordMembersAdded,
  unassignAndAudit,
} from '../roles/role.service.js';
import { findUser, insertUser, listUsers, setUserRoles, updateUser } from './user.repository.js';

export interface NewUserInput {
  name: string;
  email: string;
  isAdmin?: boolean;
  roleIds?: string[];
  /** When absent, the user is emailed an invitation link to set one. */
  password?: string;
}

export interface UserChanges {
  name?: string;
  isAdmin?: boolean;
  active?: boolean;
  roleIds?: string[];
}

export function createUserService(ctx: ServiceContext) {
  const { db, clock } = ctx;

  async function present(chamberId: string, userId: string) {
    const all = await listUsers(db, chamberId);
    const user = all.find((u) => u.id === userId);
    if (!user) throw notFound('That user');
    return user;
  }

  return {
    list(actor: StaffActor) {
      return listUsers(db, actor.chamberId);
    },

    /** New User: with a password, or with an emailed invitation to set one. */
    async create(actor: StaffActor, input: NewUserInput) {
      const email = input.email.trim();
      if (await findStaffByEmail(db, actor.chamberId, email)) {
        throw conflict('email_taken', 'A user with this email exists already.', 'email');
      }
      const roleIds = input.roleIds ?? [];
      await assertRolesOfChamber(ctx, actor.chamberId, roleIds);
      if (input.password !== undefined) {
        const chamber = await findChamber(db, actor.chamberId);
        await assertAcceptablePassword(
          input.password,
          passwordUserInputs(email, input.name, chamber?.name, chamber?.key),
        );
      }
      const passwordHash = input.password !== undefined ? await hashPassword(input.password) : null;
      const id = randomUUID();
      const now = clock();
      await db.transaction(async (tx) => {
        await insertUser(tx, {
          chamberId: actor.chamberId,
          id,
          email,
          name: input.name.trim(),
          passwordHash,
          isAdmin: input.isAdmin ?? false,
          active: true,
          passwordChangedAt: passwordHash ? now : null,
          createdAt: now,
          updatedAt: now,
        });
        const { added } = await setUserRoles(tx, actor.chamberId, id, roleIds);
        if (!passwordHash) {
          await createAccountLink(tx, {
            chamberId: actor.chamberId,
            subject: { userId: id },
            purpose: 'invitation',
            now,
          });
        }
        await audit(tx, actor, now, {
          action: 'user.created',
          subjectType: 'user',
          subjectId: id,
          details: { isAdmin: input.isAdmin ?? false, roleIds },
        });
        // Each role's members are told of their new colleague (issue 17).
        await recordMembersAdded(tx, actor, now, { id, name: input.name.trim() }, added);
      });
      if (!passwordHash) ctx.signals.jobsEnqueued();
      return present(actor.chamberId, id);
    },

    /** Changes name, admin permission, Active/Inactive and roles; an admin cannot lock themselves out. */
    async update(actor: StaffActor, userId: string, changes: UserChanges) {
      const user = await findUser(db, actor.chamberId, userId);
      if (!user) throw notFound('That user');
      if (userId === actor.userId && (changes.isAdmin === false || changes.active === false)) {
        throw conflict(
          'cannot_lock_out_self',
          'You cannot remove your own admin permission or make yourself Inactive.',
          changes.active === false ? 'active' : 'isAdmin',
        );
      }
      if (changes.roleIds) await assertRolesOfChamber(ctx, actor.chamberId, changes.roleIds);
      const now = clock();
      await db.transaction(async (tx) => {
        await updateUser(
          tx,
          actor.chamberId,
          userId,
          { name: changes.name?.trim(), isAdmin: changes.isAdmin, active: changes.active },
          now,
        );
        const added = changes.roleIds
          ? (await setUserRoles(tx, actor.chamberId, userId, changes.roleIds)).added
          : [];
        if (changes.active === false) await deleteSessionsOf(tx, actor.chamberId, { userId });
        // An assignee made Inactive, or who can no longer see a conversation, is unassigned.
        if (changes.active === false || changes.roleIds) {
          await unassignAndAudit(
            tx,
            actor,
            userId,
            now,
            changes.active === false ? 'inactive' : 'cannot_see',
          );
        }
        await audit(tx, actor, now, {
          action: 'user.updated',
          subjectType: 'user',
          subjectId: userId,
          details: { ...changes, name: changes.name === undefined ? undefined : '(changed)' },
        });
        await recordMembersAdded(
          tx,
          actor,
          now,
          { id: userId, name: changes.name?.trim() ?? user.name },
          added,
        );
      });
      if (changes.active === false || changes.roleIds) await wakeAfterCommit(db, actor.chamberId);
      return present(actor.chamberId, userId);
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
