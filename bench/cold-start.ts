import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { EMBEDDED_SIZE } from './lib/dataset.js';
import { embeddedDataset } from './lib/embedded.js';
import { buildServer } from './lib/product.js';
import { median } from './lib/measure.js';
import { freePort } from '../server/test/processes.js';
import { log, parseOptions, root, writeReport } from './lib/scenario.js';

// Cold start on the embedded database with 100k messages: from starting the process to the
// first answered request, against a bare script that opens the same database and runs one
// query. Before each start the kernel's file cache is dropped when this runs as root, so both
// read the database from disk.

const bench = parseOptions();
const size = bench.quick ? { patients: 2_000, messages: 20_000 } : EMBEDDED_SIZE;
const ROUNDS = Math.max(3, bench.rounds);

/** Drops the page cache (root only); says whether it could. */
function dropCaches(): boolean {
  try {
    fs.writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

buildServer();
const embedded = await embeddedDataset(size);
const dir = path.join(embedded.dataDir, 'pglite');

/** Seconds from spawn until the line `ready` (baseline). */
function baselineStart(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['bench/baselines/pglite-open.mjs', dir], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let seen = false;
    child.stdout.on('data', (d: Buffer) => {
      if (!seen && d.toString().includes('ready')) {
        seen = true;
        resolve((performance.now() - started) / 1000);
      }
    });
    child.on('exit', (code) => {
      if (!seen) reject(new Error(`baseline exited ${code}`));
    });
  });
}

/** Seconds from spawn until the product's first answer, started as `npm start` starts it. */
async function productStart(): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, ['dist/server/main.js'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATA_DIR: embedded.dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      PORTAL_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((r) => child.once('exit', r));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error('the product exited while starting');
      try {
        if ((await fetch(`http://127.0.0.1:${port}/api/v1/health`)).ok)
          return (performance.now() - started) / 1000;
      } catch {
        // Not listening yet.
      }
      if (performance.now() - started > 120_000) throw new Error('the product did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

try {
  const baseline: number[] = [];
  const product: number[] = [];
  let dropped = true;
  for (let i = 0; i < ROUNDS; i += 1) {
    dropped = dropCaches() && dropped;
    baseline.push(await baselineStart());
    dropped = dropCaches() && dropped;
    product.push(await productStart());
    log(
      `round ${i + 1}: bare PGlite ${baseline[i]!.toFixed(2)} s, product ${product[i]!.toFixed(2)} s`,
    );
  }
  const differences = product.map((p, i) => p - baseline[i]!);
  const extra = median(differences);
  writeReport({
    id: 'cold-start',
    title: 'Cold start on the embedded database',
    command: `npm run bench -- cold-start${bench.quick ? ' --quick' : ''}`,
    baseline: 'a bare Node script that opens the same PGlite directory and runs one query',
    target: '≤ baseline + 1 s',
    table: {
      head: ['side', 'median s', 'min s', 'max s'],
      rows: [
        [
          'bare PGlite open + one query',
          median(baseline),
          Math.min(...baseline),
          Math.max(...baseline),
        ],
        [
          'product: start to first answer',
          median(product),
          Math.min(...product),
          Math.max(...product),
        ],
        ['difference', extra, Math.min(...differences), Math.max(...differences)],
      ],
    },
    verdict: `the product needs ${extra.toFixed(2)} s more than the bare database: ${extra <= 1 ? 'target met' : 'target missed'}`,
    notes: [
      `${size.messages.toLocaleString('en-GB')} messages, ${size.patients.toLocaleString('en-GB')} patients; ${ROUNDS} starts each, alternating.`,
      dropped
        ? 'The page cache was dropped before every start (`/proc/sys/vm/drop_caches`).'
        : 'The page cache could not be dropped (not root): starts after the first read a warm cache.',
      'The product starts as `npm start` does (the bundle made by `npm run build:server`), opens the database, applies any new migrations, and answers `/api/v1/health`.',
    ],
    quick: bench.quick,
  });
} finally {
  embedded.remove();
}
