import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  NewTopic,
  PortalTopics,
  Topic,
  TopicChange,
  TopicList,
} from '../../../common/contract/topics.js';
import { patientOf, staffOf } from '../../plugins/auth.js';
import { IdParams, Ok, withErrors } from '../../lib/schemas.js';
import type { TopicService } from './topic.service.js';

/** Message Topics: the admin list, and what the portal offers. */
export const topicRoutes: FastifyPluginAsyncTypebox<{ topics: TopicService }> = async (
  app,
  { topics },
) => {
  app.get(
    '/api/v1/portal/topics',
    {
      config: { auth: 'patient' },
      schema: {
        tags: ['Portal'],
        summary: 'What is your message about? The active topics (empty: the portal does not ask)',
        response: withErrors({ 200: PortalTopics }),
      },
    },
    async (request) => topics.offered(patientOf(request)),
  );

  app.get(
    '/api/v1/topics',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Team inbox'],
        summary: "The chamber's topics (active and inactive), for the Messages page's topic filter",
        response: withErrors({ 200: TopicList }),
      },
    },
    async (request) => topics.list(staffOf(request)),
  );

  app.get(
    '/api/v1/admin/topics',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Message Topics',
        response: withErrors({ 200: TopicList }),
      },
    },
    async (request) => topics.list(staffOf(request)),
  );

  app.post(
    '/api/v1/admin/topics',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'New Topic: Topic name, Route to role, active',
        body: NewTopic,
        response: withErrors({ 201: Topic }),
      },
    },
    async (request, reply) =>
      reply.status(201).send(await topics.create(staffOf(request), request.body)),
  );

  app.patch(
    '/api/v1/admin/topics/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Rename a topic, route it to another role, make it active or inactive',
        params: IdParams,
        body: TopicChange,
        response: withErrors({ 200: Topic }),
      },
    },
    async (request) => topics.update(staffOf(request), request.params.id, request.body),
  );

  app.delete(
    '/api/v1/admin/topics/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Delete a topic (no longer offered; its conversations keep it)',
        params: IdParams,
        response: withErrors({ 200: Ok }),
      },
    },
    async (request) => {
      await topics.remove(staffOf(request), request.params.id);
      return { ok: true as const };
    },
  );
};
