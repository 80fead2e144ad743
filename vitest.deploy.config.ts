import { defineConfig } from 'vitest/config';

// `npm run test:deploy`: the deployment behind nginx (server/test/deploy/), on PostgreSQL. Not
// part of `npm test` (it needs Debian's nginx and builds what an operator builds); .ci/run
// runs it after `npm test`. Skipped, with a message, where nginx is not installed.
export default defineConfig({
  test: {
    name: 'deploy',
    include: ['server/test/deploy/**/*.deploy.ts'],
    pool: 'forks',
    fileParallelism: false,
    globalSetup: ['server/test/global-setup.ts', 'server/test/deploy/deploy-setup.ts'],
    provide: { engine: 'postgres' },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
