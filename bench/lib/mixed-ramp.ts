import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { fromPostgres } from '../../server/db/connect.js';
import { buildAtRef, type RefBuild } from './build-at-ref.js';
import { onStopSignal } from './children.js';
import { chamberLayout, openSessions, postgresDataset, type ChamberIds } from './dataset.js';
import { eventLoopEnv, readEventLoop, type EventLoopFigures } from './event-loop.js';
import { cpuProfileEnv } from './statements.js';
import { lockShare, lockWaitSampler, lockWaitText, machineBusyMs } from './lock-waits.js';
import { memoryMb, percentile, postgresCpuMs } from './measure.js';
import { productCpuMs, startProduct, type ProductBuild, type ProductProcess } from './product.js';
import { log, parseOptions, writeReport } from './scenario.js';

// Mixed users: patients and staff doing what they do in a day, each with think time between
// actions, ramped up step by step until the average answer takes more than 100 ms, the p99
// more than 2 s, or more than 0.025 % of requests fail. The same ramp runs on two builds one
// after the other, each on a fresh copy of the data set migrated by its own build: the build
// before issue 18 (BENCH_BASELINE_REF, default 21dcf26, from a git worktree) and this one.

const bench = parseOptions();
const STEP_SECONDS = bench.quick ? 2 : 10;
const THINK_MS = 1000;
// BENCH_START_USERS starts the ramp higher (e.g. for a CPU profile at a given load).
const START_USERS = Number(process.env.BENCH_START_USERS) || (bench.quick ? 20 : 50);
const MAX_USERS = bench.quick ? 400 : 20_000;
const MAX_STEPS = bench.quick ? 4 : 14;
const LIMITS = { avg: 100, p99: 2000, errorRate: 0.00025 };
/**
 * Web processes (`--role=web`) on each side (BENCH_WEB_PROCESSES, default 1), each with a pool of
 * its own; users are spread over them (user u on process u mod n), as a round-robin proxy would.
 * One Node process runs its requests on one event loop; on this 2-core machine a second one did
 * not help either build (2026-12-07: both held 255 users, the whole machine 1.71 cores busy past
 * this build's knee), so one is the default.
 */
const WEB_PROCESSES = Math.max(1, Number(process.env.BENCH_WEB_PROCESSES ?? 1));
/** Patients and staff sessions the users act as, over all chambers. */
const PATIENT_SESSIONS = 8_000;
const STAFF_SESSIONS = 400;
/** The build the target compares with: the commit before issue 18. */
export const DEFAULT_BASELINE_REF = '21dcf26';

interface Action {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  expect: number;
}

/** One chamber's users: who they sign in as. */
interface ChamberUsers {
  chamber: ChamberIds;
  patientTokens: string[];
  staffTokens: string[];
}

/** One step of the ramp on one side. */
interface Step {
  users: number;
  rps: number;
  avg: number;
  p99: number;
  errorRate: number;
  /** Cores busy: the product's processes (web + worker) and every PostgreSQL process. */
  cpu: number;
  node: number;
  machine: number;
  generator: number;
  lockShare: number;
  lockText: string;
  /** Each web process's event loop over the step. */
  loops: EventLoopFigures[];
}

interface SideResult {
  label: string;
  steps: Step[];
  held: number;
  peakRssMb: number[];
  workerPeakRssMb: number;
}

/** Opens the sessions the users act as, on one side's copy of the data set. */
async function signIn(url: string, chambers: number): Promise<ChamberUsers[]> {
  const setup = fromPostgres(url, 2);
  try {
    const layout = chamberLayout(bench.size, chambers, Math.ceil(PATIENT_SESSIONS / chambers));
    const out: ChamberUsers[] = [];
    const staffPerChamber = Math.max(1, Math.ceil(STAFF_SESSIONS / chambers));
    for (const chamber of layout) {
      const staff = Array.from(
        { length: staffPerChamber },
        (_, i) => chamber.staffIds[i % chamber.staffIds.length]!,
      );
      out.push({
        chamber,
        patientTokens: await openSessions(
          setup.db,
          chamber.chamberId,
          'patient',
          chamber.patientIds,
        ),
        staffTokens: await openSessions(setup.db, chamber.chamberId, 'staff', staff),
      });
    }
    return out;
  } finally {
    await setup.close();
  }
}

