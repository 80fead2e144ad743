import type { Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { sharedItemsEmail } from './emails.js';
import { SMTP_MAX_CONNECTIONS, smtpMailer, type Mailer } from './mailer.js';

const FROM = 'Clinic <no-reply@clinic.example>';

/** A real SMTP server on loopback that counts the connections made to it and the emails per recipient. */
async function countingServer() {
  const sockets = new Set<Socket>();
  let connections = 0;
  const received: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 200,
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        received.push(...session.envelope.rcptTo.map((a) => a.address));
        callback();
      });
    },
  });
  server.server.on('connection', (socket: Socket) => {
    connections += 1;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    }),
  );
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    connections: () => connections,
    /** Cuts every open connection, as a mail server restarting or timing out idle clients does. */
    dropConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function setup() {
  const server = await countingServer();
  const mailer: Mailer = smtpMailer(server.url, FROM);
  cleanup.push(
    () => server.close(),
    () => mailer.close(),
  );
  return { server, mailer };
}

const email = (i: number) =>
  sharedItemsEmail(`patient${i}@mail.example`, 'Riverside Clinic', 'http://portal.example/portal/');

describe('SMTP mailer', () => {
  it('sends one email after another over one kept connection, not one connection per email', async () => {
    const { server, mailer } = await setup();
    for (let i = 1; i <= 6; i += 1) await mailer.send(email(i));
    expect(server.received).toEqual([1, 2, 3, 4, 5, 6].map((i) => `patient${i}@mail.example`));
    expect(server.connections()).toBe(1);
  });

  it(`sends emails given at once over at most ${SMTP_MAX_CONNECTIONS} connections, each email once`, async () => {
    const { server, mailer } = await setup();
    await Promise.all(Array.from({ length: 20 }, (_, i) => mailer.send(email(i + 1))));
    expect([...server.received].sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `patient${i + 1}@mail.example`).sort(),
    );
    expect(server.connections()).toBeGreaterThan(1);
    expect(server.connections()).toBeLessThanOrEqual(SMTP_MAX_CONNECTIONS);
  });

  it('connects again when the mail server dropped the kept connection', async () => {
    const { server, mailer } = await setup();
    await mailer.send(email(1));
    server.dropConnections();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await mailer.send(email(2));
    await mailer.send(email(3));
    expect(server.received).toEqual([1, 2, 3].map((i) => `patient${i}@mail.example`));
    expect(server.connections()).toBe(2);
  });
});
