import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ChargeBand,
  ChargeBandChanges,
  ChargeBandList,
  NewChargeBand,
  OnlineAccessChange,
  OnlineAccessResult,
} from '../../../common/contract/charge-bands.js';
import { staffOf } from '../../plugins/auth.js';
import { IdParams, withErrors } from '../../lib/schemas.js';
import type { ChargeBandService } from './charge-band.service.js';

/** Start Page > Admin > Billing Rules. */
export const chargeBandRoutes: FastifyPluginAsyncTypebox<{ bands: ChargeBandService }> = async (
  app,
  { bands },
) => {
  app.get(
    '/api/v1/admin/charge-bands',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Charge bands',
        response: withErrors({ 200: ChargeBandList }),
      },
    },
    async (request) => ({ chargeBands: await bands.list(staffOf(request)) }),
  );
  app.post(
    '/api/v1/admin/charge-bands',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'New charge band',
        body: NewChargeBand,
        response: withErrors({ 201: ChargeBand }),
      },
    },
    async (request, reply) =>
      reply.status(201).send(await bands.create(staffOf(request), request.body)),
  );
  app.patch(
    '/api/v1/admin/charge-bands/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Rename, or change Online Settings',
        params: IdParams,
        body: ChargeBandChanges,
        response: withErrors({ 200: ChargeBand }),
      },
    },
    async (request) => bands.update(staffOf(request), request.params.id, request.body),
  );
  app.put(
    '/api/v1/admin/charge-bands/:id/online-access',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Enable Online Booking (Allowing Patient Access), or switch it off',
        description:
          'Allow And Notify invites every patient on the band with an email and no portal account, now and later; Allow With No Notifications gives access without email. Nothing is deleted.',
        params: IdParams,
        body: OnlineAccessChange,
        response: withErrors({ 200: OnlineAccessResult }),
      },
    },
    async (request) =>
      bands.setOnlineAccess(staffOf(request), request.params.id, request.body.mode),
  );
};
