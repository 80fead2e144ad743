import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { staffOf } from '../../plugins/auth.js';
import { EmailAddress, Id, IdParams, PersonName, withErrors } from '../../lib/schemas.js';
import type { UserService } from './user.service.js';

const NewUser = Type.Object(
  {
    name: PersonName(200),
    email: EmailAddress,
    isAdmin: Type.Optional(Type.Boolean()),
    roleIds: Type.Optional(Type.Array(Id, { maxItems: 50 })),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
const Changes = Type.Object(
  {
    name: Type.Optional(PersonName(200)),
    isAdmin: Type.Optional(Type.Boolean()),
    active: Type.Optional(Type.Boolean({ description: 'Active / Inactive' })),
    roleIds: Type.Optional(Type.Array(Id, { maxItems: 50 })),
  },
  { additionalProperties: false },
);

/** Start Page > Admin > User Management: users. */
export async function userRoutes(
  app: FastifyInstance,
  opts: { users: UserService },
): Promise<void> {
  const { users } = opts;
  app.get(
    '/api/v1/admin/users',
    {
      config: { auth: 'admin' },
      schema: { tags: ['Admin'], summary: 'Users', response: withErrors({}) },
    },
    async (request) => ({
      users: await users.list(staffOf(request)),
    }),
  );
  app.post<{ Body: Static<typeof NewUser> }>(
    '/api/v1/admin/users',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'New User (without a password, the user is emailed an invitation)',
        body: NewUser,
        response: withErrors({}),
      },
    },
    async (request, reply) =>
      reply.status(201).send(await users.create(staffOf(request), request.body)),
  );
  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof Changes> }>(
    '/api/v1/admin/users/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Change a user (name, admin permission, Active/Inactive, roles)',
        params: IdParams,
        body: Changes,
        response: withErrors({}),
      },
    },
    async (request) => users.update(staffOf(request), request.params.id, request.body),
  );
}
