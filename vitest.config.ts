import os from 'node:os';
import { defineConfig } from 'vitest/config';

// The server suites run twice: on the embedded database (PGlite) and on PostgreSQL.
const serverTests = ['server/**/*.test.ts'];
// Two files at a time even on two cores (Vitest's default is one fewer than the cores): much
// of a server test's time is spent waiting on PostgreSQL, a child process or a socket.
const serverWorkers = Math.max(2, os.availableParallelism() - 1);

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'pglite',
          include: serverTests,
          maxWorkers: serverWorkers,
          globalSetup: ['server/test/global-setup.ts'],
          provide: { engine: 'pglite' },
        },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: serverTests,
          maxWorkers: serverWorkers,
          globalSetup: ['server/test/global-setup.ts'],
          provide: { engine: 'postgres' },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['e2e/**/*.spec.ts'],
          globalSetup: ['server/test/global-setup.ts', 'e2e/support/build-web.ts'],
          provide: { engine: 'pglite' },
          fileParallelism: false,
          testTimeout: 60_000,
        },
      },
    ],
  },
});
