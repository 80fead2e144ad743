import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ActingFor,
  ChooseActingFor,
  NewProxy,
  Proxy,
  ProxyList,
  ProxyParams,
} from '../../../common/contract/proxies.js';
import { patientOf, staffOf } from '../../plugins/auth.js';
import { IdParams, Ok, withErrors } from '../../lib/schemas.js';
import type { ServiceContext } from '../../lib/context.js';
import { createProxyService } from './proxy.service.js';

/** Proxy access (SPEC rule 18): Proxy Access on the Patient Record, and Acting for in the portal. */
export const proxyRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (
  app,
  { ctx },
) => {
  const proxies = createProxyService(ctx);
  app.get(
    '/api/v1/patients/:id/proxies',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Patients'],
        summary: 'Proxy Access: the portal accounts that may act for the patient now',
        params: IdParams,
        response: withErrors({ 200: ProxyList }),
      },
    },
    async (request) => ({
      proxies: await proxies.list(staffOf(request), request.params.id),
    }),
  );

  app.post(
    '/api/v1/patients/:id/proxies',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Patients'],
        summary:
          'Add Proxy: a portal account by email (invited when new; `name` needed for a person with no account) may act for the patient',
        params: IdParams,
        body: NewProxy,
        response: withErrors({ 201: Proxy }),
      },
    },
    async (request, reply) => {
      const proxy = await proxies.add(staffOf(request), request.params.id, request.body);
      return reply.code(201).send(proxy);
    },
  );

  app.delete(
    '/api/v1/patients/:id/proxies/:proxyId',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Patients'],
        summary: 'Remove Proxy: ends it at once, open sessions included',
        params: ProxyParams,
        response: withErrors({ 200: Ok }),
      },
    },
    async (request, reply) => {
      await proxies.remove(staffOf(request), request.params.id, request.params.proxyId);
      return reply.send({ ok: true as const });
    },
  );

  app.get(
    '/api/v1/portal/acting-for',
    {
      config: { auth: 'patient' },
      schema: {
        tags: ['Portal'],
        summary: 'Acting for: whom the session acts for, and every patient the account may act for',
        response: withErrors({ 200: ActingFor }),
      },
    },
    async (request) => proxies.actingFor(patientOf(request)),
  );

  app.put(
    '/api/v1/portal/acting-for',
    {
      config: { auth: 'patient' },
      schema: {
        tags: ['Portal'],
        summary:
          'Act for another patient the account may act for (its own record or a proxy in force)',
        body: ChooseActingFor,
        response: withErrors({ 200: ActingFor }),
      },
    },
    async (request) => proxies.chooseActingFor(patientOf(request), request.body.patientId),
  );

  app.get(
    '/api/v1/portal/proxies',
    {
      config: { auth: 'patient' },
      schema: {
        tags: ['Portal'],
        summary: 'The proxies who may act for the signed-in patient (empty when acting as a proxy)',
        response: withErrors({ 200: ProxyList }),
      },
    },
    async (request) => ({ proxies: await proxies.listForPatient(patientOf(request)) }),
  );

  app.delete(
    '/api/v1/portal/proxies/:id',
    {
      config: { auth: 'patient' },
      schema: {
        tags: ['Portal'],
        summary: 'Remove one of your proxies: their access ends at once',
        params: IdParams,
        response: withErrors({ 200: Ok }),
      },
    },
    async (request, reply) => {
      await proxies.removeForPatient(patientOf(request), request.params.id);
      return reply.send({ ok: true as const });
    },
  );
};
