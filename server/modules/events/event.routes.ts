import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { EventsQuery, EventStream } from '../../../common/contract/events.js';
import { unauthenticated } from '../../errors.js';
import { withErrors } from '../../lib/schemas.js';
import type { EventHub, EventListener } from './event.hub.js';

/** A stream whose client stopped reading this far behind is closed; it reconnects and catches up. */
const MAX_BUFFERED_BYTES = 1_000_000;

/** GET /api/v1/events: Server-Sent Events for the signed-in staff user or patient. */
export const eventRoutes: FastifyPluginAsyncTypebox<{ hub: EventHub }> = async (app, { hub }) => {
  app.get(
    '/api/v1/events',
    {
      config: { auth: 'stream' },
      schema: {
        tags: ['Live events'],
        summary:
          'Server-Sent Events: `message` (a new message you may see, with your notification if any), `conversation.updated` (a conversation you can see changed status, assignee, red flag or reply-by; patients: status and reply-by of their own), `conversation.typing` (a colleague is replying; no id), `resync` (too much missed: reload), heartbeats. Reconnect with Last-Event-ID to get exactly what was missed.',
        querystring: EventsQuery,
        response: withErrors({ 200: EventStream }),
      },
    },
    async (request, reply) => {
      const actor = request.staffActor ?? request.patientActor;
      if (!actor) throw unauthenticated();
      const header = request.headers['last-event-id'];
      const rawId =
        typeof header === 'string' && /^[0-9]{1,15}$/.test(header.trim())
          ? header.trim()
          : request.query.lastEventId;
      const lastEventId = rawId === undefined ? undefined : Number(rawId);

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 3000\n\n');

      let open = true;
      const listener: EventListener = {
        actor,
        sentSeq: 0,
        buffer: null,
        send(id, event, data) {
          if (!open) return;
          res.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
          if (res.writableLength > MAX_BUFFERED_BYTES) listener.close('slow_reader');
        },
        sendFleeting(event, data) {
          if (!open) return;
          res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        },
        ping() {
          if (open) res.write(': heartbeat\n\n');
        },
        close(reason) {
          if (!open) return;
          open = false;
          res.write(`event: closed\ndata: ${JSON.stringify({ reason })}\n\n`);
          res.end();
          hub.unsubscribe(listener);
        },
      };
      request.raw.on('close', () => {
        open = false;
        hub.unsubscribe(listener);
      });
      try {
        await hub.subscribe(listener, lastEventId);
      } catch (error) {
        request.log.error({ err: error }, 'live events: subscribe failed');
        listener.close('error');
      }
    },
  );
};