/** The ramp on one side: fresh copy, its own build's processes, steps until the limits pass. */
async function rampOn(
  label: string,
  chambers: number,
  build: RefBuild | undefined,
): Promise<SideResult> {
  log(`mixed: ${label}`);
  const data = await postgresDataset(bench.size, log, {
    chambers,
    ofTheirOwn: true,
    own: true,
    migrate: build?.migrate,
  });
  onStopSignal(() => data.drop());
  try {
    const population = await signIn(data.url, chambers);
    // BENCH_POOL_SIZE tries another pool size on both sides (default: the product's own).
    const pool = process.env.BENCH_POOL_SIZE;
    // Each web process's event loop is measured (bench/lib/event-loop.mjs): a loop busy near
    // 100 % is a limit no number of cores moves. The first web process has the worker beside it.
    const webs: { server: ProductProcess; loopFile: string }[] = [];
    const stopAll = () => Promise.all(webs.map((w) => w.server.stop()));
    try {
      for (let i = 0; i < WEB_PROCESSES; i += 1) {
        const loop = eventLoopEnv(fs.mkdtempSync(path.join(os.tmpdir(), 'portal-bench-loop-')));
        const server = await startProduct(
          data.url,
          {
            ...loop.env,
            // BENCH_CPU_PROF=<dir>: a V8 CPU profile of each web process (bench/lib/cpu-profile.mjs).
            ...cpuProfileEnv(loop.env),
            ...(pool ? { PORTAL_DATABASE_POOL_SIZE: pool } : {}),
          },
          undefined,
          { worker: i === 0, build: build as ProductBuild | undefined },
        );
        webs.push({ server, loopFile: loop.file });
      }
    } catch (error) {
      await stopAll();
      throw error;
    }
    const readLoops = () =>
      Promise.all(webs.map((w) => readEventLoop(w.loopFile, w.server.child.pid!)));
    const cpuMs = () => webs.reduce((a, w) => a + productCpuMs(w.server), 0);
    try {
      const N = population.length;
      /** Users spread over the chambers from the first ones on (user u in chamber (u + ⌊u/N⌋) mod N). */
      const chamberOf = (user: number) =>
        N === 1 ? population[0]! : population[(user + Math.floor(user / N)) % N]!;
      /** One user's day: one in ten is staff. Patients read more than they write. */
      const userActions = (user: number): (() => Action)[] => {
        const { chamber } = chamberOf(user);
        if (user % 10 === 0) {
          const patient = () =>
            chamber.patientIds[Math.floor(Math.random() * chamber.patientIds.length)]!;
          return [
            () => ({ method: 'GET', path: '/api/v1/notifications', expect: 200 }),
            () => ({ method: 'GET', path: `/api/v1/patients/${patient()}/feed`, expect: 200 }),
            () => ({
              method: 'POST',
              path: `/api/v1/patients/${patient()}/conversations`,
              body: {
                text: 'Your results are back and normal.',
                shareWithPatient: true,
                roleIds: [chamber.builtInRoleId],
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
      const cookieOf = (user: number) => {
        const c = chamberOf(user);
        return user % 10 === 0
          ? `staff_session=${c.staffTokens[Math.floor(user / 10) % c.staffTokens.length]}`
          : `portal_session=${c.patientTokens[Math.floor(user / N) % c.patientTokens.length]}`;
      };

      const sampler = await lockWaitSampler(data.url);
      const steps: Step[] = [];
      let users = START_USERS;
      let held = 0;
      try {
        for (let s = 0; s < MAX_STEPS && users <= MAX_USERS; s += 1) {
          const pools = webs.map(
            (w) =>
              new Pool(w.server.url, {
                connections: Math.min(Math.ceil(users / webs.length), 512),
                keepAliveTimeout: 30_000,
              }),
          );
          const latencies: number[] = [];
          let errors = 0;
          const started = performance.now();
          const until = started + STEP_SECONDS * 1000;
          const node0 = cpuMs();
          const pg0 = postgresCpuMs();
          const machine0 = machineBusyMs();
          const self0 = process.cpuUsage();
          await readLoops();
          await sampler.measure(() =>
            Promise.all(
              Array.from({ length: users }, async (_, user) => {
                const actions = userActions(user);
                const pool = pools[user % pools.length]!;
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
            ),
          );
          const ms = performance.now() - started;
          const nodeMs = cpuMs() - node0;
          const pgMs = postgresCpuMs() - pg0;
          const machineMs = machineBusyMs() - machine0;
          const self = process.cpuUsage(self0);
          const loops = await readLoops();
          await Promise.all(pools.map((p) => p.close()));
          const waits = sampler.take();
          const avg = latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length);
          const p99 = percentile(latencies, 99);
          const errorRate = errors / Math.max(1, latencies.length);
          const step: Step = {
            users,
            rps: latencies.length / (ms / 1000),
            avg,
            p99,
            errorRate,
            cpu: (nodeMs + pgMs) / ms,
            node: nodeMs / ms,
            machine: machineMs / ms,
            generator: (self.user + self.system) / 1000 / ms,
            lockShare: lockShare(waits),
            lockText: lockWaitText(waits),
            loops,
          };
          steps.push(step);
          log(
            `${label}, ${users} users: ${step.rps.toFixed(0)} requests/s, avg ${avg.toFixed(1)} ms, p99 ${p99.toFixed(0)} ms, errors ${(errorRate * 100).toFixed(3)} %, cores busy ${step.cpu.toFixed(2)} (machine ${step.machine.toFixed(2)}), ${loopText(loops)}, ${step.lockText}`,
          );
          if (avg > LIMITS.avg || p99 > LIMITS.p99 || errorRate > LIMITS.errorRate) break;
          held = users;
          users = Math.round(users * 1.5);
        }
      } finally {
        await sampler.close();
      }
      for (const { server } of webs)
        if (server.child.exitCode !== null || server.child.signalCode !== null)
          throw new Error(
            `${label}: a web process stopped during the ramp: ${server.log().slice(-3000)}`,
          );
      const worker = webs[0]!.server.worker;
      return {
        label,
        steps,
        held,
        peakRssMb: webs.map((w) => memoryMb(w.server.child.pid!).peak),
        workerPeakRssMb: worker ? memoryMb(worker.child.pid!).peak : 0,
      };
    } finally {
      await stopAll();
    }
  } finally {
    await data.drop();
  }
}

/** "the web processes' event loops busy 54 % and 51 % (timers late p99 12 and 11 ms)". */
const loopText = (loops: EventLoopFigures[]) =>
  `the web process${loops.length > 1 ? "es' event loops" : "'s event loop"} busy ${loops.map((l) => `${(l.utilization * 100).toFixed(0)} %`).join(' and ')} (timers late p99 ${loops.map((l) => l.delayP99.toFixed(0)).join(' and ')} ms)`;

const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** The step a side held last (its knee), if it held any. */
const kneeOf = (side: SideResult) => side.steps.find((s) => s.users === side.held);

/**
 * Runs the mixed-users ramp on the build before issue 18 and on this build, one after the
 * other, and writes one report with both (`id`: mixed, mixed-50).
 */
export async function mixedScenario(options: {
  id: string;
  scenario: string;
  chambers: number;
}): Promise<void> {
  const argChambers = process.argv.find((a) => a.startsWith('--chambers='));
  const chambers = argChambers ? Number(argChambers.split('=')[1]) : options.chambers;
  const ref = process.env.BENCH_BASELINE_REF ?? DEFAULT_BASELINE_REF;
  const sides: SideResult[] = [];
  let baseline: RefBuild | undefined;
  try {
    if (ref && ref !== 'none') {
      baseline = await buildAtRef(ref, `${ref} (the build before issue 18)`, log);
      sides.push(await rampOn(baseline.label, chambers, baseline));
    }
    sides.push(await rampOn('this build', chambers, undefined));
  } finally {
    await baseline?.remove();
  }

  const where =
    chambers === 1
      ? 'one chamber'
      : `${chambers} chambers (the same users spread over them: user u in chamber (u + ⌊u/${chambers}⌋) mod ${chambers})`;
  const old = sides.length > 1 ? sides[0]! : undefined;
  const now = sides[sides.length - 1]!;
  const knee = (s: SideResult) => {
    const k = kneeOf(s);
    return k
      ? `${s.label}: ${s.held.toLocaleString('en-GB')} users held; at the knee ${fmt(k.rps)} requests/s, avg ${fmt(k.avg)} ms, p99 ${fmt(k.p99)} ms, cores busy ${k.cpu.toFixed(2)} (Node: web + worker ${k.node.toFixed(2)}; the whole machine ${k.machine.toFixed(2)}, of which the load generator ${k.generator.toFixed(2)}), ${loopText(k.loops)}, ${k.lockText}`
      : `${s.label}: no step held (the first, ${START_USERS} users, passed the limits)`;
  };
  const ratio = old && old.held ? now.held / old.held : undefined;
  const nowKnee = kneeOf(now);
  const usersMet = ratio === undefined ? undefined : ratio >= 2;
  const coresMet = nowKnee ? nowKnee.cpu >= 1.8 : false;
  writeReport({
    id: options.id,
    title: `Mixed users, ramped, ${chambers === 1 ? 'one chamber' : `${chambers} chambers`}: this build against the build before issue 18`,
    command: `npm run bench -- ${options.scenario}${bench.quick ? ' --quick' : ''}`,
    baseline: old
      ? `the same ramp on ${old.label}, from a git worktree, in the same run just before (BENCH_BASELINE_REF)`
      : 'none (BENCH_BASELINE_REF=none: this build only)',
    target:
      'users held (average ≤ 100 ms, p99 ≤ 2 s, errors ≤ 0.025 %) ≥ 2 × those of the build before this issue; at the knee ≥ 1.8 of 2 cores busy; backends waiting on a lock ≤ 10 %',
    table: {
      head: [
        'build',
        'active users',
        'requests/s',
        'avg ms',
        'p99 ms',
        'errors',
        'cores busy (Node web + worker + PostgreSQL)',
        'of which Node',
        'whole machine',
        'web event loops busy',
        'backends waiting on a lock',
      ],
      rows: sides.flatMap((side) =>
        side.steps.map((s) => [
          side === old ? ref : 'this build',
          s.users,
          s.rps,
          s.avg,
          s.p99,
          `${(s.errorRate * 100).toFixed(3)} %`,
          s.cpu,
          s.node,
          s.machine,
          s.loops.map((l) => `${(l.utilization * 100).toFixed(0)} %`).join(', '),
          `${(s.lockShare * 100).toFixed(1)} %`,
        ]),
      ),
    },
    verdict: [
      old
        ? `users held: ${old.held.toLocaleString('en-GB')} before, ${now.held.toLocaleString('en-GB')} now (× ${ratio === undefined ? '–' : ratio.toFixed(2)}): ${usersMet ? 'met' : 'missed'}`
        : `users held: ${now.held.toLocaleString('en-GB')} (no earlier build measured)`,
      nowKnee
        ? `cores busy at the knee ${nowKnee.cpu.toFixed(2)}: ${coresMet ? 'met' : 'missed'}; backends waiting on a lock ${(nowKnee.lockShare * 100).toFixed(1)} %: ${nowKnee.lockShare <= 0.1 ? 'met' : 'missed'}`
        : 'no step held',
      now.held === now.steps[now.steps.length - 1]?.users
        ? 'the ramp ended before the limits were passed (the most this run tried)'
        : '',
    ]
      .filter(Boolean)
      .join('; '),
    notes: [
      `Each user acts about once a second (think time 0.5–1.5 s). Nine in ten are patients (Inbox, Inbox, send a message, in turn); one in ten is staff (notifications, a patient's Feed, a message to a patient and the built-in role, in turn), in ${where}.`,
      `${bench.size.patients.toLocaleString('en-GB')} patients and ${bench.size.messages.toLocaleString('en-GB')} messages${chambers > 1 ? ` (${Math.floor(bench.size.patients / chambers).toLocaleString('en-GB')} and ${Math.floor(bench.size.messages / chambers).toLocaleString('en-GB')} per chamber)` : ''}; steps of ${STEP_SECONDS} s from ${START_USERS} users, ×1.5 users each step, the same steps and limits on each side; the knee is the last step held.`,
      `Each side runs on a fresh copy of the data set migrated by its own build, as ${WEB_PROCESSES === 1 ? 'its own web process (pool of 10)' : `${WEB_PROCESSES} web processes of its own (\`--role=web\`, a pool of 10 connections each; user u on process u mod ${WEB_PROCESSES}, as a round-robin proxy would spread them)`} with a worker process (\`--role=worker\`) beside ${WEB_PROCESSES === 1 ? 'it' : 'them'}, started from that build’s own bundle; the earlier build runs first. Cores busy = CPU of the web and worker processes and of every PostgreSQL process over the step; the whole machine from /proc/stat (the load generator in this process included).`,
      ...sides.map(knee),
      ...sides.flatMap((s) => {
        const past = s.steps.find((x) => x.users > s.held);
        return past
          ? [
              `${s.label}, the step past the knee (${past.users.toLocaleString('en-GB')} users): ${fmt(past.rps)} requests/s, avg ${fmt(past.avg)} ms, p99 ${fmt(past.p99)} ms, errors ${(past.errorRate * 100).toFixed(3)} %, cores busy ${past.cpu.toFixed(2)}, ${loopText(past.loops)}, ${past.lockText}`,
            ]
          : [];
      }),
      ...sides.map(
        (s) =>
          `${s.label}: peak RSS of the web process${s.peakRssMb.length > 1 ? 'es' : ''} ${s.peakRssMb.map((m) => m.toFixed(0)).join(' and ')} MB, of the worker ${s.workerPeakRssMb.toFixed(0)} MB.`,
      ),
    ],
    quick: bench.quick,
  });
}
