import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { staffOf } from '../../plugins/auth.js';
import { IdParams, withErrors } from '../../lib/schemas.js';
import type { ChargeBandService } from './charge-band.service.js';

const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
const NewBand = Type.Object({ name: Name }, { additionalProperties: false });
const Changes = Type.Object(
  {
    name: Type.Optional(Name),
    allowOnlineMessaging: Type.Optional(Type.Boolean({ description: 'Allow online messaging' })),
    onlineSignUpInviteCode: Type.Optional(
      Type.String({
        maxLength: 64,
        pattern: '^[A-Za-z0-9 _-]*$',
        description: 'Online sign-up invite code',
      }),
    ),
  },
  { additionalProperties: false },
);
const OnlineAccess = Type.Object(
  {
    mode: Type.Union(
      [
        Type.Literal('allow_and_notify'),
        Type.Literal('allow_no_notifications'),
        Type.Literal('none'),
      ],
      {
        description: 'Allow And Notify, Allow With No Notifications, or no online access',
      },
    ),
  },
  { additionalProperties: false },
);

/** Start Page > Admin > Billing Rules. */
export async function chargeBandRoutes(
  app: FastifyInstance,
  opts: { bands: ChargeBandService },
): Promise<void> {
  const { bands } = opts;
  app.get(
    '/api/v1/admin/charge-bands',
    {
      config: { auth: 'admin' },
      schema: { tags: ['Admin'], summary: 'Charge bands', response: withErrors({}) },
    },
    async (request) => ({
      chargeBands: await bands.list(staffOf(request)),
    }),
  );
  app.post<{ Body: Static<typeof NewBand> }>(
    '/api/v1/admin/charge-bands',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'New charge band',
        body: NewBand,
        response: withErrors({}),
      },
    },
    async (request, reply) =>
      reply.status(201).send(await bands.create(staffOf(request), request.body)),
  );
  app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof Changes> }>(
    '/api/v1/admin/charge-bands/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Rename, or change Online Settings',
        params: IdParams,
        body: Changes,
        response: withErrors({}),
      },
    },
    async (request) => bands.update(staffOf(request), request.params.id, request.body),
  );
  app.put<{ Params: Static<typeof IdParams>; Body: Static<typeof OnlineAccess> }>(
    '/api/v1/admin/charge-bands/:id/online-access',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Enable Online Booking (Allowing Patient Access), or switch it off',
        params: IdParams,
        body: OnlineAccess,
        response: withErrors({}),
      },
    },
    async (request) =>
      bands.setOnlineAccess(staffOf(request), request.params.id, request.body.mode),
  );
}
