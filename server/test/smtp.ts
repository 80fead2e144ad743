import net from 'node:net';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

/** One message as the SMTP peer received it: envelope, parsed headers and body, and the raw source. */
export interface ReceivedEmail {
  /** Envelope recipients (RCPT TO), lower-cased. */
  envelopeTo: string[];
  envelopeFrom: string | null;
  /** Addresses of the To header. */
  to: string[];
  from: string;
  subject: string;
  text: string;
  /** Parsed headers, keyed by lower-case name. */
  headers: Map<string, unknown>;
  /** Header names exactly as they appear in the source, lower-cased, in order. */
  headerNames: string[];
  raw: string;
}

/** Answer every RCPT TO or every DATA with this SMTP reply (e.g. 421 temporary, 550 permanent). */
export interface SmtpFailure {
  stage: 'rcpt' | 'data';
  code: number;
  message?: string;
}

export interface SmtpCapture {
  port: number;
  /** `smtp://127.0.0.1:<port>`, for smtpMailer. */
  url: string;
  received: ReceivedEmail[];
  /** Commands seen, for counting attempts: each RCPT TO and each DATA, accepted or refused. */
  attempts: { rcpt: number; data: number };
  /** Changes how the server answers from now on; `null` accepts everything. */
  fail(failure: SmtpFailure | null): void;
  close(): Promise<void>;
}

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value];
  return list.flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase()));
}

function smtpError(failure: SmtpFailure): Error {
  const error = new Error(
    failure.message ?? (failure.code >= 500 ? 'Mailbox unavailable' : 'Try again later'),
  ) as Error & { responseCode: number };
  error.responseCode = failure.code;
  return error;
}

/**
 * A real SMTP server on 127.0.0.1 for the jobs tier: plain SMTP (no STARTTLS), no auth needed,
 * every accepted message parsed and kept before the 250 is sent, so it is in `received` as soon as
 * the sender's `sendMail` resolves. Port 0 (the default) picks a free port.
 */
export async function startSmtpServer(
  options: { port?: number; fail?: SmtpFailure | null } = {},
): Promise<SmtpCapture> {
  let failure = options.fail ?? null;
  const received: ReceivedEmail[] = [];
  const attempts = { rcpt: 0, data: 0 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    // Connections the sender keeps pooled are cut quickly when a test closes the server.
    closeTimeout: 200,
    onRcptTo(_address: SMTPServerAddress, _session, callback) {
      attempts.rcpt += 1;
      if (failure?.stage === 'rcpt') return callback(smtpError(failure));
      callback();
    },
    onData(stream, session, callback) {
      attempts.data += 1;
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error: Error) => callback(error));
      stream.on('end', () => {
        if (failure?.stage === 'data') return callback(smtpError(failure));
        const raw = Buffer.concat(chunks).toString('utf8');
        const headerBlock = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
        simpleParser(raw)
          .then((mail) => {
            received.push({
              envelopeTo: session.envelope.rcptTo.map((a) => a.address.toLowerCase()),
              envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
              to: addresses(mail.to),
              from: mail.from?.text ?? '',
              subject: mail.subject ?? '',
              text: mail.text ?? '',
              headers: mail.headers as Map<string, unknown>,
              headerNames: headerBlock
                .split(/\r?\n/)
                .filter((line) => /^[^\s:]+:/.test(line))
                .map((line) => line.slice(0, line.indexOf(':')).toLowerCase()),
              raw,
            });
            callback();
          })
          .catch((error: Error) => callback(error));
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      const address = server.server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    received,
    attempts,
    fail(next) {
      failure = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A loopback port where nothing listens right now: "the SMTP server is down". */
export async function closedPort(): Promise<number> {
  const probe = net.createServer();
  const port = await new Promise<number>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
