import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { staffOf } from '../../plugins/auth.js';
import { Id, IdParams, Ok, withErrors } from '../../lib/schemas.js';
import type { RoleService } from './role.service.js';

const Name = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' }) },
  { additionalProperties: false },
);
const MemberParams = Type.Object({ id: Id, userId: Id }, { additionalProperties: false });

/** Roles: the list for the reply form, and User Management's New Role and members. */
export async function roleRoutes(
  app: FastifyInstance,
  opts: { roles: RoleService },
): Promise<void> {
  const { roles } = opts;
  app.get(
    '/api/v1/roles',
    {
      config: { auth: 'staff' },
      schema: { tags: ['Roles'], summary: "The chamber's roles", response: withErrors({}) },
    },
    async (request) => ({
      roles: (await roles.list(staffOf(request))).map((r) => ({
        ...r,
        memberCount: Number(r.memberCount),
        activeMemberCount: Number(r.activeMemberCount),
      })),
    }),
  );
  app.post<{ Body: Static<typeof Name> }>(
    '/api/v1/admin/roles',
    {
      config: { auth: 'admin' },
      schema: { tags: ['Admin'], summary: 'New Role', body: Name, response: withErrors({}) },
    },
    async (request, reply) =>
      reply.status(201).send(await roles.create(staffOf(request), request.body)),
  );
  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof Name> }>(
    '/api/v1/admin/roles/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Rename a role',
        params: IdParams,
        body: Name,
        response: withErrors({ 200: Ok }),
      },
    },
    async (request) => {
      await roles.rename(staffOf(request), request.params.id, request.body);
      return { ok: true as const };
    },
  );
  app.delete<{ Params: Static<typeof IdParams> }>(
    '/api/v1/admin/roles/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Delete a role',
        params: IdParams,
        response: withErrors({ 200: Ok }),
      },
    },
    async (request) => {
      await roles.remove(staffOf(request), request.params.id);
      return { ok: true as const };
    },
  );
  app.get<{ Params: Static<typeof IdParams> }>(
    '/api/v1/admin/roles/:id/members',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: "A role's members",
        params: IdParams,
        response: withErrors({}),
      },
    },
    async (request) => ({ members: await roles.members(staffOf(request), request.params.id) }),
  );
  app.put<{ Params: Static<typeof MemberParams> }>(
    '/api/v1/admin/roles/:id/members/:userId',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Add a member',
        params: MemberParams,
        response: withErrors({ 200: Ok }),
      },
    },
    async (request) => {
      await roles.addMember(staffOf(request), request.params.id, request.params.userId);
      return { ok: true as const };
    },
  );
  app.delete<{ Params: Static<typeof MemberParams> }>(
    '/api/v1/admin/roles/:id/members/:userId',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Remove a member',
        params: MemberParams,
        response: withErrors({ 200: Ok }),
      },
    },
    async (request) => {
      await roles.removeMember(staffOf(request), request.params.id, request.params.userId);
      return { ok: true as const };
    },
  );
}
