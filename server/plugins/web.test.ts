import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWeb } from './web.js';

// The web apps' files, served from a build of our own (the real one may not be built here).
describe('web apps serving', () => {
  let root: string;
  let app: FastifyInstance;
  const asset = 'portal-AbC123.js';
  const page = '<!doctype html><title>Portal</title>';

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-web-'));
    for (const dir of ['portal', 'staff', 'assets']) fs.mkdirSync(path.join(root, dir));
    fs.writeFileSync(path.join(root, 'portal', 'index.html'), page);
    fs.writeFileSync(path.join(root, 'staff', 'index.html'), '<!doctype html><title>Staff</title>');
    fs.writeFileSync(path.join(root, 'assets', asset), 'console.log(1);');
    fs.writeFileSync(path.join(root, 'assets', '.secret'), 'no');
    app = Fastify();
    await registerWeb(app, root);
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("answers every path of an app with that app's page, never cached without a check", async () => {
    for (const url of ['/portal/', '/portal/c/demo/inbox']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control'], url).toBe('no-cache');
      expect(res.body, url).toBe(page);
    }
    const staff = await app.inject({ method: 'GET', url: '/staff/messages' });
    expect(staff.body).toContain('<title>Staff</title>');
  });

  it('answers 304 to a page the browser already holds (ETag), and HEAD without a body', async () => {
    const first = await app.inject({ method: 'GET', url: '/portal/' });
    const etag = first.headers.etag as string;
    expect(etag).toBeTruthy();
    const again = await app.inject({
      method: 'GET',
      url: '/portal/',
      headers: { 'if-none-match': etag },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    const head = await app.inject({ method: 'HEAD', url: '/portal/' });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe(String(page.length));
    expect(head.body).toBe('');
  });

  it('caches hashed assets for good, with their type', async () => {
    const res = await app.inject({ method: 'GET', url: `/assets/${asset}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-type']).toMatch(/^(application|text)\/javascript/);
    expect(res.body).toBe('console.log(1);');
  });

  it('answers 404 in the error shape for a missing asset, a dot file or a name out of the folder', async () => {
    for (const url of ['/assets/nope.js', '/assets/.secret', '/assets/..%2Fportal%2Findex.html']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toEqual({
        error: { status: 404, code: 'not_found', message: expect.any(String) },
      });
    }
  });

  it('sends / and the bare app paths to the app', async () => {
    for (const [url, to] of [
      ['/', '/portal/'],
      ['/portal', '/portal/'],
      ['/staff', '/staff/'],
    ]) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(302);
      expect(res.headers.location, url).toBe(to);
    }
  });
});
