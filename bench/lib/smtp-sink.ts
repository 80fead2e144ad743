import type { Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * A loopback SMTP server that takes mail as fast as it comes: no parsing, each message only
 * counted per envelope recipient (so a duplicate or a missing email shows), with the time it
 * arrived. For the email benchmark, where server/test/smtp.ts (which parses every message)
 * would be the bottleneck.
 */
export interface SmtpSink {
  url: string;
  /** Messages accepted since the last reset. */
  readonly count: number;
  /** Accepted messages per envelope recipient (lower-cased) since the last reset. */
  readonly perRecipient: Map<string, number>;
  /** performance.now() of each acceptance since the last reset. */
  readonly arrivals: number[];
  readonly bytes: number;
  /** SMTP connections opened since the server started. */
  readonly connections: number;
  reset(): void;
  /** Resolves once `n` messages arrived since the last reset (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  let perRecipient = new Map<string, number>();
  let arrivals: number[] = [];
  let bytes = 0;
  let waiter: { n: number; resolve: () => void } | undefined;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 200,
    // No reverse DNS lookup of 127.0.0.1 for each connection.
    disableReverseLookup: true,
    maxClients: 1000,
    onData(stream, session, callback) {
      stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
      stream.on('error', (error: Error) => callback(error));
      stream.on('end', () => {
        for (const rcpt of session.envelope.rcptTo) {
          const to = rcpt.address.toLowerCase();
          perRecipient.set(to, (perRecipient.get(to) ?? 0) + 1);
        }
        arrivals.push(performance.now());
        if (waiter && arrivals.length >= waiter.n) waiter.resolve();
        callback();
      });
    },
  });
  // Replies go out at once (no Nagle): small replies held back for a delayed ACK would make
  // every message wait ~40 ms, and the server, not the sender, would be what is measured.
  let connections = 0;
  server.server.on('connection', (socket: Socket) => {
    connections += 1;
    socket.setNoDelay(true);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    get count() {
      return arrivals.length;
    },
    get perRecipient() {
      return perRecipient;
    },
    get arrivals() {
      return arrivals;
    },
    get bytes() {
      return bytes;
    },
    get connections() {
      return connections;
    },
    reset() {
      perRecipient = new Map();
      arrivals = [];
      bytes = 0;
    },
    async waitFor(n, timeoutMs) {
      if (arrivals.length >= n) return;
      let timer: NodeJS.Timeout | undefined;
      try {
        await new Promise<void>((resolve, reject) => {
          waiter = { n, resolve };
          timer = setTimeout(
            () => reject(new Error(`only ${arrivals.length} of ${n} emails arrived`)),
            timeoutMs,
          );
        });
      } finally {
        clearTimeout(timer);
        waiter = undefined;
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
