import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { killOnExit } from './baseline-process.js';
import { buildServer } from './product.js';
import { root } from './scenario.js';

/**
 * The product as a jobs worker (`--role=worker`), the way it is deployed next to the web
 * processes (the built bundle `npm start` runs, as startProduct does). It serves no HTTP, so it
 * is ready when it prints its start-up banner.
 */
export async function startWorkerProcess(
  databaseUrl: string,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; log: () => string; stop: () => Promise<void> }> {
  buildServer();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-bench-worker-'));
  let output = '';
  const child = spawn(process.execPath, ['dist/server/main.js', '--role=worker'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      PORTAL_LOG_LEVEL: 'error',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killOnExit(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker did not start: ${output}`)), 30_000);
      const seen = (d: Buffer) => {
        output += d.toString();
        if (output.includes('(worker)')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', seen);
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      child.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`worker exited: ${output}`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { child, log: () => output, stop };
}
