import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startWorkerProcess as startWorker } from '../../server/test/processes.js';
import { killOnExit, onStopSignal } from './children.js';
import { buildServer } from './product.js';

/**
 * The product as a jobs worker (`--role=worker`), the way it is deployed next to the web
 * processes (the built bundle `npm start` runs, as startProduct does, or another build's
 * `mainJs`), on a DATA_DIR of its own that `stop()` removes.
 */
export async function startWorkerProcess(
  databaseUrl: string,
  env: Record<string, string>,
  mainJs?: string,
): Promise<{ child: ChildProcess; log: () => string; stop: () => Promise<void> }> {
  if (!mainJs) buildServer();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-bench-worker-'));
  let worker;
  try {
    worker = await startWorker(databaseUrl, dataDir, {
      built: mainJs ?? true,
      env: { PORTAL_LOG_LEVEL: 'error', ...env },
    });
  } catch (error) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const { child, exited, log } = worker;
  killOnExit(child);
  onStopSignal(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  return { child, log, stop };
}
