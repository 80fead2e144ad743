import { Type, type Static } from 'typebox';
import { VISIBLE_CHARACTER } from '../visible-text.js';
import { Id } from './common.js';

/** Roles: the list for the reply form, and User Management's New Role and members. */

/** A role of the chamber. */
export const Role = Type.Object(
  {
    id: Id,
    name: Type.String(),
    isBuiltIn: Type.Boolean({
      description: 'the built-in Appointment Reminder Admin: cannot be renamed or deleted',
    }),
    memberCount: Type.Integer(),
    activeMemberCount: Type.Integer({ description: 'members who are Active users' }),
  },
  { additionalProperties: false },
);
export type Role = Static<typeof Role>;

/** The chamber's roles (deleted ones left out), by name. */
export const RoleList = Type.Object({ roles: Type.Array(Role) }, { additionalProperties: false });
export type RoleList = Static<typeof RoleList>;

/** New Role, or a role's new name. */
export const RoleName = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100, pattern: VISIBLE_CHARACTER }) },
  { additionalProperties: false },
);
export type RoleName = Static<typeof RoleName>;

/** A member of a role. */
export const RoleMember = Type.Object(
  {
    id: Id,
    name: Type.String(),
    email: Type.String(),
    active: Type.Boolean({ description: 'Active / Inactive' }),
  },
  { additionalProperties: false },
);
export type RoleMember = Static<typeof RoleMember>;

/** A role's members, by name. */
export const RoleMemberList = Type.Object(
  { members: Type.Array(RoleMember) },
  { additionalProperties: false },
);
export type RoleMemberList = Static<typeof RoleMemberList>;

/** `/admin/roles/:id/members/:userId`. */
export const RoleMemberParams = Type.Object(
  { id: Id, userId: Id },
  { additionalProperties: false },
);
export type RoleMemberParams = Static<typeof RoleMemberParams>;
