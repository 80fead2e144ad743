import path from 'node:path';
import { askProcess } from './statements.js';

/** How busy a product process's event loop was since the last reading (bench/lib/event-loop.mjs). */
export interface EventLoopFigures {
  /** Share of the time the loop was running code, 0–1. */
  utilization: number;
  /** How late its timers fired, p99, ms. */
  delayP99: number;
}

/**
 * Environment for startProduct that makes the web process measure its event loop (into
 * `<dir>/event-loop.json`); read it with readEventLoop.
 */
export function eventLoopEnv(dir: string): { env: Record<string, string>; file: string } {
  const file = path.join(dir, 'event-loop.json');
  const preload = path.resolve(import.meta.dirname, 'event-loop.mjs');
  return { env: { NODE_OPTIONS: `--import=${preload}`, BENCH_EVENT_LOOP_FILE: file }, file };
}

/** The figures since the last reading, asked of the product process `pid` (SIGUSR2). */
export function readEventLoop(file: string, pid: number): Promise<EventLoopFigures> {
  return askProcess<EventLoopFigures>(file, pid, 'its event-loop figures');
}
