import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { seedDemo } from '../demo/demo-seed.js';
import { systemClock } from './clock.js';
import { startServerProcess, stopProcesses } from '../test/processes.js';
import { openTestDatabase, testConfig } from '../test/test-app.js';

// Issue 17, finding 9: with two web processes the sign-in limit was counted in each, so an
// address got twice the allowance. The counters now live in PostgreSQL: N attempts a minute
// in all, whichever process answers them.

const onPostgres = inject('engine') === 'postgres';
const LIMIT = 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!onPostgres)('the sign-in limit across two web processes', () => {
  const children: ChildProcess[] = [];
  const urls: string[] = [];
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let dataDir: string;

  beforeAll(async () => {
    database = await openTestDatabase();
    await seedDemo(database.db, testConfig(), systemClock);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-rl-'));
    const servers = await Promise.all(
      [0, 1].map(() =>
        startServerProcess(database.url!, dataDir, {
          role: 'web',
          env: { PORTAL_SIGN_IN_RATE_LIMIT: String(LIMIT) },
        }),
      ),
    );
    for (const server of servers) {
      children.push(server.child);
      urls.push(server.url);
    }
  }, 90_000);

  afterAll(async () => {
    await stopProcesses(children);
    await database?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** Starts at least 10 s before the next whole minute, so every attempt falls in one window. */
  async function withinOneWindow(): Promise<void> {
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 10_000) await sleep(left + 50);
  }

  async function attempt(base: string, route: string, body: unknown) {
    const res = await fetch(`${base}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      body: await res.json(),
    };
  }

  it('reaches the limit after N sign-ins spread over both processes, not 2N', async () => {
    await withinOneWindow();
    const answers = [];
    for (let i = 0; i < 2 * LIMIT + 2; i += 1) {
      answers.push(
        await attempt(urls[i % 2]!, '/api/v1/portal/session', {
          chamber: 'demo',
          email: `nobody-${i}@patient.example`,
          password: 'not-the-password-1',
        }),
      );
    }
    expect(answers.map((a) => a.status)).toEqual([
      ...Array<number>(LIMIT).fill(401),
      ...Array<number>(LIMIT + 2).fill(429),
    ]);
    for (const refused of answers.slice(LIMIT)) {
      expect(refused.body).toEqual({
        error: { status: 429, code: 'too_many_requests', message: expect.any(String) },
      });
      expect(Number(refused.retryAfter)).toBeGreaterThan(0);
      expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
    }
  });

  it('shares the password-reset limit the same way', async () => {
    await withinOneWindow();
    const statuses = [];
    for (let i = 0; i < 2 * LIMIT; i += 1) {
      statuses.push(
        (
          await attempt(urls[i % 2]!, '/api/v1/staff/password-reset', {
            chamber: 'demo',
            email: `nobody-${i}@riverside.example`,
          })
        ).status,
      );
    }
    expect(statuses).toEqual([
      ...Array<number>(LIMIT).fill(202),
      ...Array<number>(LIMIT).fill(429),
    ]);
  });
});
