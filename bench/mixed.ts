import { randomUUID } from 'node:crypto';
import { Pool } from 'undici';
import { fromPostgres } from '../server/db/connect.js';
import { datasetIds, openSessions, postgresDataset } from './lib/dataset.js';
import { memoryMb, percentile, postgresCpuMs, processCpuMs } from './lib/measure.js';
import { startProduct } from './lib/product.js';
import { log, parseOptions, writeReport } from './lib/scenario.js';

// Mixed users: patients and staff doing what they do in a day, each with think time between
// actions, ramped up step by step until the average answer takes more than 100 ms, the p99
// more than 2 s, or more than 0.025 % of requests fail. Reports the users held.

const bench = parseOptions();
const STEP_SECONDS = bench.quick ? 2 : 10;
const THINK_MS = 1000;
const START_USERS = bench.quick ? 20 : 50;
const MAX_USERS = bench.quick ? 400 : 20_000;
const MAX_STEPS = bench.quick ? 4 : 14;
const LIMITS = { avg: 100, p99: 2000, errorRate: 0.00025 };

interface Action {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  expect: number;
}

const data = await postgresDataset(bench.size, log);
try {
  const setup = fromPostgres(data.url, 2);
  const ids = await datasetIds(setup.db, bench.size.patients);
  const patientCount = Math.min(ids.patientIds.length, 8_000);
  const step = Math.max(1, Math.floor(ids.patientIds.length / patientCount));
  const patients = Array.from({ length: patientCount }, (_, i) => ids.patientIds[i * step]!);
  const patientTokens = await openSessions(setup.db, ids.chamberId, 'patient', patients);
  const staffIds = Array.from({ length: 400 }, (_, i) => ids.staffIds[i % ids.staffIds.length]!);
  const staffTokens = await openSessions(setup.db, ids.chamberId, 'staff', staffIds);
  await setup.close();

  const server = await startProduct(data.url);
  try {
    /** One user's day: one in ten is staff. Patients read more than they write. */
    const userActions = (user: number): (() => Action)[] => {
      if (user % 10 === 0) {
        const patient = () => patients[Math.floor(Math.random() * patients.length)]!;
        return [
          () => ({ method: 'GET', path: '/api/v1/notifications', expect: 200 }),
          () => ({ method: 'GET', path: `/api/v1/patients/${patient()}/feed`, expect: 200 }),
          () => ({
            method: 'POST',
            path: `/api/v1/patients/${patient()}/conversations`,
            body: {
              text: 'Your results are back and normal.',
              shareWithPatient: true,
              roleIds: [ids.builtInRoleId],
            },
            expect: 201,
          }),
        ];
      }
      return [
        () => ({ method: 'GET', path: '/api/v1/portal/conversations', expect: 200 }),
        () => ({ method: 'GET', path: '/api/v1/portal/conversations', expect: 200 }),
        () => ({
          method: 'POST',
          path: '/api/v1/portal/conversations',
          body: { text: 'Could I have a call back about my prescription?' },
          expect: 201,
        }),
      ];
    };
    const cookieOf = (user: number) =>
      user % 10 === 0
        ? `staff_session=${staffTokens[(user / 10) % staffTokens.length]}`
        : `portal_session=${patientTokens[user % patientTokens.length]}`;

    const steps: {
      users: number;
      rps: number;
      avg: number;
      p99: number;
      errorRate: number;
      cpu: number;
    }[] = [];
    let users = START_USERS;
    let held = 0;
    for (let s = 0; s < MAX_STEPS && users <= MAX_USERS; s += 1) {
      const pool = new Pool(server.url, {
        connections: Math.min(users, 512),
        keepAliveTimeout: 30_000,
      });
      const latencies: number[] = [];
      let errors = 0;
      const started = performance.now();
      const until = started + STEP_SECONDS * 1000;
      const node0 = processCpuMs(server.child.pid!);
      const pg0 = postgresCpuMs();
      await Promise.all(
        Array.from({ length: users }, async (_, user) => {
          const actions = userActions(user);
          // Users start spread over one think time, as they would arrive.
          await new Promise((r) => setTimeout(r, Math.random() * THINK_MS));
          let n = user;
          while (performance.now() < until) {
            const a = actions[n++ % actions.length]!();
            const t0 = performance.now();
            try {
              const res = await pool.request({
                method: a.method,
                path: a.path,
                headers: {
                  cookie: cookieOf(user),
                  ...(a.body
                    ? { 'content-type': 'application/json', 'idempotency-key': randomUUID() }
                    : {}),
                },
                body: a.body ? JSON.stringify(a.body) : undefined,
              });
              await res.body.dump();
              if (res.statusCode !== a.expect) errors += 1;
            } catch {
              errors += 1;
            }
            latencies.push(performance.now() - t0);
            await new Promise((r) => setTimeout(r, THINK_MS * (0.5 + Math.random())));
          }
        }),
      );
      await pool.close();
      const seconds = (performance.now() - started) / 1000;
      const avg = latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length);
      const p99 = percentile(latencies, 99);
      const errorRate = errors / Math.max(1, latencies.length);
      const cpu =
        (processCpuMs(server.child.pid!) - node0 + postgresCpuMs() - pg0) / (seconds * 1000);
      steps.push({ users, rps: latencies.length / seconds, avg, p99, errorRate, cpu });
      log(
        `${users} users: ${(latencies.length / seconds).toFixed(0)} requests/s, avg ${avg.toFixed(1)} ms, p99 ${p99.toFixed(0)} ms, errors ${(errorRate * 100).toFixed(3)} %`,
      );
      if (avg > LIMITS.avg || p99 > LIMITS.p99 || errorRate > LIMITS.errorRate) break;
      held = users;
      users = Math.round(users * 1.5);
    }
    const last = steps[steps.length - 1]!;
    writeReport({
      id: 'mixed',
      title: 'Mixed users, ramped',
      command: `npm run bench -- mixed${bench.quick ? ' --quick' : ''}`,
      baseline: 'none (a capacity figure)',
      target:
        'report the concurrent active users held while the average stays ≤ 100 ms, the p99 ≤ 2 s and errors ≤ 0.025 %',
      table: {
        head: [
          'active users',
          'requests/s',
          'avg ms',
          'p99 ms',
          'errors',
          'CPU cores busy (Node + PostgreSQL)',
        ],
        rows: steps.map((s) => [
          s.users,
          s.rps,
          s.avg,
          s.p99,
          `${(s.errorRate * 100).toFixed(3)} %`,
          s.cpu,
        ]),
      },
      verdict:
        held === last.users
          ? `${held.toLocaleString('en-GB')} concurrent active users held, the most this run tried`
          : `${held.toLocaleString('en-GB')} concurrent active users held; at ${last.users.toLocaleString('en-GB')} the limits were passed`,
      notes: [
        `Each user acts about once a second (think time 0.5–1.5 s). Nine in ten are patients (Inbox, Inbox, send a message, in turn); one in ten is staff (notifications, a patient's Feed, a message to a patient and the built-in role, in turn).`,
        `${bench.size.patients.toLocaleString('en-GB')} patients and ${bench.size.messages.toLocaleString('en-GB')} messages; steps of ${STEP_SECONDS} s, ×1.5 users each step.`,
        `Peak RSS of the product process: ${memoryMb(server.child.pid!).peak.toFixed(0)} MB.`,
      ],
      quick: bench.quick,
    });
  } finally {
    await server.stop();
  }
} finally {
  await data.drop();
}
