import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NewUser, User, UserChanges, UserList } from '../../../common/contract/users.js';
import { staffOf } from '../../plugins/auth.js';
import { IdParams, withErrors } from '../../lib/schemas.js';
import type { UserService } from './user.service.js';

/** Start Page > Admin > User Management: users. */
export const userRoutes: FastifyPluginAsyncTypebox<{ users: UserService }> = async (
  app,
  { users },
) => {
  app.get(
    '/api/v1/admin/users',
    {
      config: { auth: 'admin' },
      schema: { tags: ['Admin'], summary: 'Users', response: withErrors({ 200: UserList }) },
    },
    async (request) => ({ users: await users.list(staffOf(request)) }),
  );
  app.post(
    '/api/v1/admin/users',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'New User (without a password, the user is emailed an invitation)',
        body: NewUser,
        response: withErrors({ 201: User }),
      },
    },
    async (request, reply) =>
      reply.status(201).send(await users.create(staffOf(request), request.body)),
  );
  app.patch(
    '/api/v1/admin/users/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Change a user (name, admin permission, Active/Inactive, roles)',
        params: IdParams,
        body: UserChanges,
        response: withErrors({ 200: User }),
      },
    },
    async (request) => users.update(staffOf(request), request.params.id, request.body),
  );
};
