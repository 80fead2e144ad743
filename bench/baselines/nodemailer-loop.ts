import nodemailer from 'nodemailer';
import { sharedItemsEmail } from '../../server/jobs/emails.js';

// The email benchmark's baseline: a bare Node process sending `count` emails with nodemailer's
// pooled SMTP transport (the product's transport settings) to the same loopback SMTP server,
// `inFlight` at a time, with nothing else around it: no database, no queue. The emails are the
// product's own "something new" email, one per recipient, so they are the same size. Prints one
// JSON line: sent, errors, seconds, the latency of each send (ms) and the CPU this process used.
//
//   node --import tsx bench/baselines/nodemailer-loop.ts '{"smtpUrl":"smtp://127.0.0.1:2525",
//     "from":"...","count":10000,"recipient":"bench{i}@patient.example","chamberName":"...",
//     "portalUrl":"...","maxConnections":4,"inFlight":8}'

interface Args {
  smtpUrl: string;
  from: string;
  count: number;
  /** `{i}` is replaced by 1 ... count. */
  recipient: string;
  chamberName: string;
  portalUrl: string;
  maxConnections: number;
  inFlight: number;
  /** Sent first, untimed, to `warmup{i}@...` of the same domain (JIT and connections warm). */
  warmup?: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
if (!args.smtpUrl || !(args.count > 0) || !(args.inFlight > 0)) {
  console.error('usage: nodemailer-loop.ts \'{"smtpUrl","count","inFlight",...}\'');
  process.exit(2);
}

// The url inside the options object: as a second argument the options would be message
// defaults, and the transport would open a new connection for every email.
const transport = nodemailer.createTransport({
  url: args.smtpUrl,
  pool: true,
  maxConnections: args.maxConnections,
  connectionTimeout: 10_000,
  greetingTimeout: 10_000,
  socketTimeout: 30_000,
});

async function sendAll(count: number, recipient: string) {
  const latencies: number[] = [];
  let errors = 0;
  let next = 1;
  await Promise.all(
    Array.from({ length: args.inFlight }, async () => {
      while (next <= count) {
        const i = next++;
        const email = sharedItemsEmail(
          recipient.replace('{i}', String(i)),
          args.chamberName,
          args.portalUrl,
        );
        const t = performance.now();
        try {
          await transport.sendMail({
            from: args.from,
            to: email.to,
            subject: email.subject,
            text: email.text,
            disableUrlAccess: true,
            disableFileAccess: true,
          });
        } catch {
          errors += 1;
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies, errors };
}

if (args.warmup) await sendAll(args.warmup, args.recipient.replace(/^[^@]*/, 'warmup{i}'));
const cpu0 = process.cpuUsage();
const started = performance.now();
const { latencies, errors } = await sendAll(args.count, args.recipient);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpu0);
transport.close();
process.stdout.write(
  `${JSON.stringify({
    sent: latencies.length - errors,
    errors,
    seconds,
    latencies,
    cpuMs: (cpu.user + cpu.system) / 1000,
  })}\n`,
);
