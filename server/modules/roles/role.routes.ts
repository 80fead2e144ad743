import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  Role,
  RoleList,
  RoleMemberList,
  RoleMemberParams,
  RoleName,
} from '../../../common/contract/roles.js';
import { staffOf } from '../../plugins/auth.js';
import { IdParams, Ok, withErrors } from '../../lib/schemas.js';
import type { RoleService } from './role.service.js';

/** Roles: the list for the reply form, and User Management's New Role and members. */
export const roleRoutes: FastifyPluginAsyncTypebox<{ roles: RoleService }> = async (
  app,
  { roles },
) => {
  app.get(
    '/api/v1/roles',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Roles'],
        summary: "The chamber's roles",
        response: withErrors({ 200: RoleList }),
      },
    },
    async (request) => ({
      roles: (await roles.list(staffOf(request))).map((r) => ({
        ...r,
        memberCount: Number(r.memberCount),
        activeMemberCount: Number(r.activeMemberCount),
      })),
    }),
  );
  app.post(
    '/api/v1/admin/roles',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'New Role',
        body: RoleName,
        response: withErrors({ 201: Role }),
      },
    },
    async (request, reply) =>
      reply.status(201).send(await roles.create(staffOf(request), request.body)),
  );
  app.patch(
    '/api/v1/admin/roles/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Rename a role',
        params: IdParams,
        body: RoleName,
        response: withErrors({ 200: Ok }),
      },
    },
    async (request) => {
      await roles.rename(staffOf(request), request.params.id, request.body);
      return { ok: true as const };
    },
  );
  app.delete(
    '/api/v1/admin/roles/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Delete a role',
        description:
          'Messages keep the role in their audience; if it was the Role for new messages, new messages go to Appointment Reminder Admin.',
        params: IdParams,
        response: withErrors({ 200: Ok }),
      },
    },
    async (request) => {
      await roles.remove(staffOf(request), request.params.id);
      return { ok: true as const };
    },
  );
  app.get(
    '/api/v1/admin/roles/:id/members',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: "A role's members",
        params: IdParams,
        response: withErrors({ 200: RoleMemberList }),
      },
    },
    async (request) => ({ members: await roles.members(staffOf(request), request.params.id) }),
  );
  app.put(
    '/api/v1/admin/roles/:id/members/:userId',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Add a member',
        params: RoleMemberParams,
        response: withErrors({ 200: Ok }),
      },
    },
    async (request) => {
      await roles.addMember(staffOf(request), request.params.id, request.params.userId);
      return { ok: true as const };
    },
  );
  app.delete(
    '/api/v1/admin/roles/:id/members/:userId',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Remove a member',
        params: RoleMemberParams,
        response: withErrors({ 200: Ok }),
      },
    },
    async (request) => {
      await roles.removeMember(staffOf(request), request.params.id, request.params.userId);
      return { ok: true as const };
    },
  );
};
