import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app.js';
import { seedDemo } from '../../server/demo/demo-seed.js';
import { systemClock } from '../../server/lib/clock.js';
import { createSignals } from '../../server/lib/context.js';
import { openTestDatabase, testConfig } from '../../server/test/test-app.js';
import type { Database } from '../../server/db/connect.js';

/** The whole product with the demo chamber, listening on a free loopback port. */
export async function startDemoServer(): Promise<{
  url: string;
  app: FastifyInstance;
  database: Database;
  close: () => Promise<void>;
}> {
  const database = await openTestDatabase();
  const config = testConfig();
  await seedDemo(database.db, config, systemClock);
  const app = await buildApp({
    config,
    database,
    clock: systemClock,
    signals: createSignals(),
    checkResponses: true,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    database,
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}
