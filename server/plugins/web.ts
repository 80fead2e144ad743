import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** The built web apps (`npm run build:web`), next to the server sources. */
export const webRoot = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'web',
  'dist',
);

export function hasWebBuild(root = webRoot): boolean {
  return (
    fs.existsSync(path.join(root, 'portal', 'index.html')) &&
    fs.existsSync(path.join(root, 'staff', 'index.html'))
  );
}

/**
 * Serves the Patient Portal at /portal/ and the staff app at /staff/: hashed assets cached for
 * good, every other path of an app answered with that app's page (client-side routes).
 */
export async function registerWeb(app: FastifyInstance, root = webRoot): Promise<void> {
  if (!hasWebBuild(root)) return;
  await app.register(fastifyStatic, { root, serve: false, decorateReply: true });

  const page = (reply: FastifyReply, appName: 'portal' | 'staff') =>
    reply
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .sendFile(`${appName}/index.html`, { cacheControl: false });

  app.get('/', { config: { auth: 'public' }, schema: { hide: true } }, (_request, reply) =>
    reply.redirect('/portal/'),
  );
  app.get('/assets/*', { config: { auth: 'public' }, schema: { hide: true } }, (request, reply) => {
    const file = (request.params as { '*': string })['*'];
    if (!/^[A-Za-z0-9._-]+$/.test(file) || !fs.existsSync(path.join(root, 'assets', file))) {
      return reply
        .status(404)
        .send({ error: { status: 404, code: 'not_found', message: 'That file was not found.' } });
    }
    return reply
      .header('cache-control', 'public, max-age=31536000, immutable')
      .sendFile(`assets/${file}`);
  });
  for (const appName of ['portal', 'staff'] as const) {
    app.get(
      `/${appName}`,
      { config: { auth: 'public' }, schema: { hide: true } },
      (_request, reply) => reply.redirect(`/${appName}/`),
    );
    app.get(
      `/${appName}/*`,
      { config: { auth: 'public' }, schema: { hide: true } },
      (_request, reply) => page(reply, appName),
    );
  }
}
