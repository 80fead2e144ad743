import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { onStopSignal } from './children.js';
import type { ProductBuild } from './product.js';
import { root } from './scenario.js';

const run = promisify(execFile);

/** Another commit of the product, checked out and built beside this one. */
export interface RefBuild extends ProductBuild {
  ref: string;
  commit: string;
  /** The git worktree it was built in (removed by `remove()`). */
  dir: string;
  /** Its last migration: a copy of the data set must not be past it. */
  lastMigration: { tag: string; when: number };
  /** Brings a database up to this build's schema with its own `server/cli/migrate.ts`. */
  migrate: (url: string) => Promise<void>;
  /** Removes the worktree (also done when the benchmark is stopped by a signal). */
  remove: () => Promise<void>;
}

/**
 * Checks out `ref` in a git worktree of its own (`git worktree add --detach`), links this
 * checkout's node_modules into it (or, when its package-lock.json differs, installs its own
 * with `npm ci`) and builds its server bundle with its own scripts/build-server.mjs, so
 * startProduct can run it ({ build }) as it runs this one.
 */
export async function buildAtRef(
  ref: string,
  label: string,
  log: (s: string) => void,
): Promise<RefBuild> {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const commit = git('rev-parse', '--verify', `${ref}^{commit}`).trim();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-bench-build-'));
  let removed = false;
  const remove = async () => {
    if (removed) return;
    removed = true;
    try {
      await run('git', ['worktree', 'remove', '--force', dir], { cwd: root });
    } catch {
      // Not (or no longer) a worktree: the folder goes below, prune forgets it.
    }
    fs.rmSync(dir, { recursive: true, force: true });
    await run('git', ['worktree', 'prune'], { cwd: root }).catch(() => undefined);
  };
  onStopSignal(remove);
  try {
    const started = Date.now();
    git('worktree', 'add', '--detach', dir, commit);
    // This checkout's dependencies when the ref's are the same; else its own (npm ci).
    const lock = (d: string) => fs.readFileSync(path.join(d, 'package-lock.json'), 'utf8');
    if (lock(dir) === lock(root)) {
      fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    } else {
      log(`${ref} has other dependencies: npm ci in its worktree`);
      execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
        cwd: dir,
        stdio: 'inherit',
      });
    }
    execFileSync(process.execPath, [path.join(dir, 'scripts', 'build-server.mjs')], {
      cwd: dir,
      stdio: 'inherit',
    });
    const journal = JSON.parse(
      fs.readFileSync(
        path.join(dir, 'server', 'db', 'migrations', 'meta', '_journal.json'),
        'utf8',
      ),
    ) as { entries: { tag: string; when: number }[] };
    const last = journal.entries[journal.entries.length - 1]!;
    log(
      `built ${ref} (${commit.slice(0, 7)}) in a worktree, ${((Date.now() - started) / 1000).toFixed(0)} s; its last migration ${last.tag}`,
    );
    return {
      ref,
      commit,
      dir,
      label,
      mainJs: path.join(dir, 'dist', 'server', 'main.js'),
      lastMigration: { tag: last.tag, when: last.when },
      remove,
      async migrate(url: string) {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        let applied = 0;
        try {
          const r = await client.query<{ last: string | null }>(
            `select max(created_at)::text as last from drizzle.__drizzle_migrations`,
          );
          applied = Number(r.rows[0]?.last ?? 0);
        } finally {
          await client.end();
        }
        if (applied > last.when)
          throw new Error(
            `the data set's schema is newer than ${ref}'s last migration (${last.tag}): that build cannot run on it. Its template was made by a later build; see TEMPLATE_MIGRATIONS in bench/lib/dataset.ts.`,
          );
        const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-bench-migrate-'));
        try {
          await run(process.execPath, ['--import', 'tsx', 'server/cli/migrate.ts'], {
            cwd: dir,
            env: {
              PATH: process.env.PATH,
              HOME: process.env.HOME,
              DATABASE_URL: url,
              DATA_DIR: dataDir,
            },
          });
        } finally {
          fs.rmSync(dataDir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    await remove();
    throw error;
  }
}
