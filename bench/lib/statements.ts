import fs from 'node:fs';
import path from 'node:path';

/** Running totals written by bench/lib/statement-counter.mjs inside a product process. */
export interface StatementCounts {
  total: number;
  byKind: Record<string, number>;
}

/**
 * Environment for startProduct that makes the product process count the SQL statements it
 * sends (into `<dir>/statements.json`); read them with readStatementCounts.
 */
export function statementCounterEnv(dir: string): { env: Record<string, string>; file: string } {
  const file = path.join(dir, 'statements.json');
  const preload = path.resolve(import.meta.dirname, 'statement-counter.mjs');
  return { env: { NODE_OPTIONS: `--import=${preload}`, BENCH_STATEMENTS_FILE: file }, file };
}

/** The totals so far, asked of the product process `pid` (it writes them on SIGUSR2). */
export async function readStatementCounts(file: string, pid: number): Promise<StatementCounts> {
  return askProcess<StatementCounts>(file, pid, 'its statement counts');
}

/**
 * Asks a product process with a benchmark preload for its figures: sends it SIGUSR2 and reads
 * the JSON it then writes to `file`.
 */
export async function askProcess<T>(file: string, pid: number, what: string): Promise<T> {
  fs.rmSync(file, { force: true });
  process.kill(pid, 'SIGUSR2');
  const until = Date.now() + 5000;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, 20));
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
    } catch {
      // Not written yet.
    }
  }
  throw new Error(`the product process ${pid} did not write ${what}`);
}

/** What was sent between two readings, by kind, most frequent first. */
export function statementDelta(
  before: StatementCounts,
  after: StatementCounts,
): { total: number; byKind: [string, number][] } {
  const byKind = Object.entries(after.byKind)
    .map(([k, v]) => [k, v - (before.byKind[k] ?? 0)] as [string, number])
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1]);
  return { total: after.total - before.total, byKind };
}

/**
 * With BENCH_CPU_PROF=<dir> set, environment that makes the product process write a V8 CPU
 * profile into <dir> when it stops (added to the NODE_OPTIONS of `env`); otherwise nothing.
 */
export function cpuProfileEnv(env: Record<string, string> = {}): Record<string, string> {
  const dir = process.env.BENCH_CPU_PROF;
  if (!dir) return {};
  const preload = path.resolve(import.meta.dirname, 'cpu-profile.mjs');
  return {
    NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --import=${preload}`.trim(),
    BENCH_CPU_PROF_DIR: path.resolve(dir),
  };
}
