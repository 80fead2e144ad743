import { spawn, type ChildProcess } from 'node:child_process';
import { root } from './scenario.js';

const live = new Set<ChildProcess>();
let hooked = false;

/** Children still running when the benchmark process ends (by error or signal) are killed too. */
function killLeftovers() {
  for (const child of live) child.kill('SIGKILL');
}

function hook() {
  if (hooked) return;
  hooked = true;
  process.once('exit', killLeftovers);
  // A signal (Ctrl-C, or `npm run bench` giving up on a scenario) ends the children too,
  // instead of leaving a product process running.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      killLeftovers();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
}

/** Kills `child` when this process exits or is interrupted, unless it ended before. */
export function killOnExit(child: ChildProcess): void {
  hook();
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/**
 * Runs a baseline script (`bench/baselines/*.ts`) as its own Node process with one JSON
 * argument, and returns the JSON line it prints last. Killed if it takes longer than
 * `timeoutMs`, or when this process exits.
 */
export async function runBaselineProcess<T>(
  script: string,
  args: unknown,
  options: { timeoutMs: number; env?: Record<string, string> },
): Promise<T> {
  hook();
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(args)], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  try {
    const { code, signal } = await new Promise<{
      code: number | null;
      signal: NodeJS.Signals | null;
    }>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (c, s) => resolve({ code: c, signal: s }));
    });
    if (code !== 0)
      throw new Error(`${script} ended with ${signal ?? `code ${code}`}: ${err.slice(-2000)}`);
    const last = out.trim().split('\n').pop() ?? '';
    return JSON.parse(last) as T;
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    live.delete(child);
  }
}
