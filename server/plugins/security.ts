import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const ONE_YEAR_SECONDS = 365 * 24 * 60 * 60;

/** The Host header as a URL of the origin's scheme spells it: lower case, no default port. */
function normalHost(host: string, protocol: string): string {
  try {
    return new URL(`${protocol}//${host}`).host;
  } catch {
    return host.toLowerCase();
  }
}

/**
 * Whether the Origin header names the product itself. An https install takes changes only from
 * its public address (scheme, host and port: PORTAL_PUBLIC_URL). A plain-http install (the
 * demo, development, tests) is reached under whatever name the browser used, so there the
 * Origin must name this server as the Host header does, and not be http when the request came
 * over https.
 */
function fromProduct(
  request: FastifyRequest,
  origin: string,
  publicOrigin: string,
  secure: boolean,
): boolean {
  let from: URL;
  try {
    from = new URL(origin);
  } catch {
    return false;
  }
  if (from.origin === publicOrigin) return true;
  if (secure) return false;
  if (from.protocol !== 'http:' && from.protocol !== 'https:') return false;
  if (request.protocol === 'https' && from.protocol !== 'https:') return false;
  return from.host === normalHost(request.host, from.protocol);
}

/** A request that carries a body: a length above zero, or a chunked body of any length. */
const hasBody = (request: FastifyRequest): boolean =>
  request.headers['transfer-encoding'] !== undefined ||
  Number(request.headers['content-length'] ?? 0) > 0;

/** What the web apps send to a route that takes no body: nothing, or `{}`. */
const isEmptyObject = (body: unknown): boolean =>
  typeof body === 'object' &&
  body !== null &&
  !Array.isArray(body) &&
  Object.keys(body as object).length === 0;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route sends `securityHeaders` itself (the event stream, which writes its own head). */
    ownSecurityHeaders?: boolean;
  }
}

/**
 * The security headers of every answer, helmet's for this install (HSTS only on https), worked
 * out once: helmet only ever sets fixed headers and removes X-Powered-By, which Node does not
 * send anyway. (Building them per request, as @fastify/helmet does, was some 4 % of the web
 * process's CPU on the Inbox.)
 */
export function securityHeaders(secure: boolean): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const collect = {
    setHeader: (name: string, value: unknown) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        baseUri: ["'none'"],
        upgradeInsecureRequests: null,
      },
    },
    crossOriginEmbedderPolicy: false,
    // Browsers keep to https for a year once they have seen the product there; never over
    // http, where the header would pin a name to a scheme the install does not serve.
    hsts: secure ? { maxAge: ONE_YEAR_SECONDS, includeSubDomains: true, preload: false } : false,
    referrerPolicy: { policy: 'no-referrer' },
  })({} as IncomingMessage, collect as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
  });
  return Object.freeze(headers);
}

/**
 * Security headers (HSTS when the public address is https), and the CSRF defence that goes
 * with SameSite=Strict cookies: a state-changing request sent by another site's page is
 * refused. Requests without a Host header, and bodies sent to routes that take none, are
 * refused too. Answers the security headers, for the routes that send their own head.
 */
export async function registerSecurity(
  app: FastifyInstance,
  config: Pick<Config, 'publicUrl'>,
): Promise<Readonly<Record<string, string>>> {
  const publicUrl = new URL(config.publicUrl);
  const secure = publicUrl.protocol === 'https:';
  const headers = securityHeaders(secure);

  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.ownSecurityHeaders !== true) reply.headers(headers);
    if (request.url.startsWith('/api/')) {
      // Patient data must never sit in a shared or browser cache.
      reply.header('cache-control', 'no-store');
    }
    // RFC 9112 3.2: an HTTP/1.1 request without Host is refused (Node's own check is off, as
    // it answers with an empty body).
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      throw new AppError(400, 'bad_request', 'The request has no Host header.');
    }
    if (SAFE_METHODS.has(request.method)) return;
    const origin = request.headers.origin;
    const site = request.headers['sec-fetch-site'];
    // A sibling subdomain (same-site) is another origin as much as another site is.
    let crossOrigin = site === 'cross-site' || site === 'same-site';
    if (typeof origin === 'string' && !fromProduct(request, origin, publicUrl.origin, secure)) {
      crossOrigin = true;
    }
    if (crossOrigin) {
      throw new AppError(
        403,
        'cross_origin_refused',
        'This request came from another site and was refused.',
      );
    }
  });

  // A route that declares no body (and no content type it consumes) reads none: a body sent
  // to it is a mistake or a probe, refused rather than ignored. `{}` is let through, since
  // the web apps' POST helper sends it when there is nothing to send.
  app.addHook('preValidation', async (request) => {
    if (SAFE_METHODS.has(request.method) || !hasBody(request)) return;
    const schema = request.routeOptions.schema as
      { body?: unknown; consumes?: unknown } | undefined;
    if (request.routeOptions.url === undefined || schema?.body || schema?.consumes) return;
    if (isEmptyObject(request.body)) return;
    throw new AppError(400, 'body_not_allowed', 'This request takes no body; send it without one.');
  });
  return headers;
}
