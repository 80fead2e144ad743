import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fromPglite } from '../db/connect.js';
import {
  countStored,
  describeRounds,
  runCrashRounds,
  seedDemoChamber,
  signInAlice,
} from '../test/crash-rounds.js';
import { startServerProcess, type ServerProcess } from '../test/processes.js';

// Issue 17, finding 11 (a): the kill -9 rounds on the embedded database. The server process runs
// PGlite in its DATA_DIR (no DATABASE_URL) and is killed with SIGKILL during bursts of sends,
// then started again on the same DATA_DIR; the client retries with its Idempotency-Keys. What
// PGlite acknowledged must survive: its commits are written to the files (through the kernel)
// before the answer, even though PGlite runs with fsync off. The database is read at the end,
// by this process, once the last server is dead (PGlite is opened by one process at a time).

const onPglite = inject('engine') === 'pglite';
const ROUNDS = 20;
const BURST = 10;

describe.skipIf(!onPglite)('kill -9 of a server on the embedded database', () => {
  let dataDir: string;
  let server: ServerProcess | undefined;

  const alive = () =>
    server !== undefined && server.child.exitCode === null && server.child.signalCode === null;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-crash-embedded-'));
    // The server's embedded database, made here from the run's migrated copy (migrating from
    // nothing and hashing the demo's passwords in a fresh process is slow on a busy machine).
    const client = await PGlite.create(path.join(dataDir, 'pglite'), {
      loadDataDir: new Blob([fs.readFileSync(inject('pgliteDump'))]),
    });
    const database = fromPglite(client);
    await seedDemoChamber(database.db);
    await database.close();
  }, 60_000);

  afterAll(async () => {
    if (alive()) {
      server!.child.kill('SIGKILL');
      await server!.exited;
    }
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it(`${ROUNDS} rounds: every acknowledged message is there once, whole, with its notifications`, async () => {
    const started = Date.now();
    server = await startServerProcess(undefined, dataDir, { built: inject('serverBundle') });
    expect(server.log()).toContain('on the embedded database');
    const cookie = await signInAlice(server.url);

    const result = await runCrashRounds({
      label: 'embedded-kill',
      rounds: ROUNDS,
      burst: BURST,
      maxDelayMs: 300,
      cookie,
      allowedRefusals: [],
      target: {
        url: () => server!.url,
        kill: async () => {
          server!.child.kill('SIGKILL');
          const exit = await server!.exited;
          expect(exit.signal).toBe('SIGKILL');
        },
        recover: async () => {
          server = await startServerProcess(undefined, dataDir, { built: inject('serverBundle') });
        },
      },
    });
    // The last server dies the same way, right after its last answer.
    server.child.kill('SIGKILL');
    await server.exited;

    const client = await PGlite.create(path.join(dataDir, 'pglite'));
    const database = fromPglite(client);
    try {
      const count = await countStored(database.db, 'embedded-kill', result.sent);
      // Printed for the closing note (docs/security.md).
      console.log(
        describeRounds(
          'kill -9 of the server process (embedded database)',
          ROUNDS,
          result,
          count,
          (Date.now() - started) / 1000,
        ),
      );
      expect(result.kills).toBe(ROUNDS);
      expect(result.unexpected).toEqual([]);
      expect(result.badReplays).toEqual([]);
      expect(count.acknowledged).toBe(ROUNDS * BURST);
      expect(count.lost).toEqual([]);
      expect(count.duplicated).toEqual([]);
      expect(count.stray).toEqual([]);
      expect(count.unnotified).toEqual([]);
      expect(count.keyMismatch).toEqual([]);
    } finally {
      await database.close();
    }
  }, 360_000);
});
