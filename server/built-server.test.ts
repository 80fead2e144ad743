import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_PASSWORD } from './demo/demo-seed.js';
import { startServerProcess, type ServerProcess } from './test/processes.js';

// `npm start` runs the bundle made by `npm run build:server`, not the sources the other tests
// run: this builds it and goes through the demo's main paths on it, so a bundling mistake
// (a path, a package that cannot be bundled) fails here rather than in production.
// Once, on the embedded database (the bundle is the same for both engines).

const root = path.resolve(import.meta.dirname, '..');
const once = inject('engine') === 'pglite';

describe.skipIf(!once)('the built server (npm start)', () => {
  let server: ServerProcess | undefined;
  let dataDir: string;

  beforeAll(async () => {
    execFileSync(process.execPath, ['scripts/build-server.mjs'], { cwd: root, stdio: 'inherit' });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-built-'));
    // A first start on the embedded database migrates and seeds the demo (hashing its
    // passwords): on a busy machine that takes longer than a restart.
    server = await startServerProcess('', dataDir, {
      built: true,
      args: ['--demo'],
      startTimeoutMs: 90_000,
    });
  }, 120_000);

  afterAll(async () => {
    if (server) {
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
    }
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const call = async (
    method: string,
    url: string,
    body?: unknown,
    cookie?: string,
  ): Promise<{ status: number; body: any; cookie?: string }> => {
    const res = await fetch(`${server!.url}${url}`, {
      method,
      headers: {
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...(cookie ? { cookie } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text ? JSON.parse(text) : undefined,
      cookie: res.headers.get('set-cookie')?.split(';')[0],
    };
  };

  it('starts, migrates, makes the demo, and carries a message from a patient to staff', async () => {
    expect((await call('GET', '/api/v1/health')).body).toEqual({
      status: 'ok',
      database: 'pglite',
    });
    const alice = await call('POST', '/api/v1/portal/session', {
      chamber: 'demo',
      email: 'alice@patient.example',
      password: DEMO_PASSWORD,
    });
    expect(alice.status).toBe(200);
    const sent = await call(
      'POST',
      '/api/v1/portal/conversations',
      { text: 'Sent through the built server' },
      alice.cookie,
    );
    expect(sent.status).toBe(201);
    // The conversation is listed, and holds the message (out of office hours the clinic's
    // automatic answer is its last message, so the list's preview is not the patient's).
    const conversationId = (sent.body as { conversation: { id: string } }).conversation.id;
    const inbox = await call('GET', '/api/v1/portal/conversations', undefined, alice.cookie);
    expect(JSON.stringify(inbox.body)).toContain(conversationId);
    const opened = await call(
      'GET',
      `/api/v1/portal/conversations/${conversationId}`,
      undefined,
      alice.cookie,
    );
    expect(JSON.stringify(opened.body)).toContain('Sent through the built server');

    const staff = await call('POST', '/api/v1/staff/session', {
      chamber: 'demo',
      email: 'reception@riverside.example',
      password: DEMO_PASSWORD,
    });
    expect(staff.status).toBe(200);
    const notifications = await call('GET', '/api/v1/notifications', undefined, staff.cookie);
    expect(notifications.status).toBe(200);
    expect(JSON.stringify(notifications.body)).toContain(sent.body.message.id);
    const spec = await call('GET', '/api/v1/openapi.json');
    expect(spec.body.openapi).toMatch(/^3\./);
  });
});
