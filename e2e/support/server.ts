import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app.js';
import type { Config } from '../../server/config.js';
import { seedDemo } from '../../server/demo/demo-seed.js';
import { systemClock } from '../../server/lib/clock.js';
import { createSignals } from '../../server/lib/context.js';
import { openTestDatabase, testConfig } from '../../server/test/test-app.js';
import type { Database } from '../../server/db/connect.js';

/** A port free on loopback now, for a server that must know its address before it listens. */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * The whole product with the demo chamber, listening on a free loopback port. With
 * `localhost`, it is reached (and its public URL is) http://localhost:<port>: WebAuthn refuses
 * IP addresses, so the passkey journeys need a name.
 */
export async function startDemoServer(
  options: { localhost?: boolean; config?: Partial<Config> } = {},
): Promise<{
  url: string;
  app: FastifyInstance;
  database: Database;
  config: Config;
  close: () => Promise<void>;
}> {
  const database = await openTestDatabase();
  const port = options.localhost ? await freePort() : 0;
  const config = testConfig({
    ...(options.localhost ? { publicUrl: `http://localhost:${port}` } : {}),
    ...options.config,
  });
  await seedDemo(database.db, config, systemClock);
  const app = await buildApp({
    config,
    database,
    clock: systemClock,
    signals: createSignals(),
    checkResponses: true,
  });
  await app.listen({ host: '127.0.0.1', port });
  const listening = (app.server.address() as AddressInfo).port;
  return {
    url: `http://${options.localhost ? 'localhost' : '127.0.0.1'}:${listening}`,
    app,
    database,
    config,
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}
