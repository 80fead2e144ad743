import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { killOnExit } from './children.js';

/**
 * Many Server-Sent Events clients in one process, cheap enough that 10,000 of them fit beside
 * the server on two cores: raw TCP sockets, a hand-written GET, and no parsing beyond finding
 * the event boundaries, the heartbeat comments and the `"messageId":"…"` of each `message`
 * event. Chunked transfer framing is not decoded: it only ever sits between events, so
 * scanning the raw text for them is enough.
 */
export interface SseClients {
  /** How many streams were asked for. */
  readonly size: number;
  /** Streams that answered 200 and are still open. */
  open(): number;
  /** Streams that failed to open, were refused, or ended (by the server or an error). */
  failed(): number;
  /** Why streams failed or ended, by reason. */
  failures(): Record<string, number>;
  /** Milliseconds from the first connect to the last stream answering 200. */
  readonly connectMs: number;
  /** Heartbeat comments received so far, per stream. */
  heartbeats(): Int32Array;
  /** `message` events received so far: stream index, message id and arrival (performance.now()). */
  arrivals(): { client: number; id: string; at: number }[];
  /**
   * `notification` events received so far (the product's large-role notifications, written by
   * its worker after the message): stream index, message id and arrival.
   */
  notifications(): { client: number; id: string; at: number }[];
  /** How many streams have received the message with this id so far. */
  received(id: string): number;
  /** Forgets the arrivals recorded so far (not the heartbeat counts). */
  reset(): void;
  /** Waits until the predicate holds (checked on every arrival and every 50 ms), at most `ms`. */
  waitUntil(predicate: () => boolean, ms: number): Promise<boolean>;
  /** Closes every stream. */
  close(): void;
}

const MESSAGE_ID = '"messageId":"';

