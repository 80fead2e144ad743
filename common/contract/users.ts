import { Type, type Static } from 'typebox';
import { EmailAddress, PersonName } from './auth.js';
import { Id } from './common.js';

/** Start Page > Admin > User Management: users (New User, Active/Inactive, roles). */

const RoleIds = Type.Array(Id, { maxItems: 50, description: 'the roles the user holds' });

/** A staff user as User Management lists them. */
export const User = Type.Object(
  {
    id: Id,
    name: Type.String(),
    email: Type.String({ description: 'the user name' }),
    isAdmin: Type.Boolean({ description: 'holds the admin permission' }),
    active: Type.Boolean({ description: 'Active / Inactive: an Inactive user cannot sign in' }),
    hasPassword: Type.Boolean({ description: 'false while an invitation waits to be used' }),
    twoStep: Type.Boolean({
      description: 'has a passkey or an authenticator app (two-step verification)',
    }),
    roleIds: Type.Array(Id),
  },
  { additionalProperties: false },
);
export type User = Static<typeof User>;

/** The chamber's users, by name. */
export const UserList = Type.Object({ users: Type.Array(User) }, { additionalProperties: false });
export type UserList = Static<typeof UserList>;

/** New User: without a password, the user is emailed an invitation to set one. */
export const NewUser = Type.Object(
  {
    name: PersonName(200),
    email: EmailAddress,
    isAdmin: Type.Optional(Type.Boolean()),
    roleIds: Type.Optional(RoleIds),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type NewUser = Static<typeof NewUser>;

/** The fields to change; an admin cannot remove their own admin permission nor make themselves Inactive. */
export const UserChanges = Type.Object(
  {
    name: Type.Optional(PersonName(200)),
    isAdmin: Type.Optional(Type.Boolean()),
    active: Type.Optional(Type.Boolean({ description: 'Active / Inactive' })),
    roleIds: Type.Optional(RoleIds),
  },
  { additionalProperties: false },
);
export type UserChanges = Static<typeof UserChanges>;
