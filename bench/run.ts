import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ensureLocalPostgres } from '../server/test/global-setup.js';
import { DEFAULT_BENCH_URL, postgresDataset } from './lib/dataset.js';
import {
  log,
  machineFacts,
  parseOptions,
  renderReport,
  resultsDir,
  root,
  type Report,
} from './lib/scenario.js';

// `npm run bench [-- <scenario>...] [--quick]`: runs the scenarios one after another, each in
// a process of its own, on one copy of the data set, then writes their figures into
// BENCHMARKS.md between the "results" markers.

export const SCENARIOS = [
  'send',
  'read',
  'inbox',
  'reports',
  'search',
  'live',
  'idle',
  'embedded',
  'cold-start',
  'sign-in',
  'email',
  'mixed',
  'mixed-50',
] as const;

/** Minutes a scenario may take before it is stopped; the mixed ramps run two builds each. */
const TIMEOUT_MINUTES: Partial<Record<(typeof SCENARIOS)[number], number>> = {
  mixed: 30,
  'mixed-50': 40,
};

const argv = process.argv.slice(2);
const options = parseOptions(argv);
const chosen = argv.filter((a) => !a.startsWith('--'));
const unknown = chosen.filter((c) => !(SCENARIOS as readonly string[]).includes(c));
if (unknown.length) {
  console.error(`Unknown scenario ${unknown.join(', ')}; choose from ${SCENARIOS.join(', ')}.`);
  process.exit(2);
}
const scenarios = chosen.length ? chosen : [...SCENARIOS];
const flags = argv.filter((a) => a.startsWith('--'));

await ensureLocalPostgres(DEFAULT_BENCH_URL, Boolean(process.env.BENCH_DATABASE_URL));
const started = Date.now();
// The mixed ramps make fresh copies of their own (one per build): the shared copy is for the rest.
const data = scenarios.some((s) => !s.startsWith('mixed'))
  ? await postgresDataset(options.size, log)
  : { url: '', drop: async () => undefined };
const failed: string[] = [];
try {
  for (const scenario of scenarios) {
    log(`scenario ${scenario}`);
    const t0 = Date.now();
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join('bench', `${scenario}.ts`), ...flags],
      {
        cwd: root,
        stdio: 'inherit',
        env: {
          ...process.env,
          BENCH_RUN_DATABASE_URL: data.url,
          BENCH_RUN_SIZE: `${options.size.patients}/${options.size.messages}`,
        },
        timeout: (TIMEOUT_MINUTES[scenario as (typeof SCENARIOS)[number]] ?? 10) * 60_000,
      },
    );
    log(`scenario ${scenario}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    if (result.status !== 0) failed.push(scenario);
  }
} finally {
  await data.drop();
}

const reports: Report[] = fs.existsSync(resultsDir)
  ? fs
      .readdirSync(resultsDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(fs.readFileSync(path.join(resultsDir, f), 'utf8')) as Report)
  : [];
const order = (r: Report) => {
  const i = SCENARIOS.findIndex((s) => r.id === s || r.id.startsWith(`${s}-`));
  return i < 0 ? SCENARIOS.length : i;
};
reports.sort((a, b) => order(a) - order(b) || a.id.localeCompare(b.id));

const file = path.join(root, 'BENCHMARKS.md');
const begin = '<!-- results: written by `npm run bench`; edit outside these markers -->';
const end = '<!-- end of results -->';
const section = [
  begin,
  '',
  `Machine: ${machineFacts()}.`,
  `Last run: \`npm run bench${flags.length || chosen.length ? ` -- ${[...chosen, ...flags].join(' ')}` : ''}\`, ${((Date.now() - started) / 60_000).toFixed(1)} minutes, data set ${options.size.patients.toLocaleString('en-GB')} patients and ${options.size.messages.toLocaleString('en-GB')} messages.`,
  '',
  ...reports.map(renderReport),
  end,
].join('\n');
const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n\n';
const at = current.indexOf(begin);
const next =
  at >= 0
    ? current.slice(0, at) + section + current.slice(current.indexOf(end) + end.length)
    : `${current.trimEnd()}\n\n## Results\n\n${section}\n`;
fs.writeFileSync(file, next);
// The same layout as every other file of the repository (tables aligned), so lint stays green.
spawnSync(
  process.execPath,
  [path.join(root, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--write', file],
  {
    cwd: root,
    stdio: 'ignore',
  },
);
log(`BENCHMARKS.md updated; ${((Date.now() - started) / 60_000).toFixed(1)} minutes in all`);
if (failed.length) {
  console.error(`Failed: ${failed.join(', ')}`);
  process.exit(1);
}