export async function openSseClients(options: {
  /** e.g. http://127.0.0.1:3000 */
  url: string;
  path: string;
  count: number;
  /** Extra request headers of stream i (e.g. its session cookie). */
  headers?: (i: number) => Record<string, string>;
  /** Connections being opened at once (default 100). */
  concurrency?: number;
  /** Give up on a stream that has not answered within this (default 30 s). */
  timeoutMs?: number;
  /** Logs progress every this many streams (default: never). */
  progress?: (opened: number) => void;
}): Promise<SseClients> {
  const { hostname, port } = new URL(options.url);
  const sockets: (net.Socket | undefined)[] = new Array(options.count);
  const heartbeats = new Int32Array(options.count);
  const failureReasons: Record<string, number> = {};
  let openCount = 0;
  let failedCount = 0;
  let closing = false;
  let arrivalClient: number[] = [];
  let arrivalId: string[] = [];
  let arrivalAt: number[] = [];
  let perId = new Map<string, number>();
  let notified: { client: number; id: string; at: number }[] = [];
  const waiters = new Set<() => void>();
  const fail = (reason: string) => {
    failedCount += 1;
    failureReasons[reason] = (failureReasons[reason] ?? 0) + 1;
  };

  /** Opens stream i; resolves once it answered (or failed). */
  const connect = (i: number) =>
    new Promise<void>((resolve) => {
      const socket = net.connect({ host: hostname, port: Number(port) });
      sockets[i] = socket;
      socket.setNoDelay(true);
      let headersDone = false;
      let isOpen = false;
      let ended = false;
      let pending = '';
      const timer = setTimeout(() => {
        if (headersDone) return;
        end('timeout');
        socket.destroy();
      }, options.timeoutMs ?? 30_000);
      const end = (reason: string) => {
        if (ended) return;
        ended = true;
        clearTimeout(timer);
        if (isOpen) openCount -= 1;
        isOpen = false;
        if (!closing) fail(reason);
        resolve();
        for (const w of waiters) w();
      };
      const extra = options.headers?.(i) ?? {};
      const lines = [
        `GET ${options.path} HTTP/1.1`,
        `Host: ${hostname}:${port}`,
        'Accept: text/event-stream',
        ...Object.entries(extra).map(([k, v]) => `${k}: ${v}`),
      ];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      socket.on('data', (chunk: Buffer) => {
        const at = performance.now();
        let text = pending + chunk.toString('latin1');
        if (!headersDone) {
          const h = text.indexOf('\r\n\r\n');
          if (h < 0) {
            pending = text;
            return;
          }
          headersDone = true;
          clearTimeout(timer);
          const status = text.slice(9, 12);
          if (status !== '200') {
            end(`status ${status}`);
            socket.destroy();
            return;
          }
          isOpen = true;
          openCount += 1;
          resolve();
          text = text.slice(h + 4);
        }
        let got = false;
        let start = 0;
        for (let e = text.indexOf('\n\n'); e >= 0; e = text.indexOf('\n\n', start)) {
          const block = text.slice(start, e);
          start = e + 2;
          if (block.includes(': heartbeat')) {
            heartbeats[i]! += 1;
          } else if (block.includes('event: message')) {
            const m = block.indexOf(MESSAGE_ID);
            if (m < 0) continue;
            const id = block.slice(m + MESSAGE_ID.length, m + MESSAGE_ID.length + 36);
            arrivalClient.push(i);
            arrivalId.push(id);
            arrivalAt.push(at);
            perId.set(id, (perId.get(id) ?? 0) + 1);
            got = true;
          } else if (block.includes('event: notification')) {
            const m = block.indexOf(MESSAGE_ID);
            if (m >= 0)
              notified.push({
                client: i,
                id: block.slice(m + MESSAGE_ID.length, m + MESSAGE_ID.length + 36),
                at,
              });
          } else if (block.includes('event: closed')) {
            const r = /"reason":"([^"]*)"/.exec(block);
            end(`closed by server: ${r?.[1] ?? '?'}`);
          }
        }
        pending = text.slice(start);
        if (got) for (const w of waiters) w();
      });
      socket.on('error', (error: NodeJS.ErrnoException) => end(error.code ?? error.message));
      socket.on('close', () => end(headersDone ? 'stream ended' : 'closed before answering'));
    });

  const started = performance.now();
  let next = 0;
  let opened = 0;
  const step = 1000;
  await Promise.all(
    Array.from({ length: Math.min(options.concurrency ?? 100, options.count) }, async () => {
      while (next < options.count) {
        const i = next;
        next += 1;
        await connect(i);
        opened += 1;
        if (options.progress && opened % step === 0) options.progress(opened);
      }
    }),
  );
  const connectMs = performance.now() - started;

  return {
    size: options.count,
    open: () => openCount,
    failed: () => failedCount,
    failures: () => ({ ...failureReasons }),
    connectMs,
    heartbeats: () => heartbeats,
    arrivals: () =>
      arrivalClient.map((client, k) => ({ client, id: arrivalId[k]!, at: arrivalAt[k]! })),
    notifications: () => notified,
    received: (id) => perId.get(id) ?? 0,
    reset() {
      notified = [];
      arrivalClient = [];
      arrivalId = [];
      arrivalAt = [];
      perId = new Map();
    },
    waitUntil(predicate, ms) {
      return new Promise((resolve) => {
        const check = () => {
          if (!predicate()) return;
          done(true);
        };
        const done = (ok: boolean) => {
          waiters.delete(check);
          clearInterval(poll);
          clearTimeout(timer);
          resolve(ok);
        };
        const poll = setInterval(check, 50);
        const timer = setTimeout(() => done(predicate()), ms);
        waiters.add(check);
        check();
      });
    },
    close() {
      closing = true;
      for (const s of sockets) s?.destroy();
    },
  };
}

/** The minimal SSE broadcaster (bench/baselines/sse-server.mjs) as its own process. */
export async function startSseBaseline(
  env: Record<string, string> = {},
): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void> }> {
  const script = path.resolve(import.meta.dirname, '..', 'baselines', 'sse-server.mjs');
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killOnExit(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`SSE baseline did not start: ${output}`)),
      10_000,
    );
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      const m = /listening (\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`SSE baseline exited: ${output}`));
    });
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
    },
  };
}
