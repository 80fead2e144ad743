import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_SIZE, QUICK_SIZE, type DatasetSize } from './dataset.js';
import { median, percentile } from './measure.js';

export const root = path.resolve(import.meta.dirname, '..', '..');
export const resultsDir = path.join(root, 'bench', 'results');

/** Command-line switches shared by every scenario. */
export interface BenchOptions {
  quick: boolean;
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  size: DatasetSize;
}

export function parseOptions(argv = process.argv.slice(2)): BenchOptions {
  const quick = argv.includes('--quick');
  const num = (name: string, fallback: number) => {
    const arg = argv.find((a) => a.startsWith(`--${name}=`));
    return arg ? Number(arg.split('=')[1]) : fallback;
  };
  return {
    quick,
    rounds: num('rounds', quick ? 2 : 3),
    seconds: num('seconds', quick ? 2 : 10),
    warmupSeconds: num('warmup', quick ? 1 : 3),
    size: {
      patients: num('patients', (quick ? QUICK_SIZE : DEFAULT_SIZE).patients),
      messages: num('messages', (quick ? QUICK_SIZE : DEFAULT_SIZE).messages),
    },
  };
}

/** What one side (baseline or product) did in one round. */
export interface Side {
  ops: number;
  errors: number;
  seconds: number;
  latencies: number[];
  /** CPU ms used during the round, by process group. */
  cpu: Record<string, number>;
  /** Peak resident memory of the product process, when it is one. */
  peakRssMb?: number;
  /** Which load generator drove the product's side. */
  generator?: 'wrk' | 'node';
}

export interface Rounds {
  baseline: Side[];
  product: Side[];
}

export const log = (s: string) => console.log(`[bench] ${s}`);

/** Warm-up, then baseline and product alternately, `rounds` times each. */
export async function alternate(
  options: BenchOptions,
  baseline: (seconds: number) => Promise<Side>,
  product: (seconds: number) => Promise<Side>,
): Promise<Rounds> {
  log(`warm-up ${options.warmupSeconds} s each`);
  await baseline(options.warmupSeconds);
  await product(options.warmupSeconds);
  const out: Rounds = { baseline: [], product: [] };
  for (let i = 0; i < options.rounds; i += 1) {
    const b = await baseline(options.seconds);
    out.baseline.push(b);
    const p = await product(options.seconds);
    out.product.push(p);
    log(
      `round ${i + 1}: baseline ${rate(b).toFixed(0)}/s, product ${rate(p).toFixed(0)}/s (ratio ${(rate(p) / rate(b)).toFixed(2)})`,
    );
  }
  return out;
}

export const rate = (s: Side) => s.ops / s.seconds;

export interface SideSummary {
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  errorRate: number;
  cpuMsPerOp: Record<string, number>;
}

export function summarizeSides(sides: Side[]): SideSummary {
  const latencies = sides.flatMap((s) => s.latencies);
  const ops = sides.reduce((a, s) => a + s.ops, 0);
  const errors = sides.reduce((a, s) => a + s.errors, 0);
  const cpu: Record<string, number> = {};
  for (const s of sides)
    for (const [k, v] of Object.entries(s.cpu)) cpu[k] = (cpu[k] ?? 0) + v / Math.max(1, ops);
  return {
    perSecond: median(sides.map(rate)),
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    errorRate: errors / Math.max(1, ops + errors),
    cpuMsPerOp: cpu,
  };
}

export interface Ratio {
  median: number;
  min: number;
  max: number;
}

export function ratio(r: Rounds): Ratio {
  const ratios = r.product.map((p, i) => rate(p) / rate(r.baseline[i]!));
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

/** A scenario's findings, written to bench/results/<id>.json and then into BENCHMARKS.md. */
export interface Report {
  id: string;
  title: string;
  command: string;
  baseline: string;
  target: string;
  /** Rows of a table: first column the label. */
  table: { head: string[]; rows: (string | number)[][] };
  verdict: string;
  notes: string[];
  measuredAt: string;
  quick: boolean;
}

export function writeReport(report: Omit<Report, 'measuredAt'>): Report {
  const full = { ...report, measuredAt: new Date().toISOString() };
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(path.join(resultsDir, `${report.id}.json`), JSON.stringify(full, null, 2));
  console.log(renderReport(full));
  return full;
}

const fmt = (v: string | number) =>
  typeof v === 'number'
    ? Number.isInteger(v)
      ? v.toLocaleString('en-GB')
      : v >= 100
        ? v.toFixed(0)
        : v >= 10
          ? v.toFixed(1)
          : v.toFixed(2)
    : v;

export function renderReport(r: Report): string {
  const lines = [
    `### ${r.title}`,
    '',
    `Command: \`${r.command}\`${r.quick ? ' (quick mode: figures are indicative only)' : ''}. Measured ${r.measuredAt.slice(0, 16).replace('T', ' ')} UTC.`,
    '',
    `Baseline: ${r.baseline}. Target: ${r.target}.`,
    '',
    `| ${r.table.head.join(' | ')} |`,
    `| ${r.table.head.map(() => '---').join(' | ')} |`,
    ...r.table.rows.map((row) => `| ${row.map(fmt).join(' | ')} |`),
    '',
    `**${r.verdict}**`,
  ];
  if (r.notes.length) lines.push('', ...r.notes.map((n) => `- ${n}`));
  return `${lines.join('\n')}\n`;
}

/** The columns of `sideRows` with the Node and PostgreSQL CPU keys. */
export const SIDE_HEAD = [
  'side',
  'per second',
  'p50 ms',
  'p95 ms',
  'p99 ms',
  'errors',
  'CPU ms/op Node',
  'CPU ms/op PostgreSQL',
];

/** The rows every throughput scenario shows for its two sides. */
export function sideRows(label: string, s: SideSummary, cpuKeys: string[]): (string | number)[] {
  return [
    label,
    s.perSecond,
    s.p50,
    s.p95,
    s.p99,
    `${(s.errorRate * 100).toFixed(3)} %`,
    ...cpuKeys.map((k) => (s.cpuMsPerOp[k] === undefined ? '–' : s.cpuMsPerOp[k]!)),
  ];
}

export function ratioText(r: Ratio): string {
  return `${r.median.toFixed(2)} (spread ${r.min.toFixed(2)}–${r.max.toFixed(2)})`;
}

/** What the machine is, for BENCHMARKS.md. */
export function machineFacts(): string {
  const cpus = os.cpus();
  const pgVersion = (() => {
    try {
      return execFileSync('pgbench', ['--version'], { encoding: 'utf8' }).trim();
    } catch {
      return 'pgbench not found';
    }
  })();
  return [
    `${cpus.length} × ${cpus[0]?.model ?? 'CPU'}`,
    `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB memory`,
    `${os.type()} ${os.release()}`,
    `Node.js ${process.version}`,
    pgVersion.replace('pgbench (PostgreSQL)', 'PostgreSQL'),
  ].join(', ');
}
