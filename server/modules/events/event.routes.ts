import type { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { EventsQuery, EventStream, type CloseReason } from '../../../common/contract/events.js';
import { unauthenticated } from '../../errors.js';
import { withErrors } from '../../lib/schemas.js';
import type { EventHub, EventListener } from './event.hub.js';

/** A stream whose client stopped reading this far behind is closed; it reconnects and catches up. */
const MAX_BUFFERED_BYTES = 1_000_000;

/**
 * One open stream. Thousands stay open for hours, so each is one small object whose code is on
 * the prototype, rather than a handful of closures per stream.
 */
class StreamListener implements EventListener {
  sentSeq = 0;
  sentXid: string | undefined = undefined;
  buffer: EventListener['buffer'] = null;
  /** The client went away, or the stream was ended. */
  closed = false;

  constructor(
    public actor: EventListener['actor'],
    private readonly res: ServerResponse,
    private readonly hub: EventHub,
  ) {}

  send(id: number, event: string, data: unknown, json?: string): void {
    if (this.closed) return;
    this.res.write(`id: ${id}\nevent: ${event}\ndata: ${json ?? JSON.stringify(data)}\n\n`);
    if (this.res.writableLength > MAX_BUFFERED_BYTES) this.close('slow_reader');
  }

  sendFleeting(event: string, data: unknown): void {
    if (!this.closed) this.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  ping(): void {
    if (!this.closed) this.res.write(': heartbeat\n\n');
  }

  close(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.res.write(`event: closed\ndata: ${JSON.stringify({ reason })}\n\n`);
    this.res.end();
    this.hub.unsubscribe(this);
  }

  /** The client went away. */
  gone(): void {
    this.closed = true;
    this.hub.unsubscribe(this);
  }
}

/** The stream of each open request, for the one 'close' handler all requests share. */
const streams = new WeakMap<IncomingMessage, StreamListener>();

function onRequestClosed(this: IncomingMessage): void {
  streams.get(this)?.gone();
}

/**
 * Node keeps the response head it wrote (some 800 bytes with the security headers) as `_header`
 * for as long as the response lives, and once the head has gone out (`_headerSent`, set by the
 * first write) only ever tests it for truthiness: "headers sent", "write the head once". A
 * stream's head is then swapped for one string all streams share.
 */
const HEAD_SENT = 'HTTP/1.1 200 OK\r\n\r\n';
function dropSentHead(res: ServerResponse): void {
  const raw = res as unknown as { _header?: string | null; _headerSent?: boolean };
  if (raw._headerSent && raw._header) raw._header = HEAD_SENT;
}

/** An error of a stream's response (a write after the socket went): the stream is over. */
function onStreamError(this: ServerResponse): void {
  streams.get(this.req)?.gone();
}

/**
 * Fastify (its request log and onResponse hooks) and @fastify/multipart (its upload clean-up)
 * listen on the response of every request with closures that hold the request and the reply,
 * about 1 KB a stream with what those hold, for hours. Neither has anything to do for a stream:
 * it has no body to log, no upload, and mostly ends by the client going away, when they do not
 * run anyway. They are taken off once the stream is open; Node's own listener stays: the first
 * 'finish' one, added before Fastify saw the request. (An injected request, with no socket of
 * its own, keeps them: light-my-request listens on the response too.)
 */
function releaseRequest(res: ServerResponse): void {
  if (!(res.socket instanceof Socket)) return;
  const [nodeFinish] = res.listeners('finish');
  res.removeAllListeners('finish');
  if (nodeFinish) res.on('finish', nodeFinish as () => void);
  res.removeAllListeners('close');
  res.removeAllListeners('error');
  res.on('error', onStreamError);
}

/** GET /api/v1/events: Server-Sent Events for the signed-in staff user or patient. */
export const eventRoutes: FastifyPluginAsyncTypebox<{
  hub: EventHub;
  /** The security headers of every answer (plugins/security.ts), written in the stream's head. */
  securityHeaders: Readonly<Record<string, string>>;
}> = async (app, { hub, securityHeaders }) => {
  app.get(
    '/api/v1/events',
    {
      // Set on the reply one by one, Node would keep each header as an entry of its own for
      // the life of the stream (about 2 KB a stream); given all at once to writeHead, they
      // are only written out.
      config: { auth: 'stream', ownSecurityHeaders: true },
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
        ...securityHeaders,
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 3000\n\n');
      dropSentHead(res);

      // The client may have hung up while its session was being looked up: then there is no
      // 'close' left to come, and nothing to subscribe.
      if (res.destroyed) return;
      const listener = new StreamListener(actor, res, hub);
      streams.set(request.raw, listener);
      request.raw.on('close', onRequestClosed);
      releaseRequest(res);
      try {
        await hub.subscribe(listener, lastEventId);
        // A client that hung up while the hub was still adding its stream is taken out now:
        // its 'close' came before there was anything to remove.
        if (listener.closed) hub.unsubscribe(listener);
      } catch (error) {
        request.log.error({ err: error }, 'live events: subscribe failed');
        listener.close('error');
      }
    },
  );
};
