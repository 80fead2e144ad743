import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type SendModule from '@fastify/send';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

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

type Send = typeof SendModule;
let sender: Promise<Send> | undefined;

/**
 * The file sender (ETag, Last-Modified, 304, ranges, HEAD), loaded at the first page asked
 * for rather than at start: a web process holds no more than it needs before (issue 18).
 */
function loadSender(): Promise<Send> {
  sender ??= import('@fastify/send').then(({ default: send }) => {
    (send.mime as unknown as { default_type: string }).default_type = 'application/octet-stream';
    return send;
  });
  return sender;
}

const notFoundBody = {
  error: { status: 404, code: 'not_found', message: 'That file was not found.' },
};

/** Answers with one file of the web build under `root`, with our own Cache-Control. */
async function sendWebFile(
  request: FastifyRequest,
  reply: FastifyReply,
  root: string,
  file: string,
  cacheControl: string,
): Promise<FastifyReply> {
  const send = await loadSender();
  const result = await send(request.raw, encodeURI(file), {
    root,
    cacheControl: false,
    dotfiles: 'deny',
    index: false,
  });
  if (result.type === 'directory' || (result.type === 'error' && result.statusCode === 404))
    return reply.status(404).send(notFoundBody);
  // Refused (a dot file, a range not satisfiable…): the error handler answers in the error shape.
  if (result.type === 'error') return reply.send(result.metadata.error);
  return reply
    .status(result.statusCode)
    .headers(result.headers)
    .header('cache-control', cacheControl)
    .send(result.stream);
}

/**
 * Serves the Patient Portal at /portal/ and the staff app at /staff/: hashed assets cached for
 * good, every other path of an app answered with that app's page (client-side routes).
 */
export async function registerWeb(app: FastifyInstance, root = webRoot): Promise<void> {
  if (!hasWebBuild(root)) return;

  const page = (request: FastifyRequest, reply: FastifyReply, appName: 'portal' | 'staff') =>
    sendWebFile(request, reply, root, `${appName}/index.html`, 'no-cache');

  app.get('/', { config: { auth: 'public' }, schema: { hide: true } }, (_request, reply) =>
    reply.redirect('/portal/'),
  );
  app.get('/assets/*', { config: { auth: 'public' }, schema: { hide: true } }, (request, reply) => {
    const file = (request.params as { '*': string })['*'];
    if (
      !/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(file) ||
      !fs.existsSync(path.join(root, 'assets', file))
    ) {
      return reply.status(404).send(notFoundBody);
    }
    return sendWebFile(
      request,
      reply,
      root,
      `assets/${file}`,
      'public, max-age=31536000, immutable',
    );
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
      (request, reply) => page(request, reply, appName),
    );
  }
}
