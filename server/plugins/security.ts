import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The Host header as a URL of the origin's scheme spells it: lower case, no default port. */
function normalHost(host: string, protocol: string): string {
  try {
    return new URL(`${protocol}//${host}`).host;
  } catch {
    return host.toLowerCase();
  }
}

/**
 * Security headers, and the CSRF defence that goes with SameSite=Strict cookies: a
 * state-changing request sent by another site's page is refused.
 */
export async function registerSecurity(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
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
    hsts: false,
    referrerPolicy: { policy: 'no-referrer' },
  });

  app.addHook('onRequest', async (request, reply) => {
    if (request.url.startsWith('/api/')) {
      // Patient data must never sit in a shared or browser cache.
      reply.header('cache-control', 'no-store');
    }
    if (SAFE_METHODS.has(request.method)) return;
    const origin = request.headers.origin;
    const site = request.headers['sec-fetch-site'];
    let crossOrigin = site === 'cross-site';
    if (typeof origin === 'string') {
      try {
        const from = new URL(origin);
        crossOrigin = origin === 'null' || from.host !== normalHost(request.host, from.protocol);
      } catch {
        crossOrigin = true;
      }
    }
    if (crossOrigin) {
      throw new AppError(
        403,
        'cross_origin_refused',
        'This request came from another site and was refused.',
      );
    }
  });
}
