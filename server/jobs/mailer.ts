import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';

export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
}

/** Sends email; throws MailError, whose `permanent` says whether a retry can help. */
export interface Mailer {
  send(email: OutgoingEmail): Promise<void>;
  close(): void;
  /** Where mail goes, for the start-up banner. */
  describe(): string;
}

export class MailError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

function classify(error: unknown): MailError {
  const e = error as { responseCode?: number; code?: string; message?: string };
  const code = e.responseCode;
  // SMTP 5xx is a refusal that will not change by retrying; 4xx and network faults may.
  const permanent = typeof code === 'number' && code >= 500 && code < 600;
  return new MailError(
    `${code ?? e.code ?? 'error'}: ${(e.message ?? 'send failed').slice(0, 300)}`,
    permanent,
  );
}

/** At most this many SMTP connections are open at once; they stay open between emails. */
export const SMTP_MAX_CONNECTIONS = 4;

/** nodemailer over SMTP (`SMTP_URL`), with pooled connections. */
export function smtpMailer(url: string, from: string): Mailer {
  // The url goes inside the options: given as a second argument, the options are only defaults
  // for each message, and nodemailer opened a new connection (greeting, EHLO) for every email.
  const transport: Transporter = nodemailer.createTransport({
    url,
    pool: true,
    maxConnections: SMTP_MAX_CONNECTIONS,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  const target = new URL(url);
  return {
    async send(email) {
      try {
        await transport.sendMail({
          from,
          to: email.to,
          subject: email.subject,
          text: email.text,
          disableUrlAccess: true,
          disableFileAccess: true,
        });
      } catch (error) {
        throw classify(error);
      }
    },
    close: () => transport.close(),
    describe: () => `SMTP ${target.hostname}:${target.port || '25'}`,
  };
}

/** Without SMTP: every email is written as an .eml file under `dir` (the demo's mailbox). */
export function fileMailer(dir: string, from: string): Mailer {
  const transport = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'unix',
  });
  return {
    async send(email) {
      const info = await transport.sendMail({
        from,
        to: email.to,
        subject: email.subject,
        text: email.text,
      });
      await fs.mkdir(dir, { recursive: true });
      const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}.eml`;
      await fs.writeFile(path.join(dir, name), info.message as Buffer, { mode: 0o600 });
    },
    close: () => transport.close(),
    describe: () => `.eml files in ${dir}`,
  };
}
