import { EventEmitter } from 'node:events';
import type { Config } from '../config.js';
import type { Db } from '../db/connect.js';
import type { Clock } from './clock.js';

/** In-process signals sent after a commit: wake the job worker, tell live streams. */
export interface AppSignals {
  /** A job was enqueued and may be due now. */
  jobsEnqueued(): void;
  on(event: 'jobs', listener: () => void): void;
  off(event: 'jobs', listener: () => void): void;
}

export function createSignals(): AppSignals {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    jobsEnqueued: () => {
      emitter.emit('jobs');
    },
    on: (event, listener) => {
      emitter.on(event, listener);
    },
    off: (event, listener) => {
      emitter.off(event, listener);
    },
  };
}

/** What every service needs: the database, the time, the settings and the signals. */
export interface ServiceContext {
  db: Db;
  clock: Clock;
  config: Config;
  signals: AppSignals;
}
