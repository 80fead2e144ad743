import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SESSION_OPTIONS } from '../../server/db/connect.js';
import type { Statement } from './capture.js';

const run = promisify(execFile);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A value as the product's driver sends it as a text parameter. */
function parameterText(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  if (Array.isArray(value))
    return `{${value.map((v) => (v === null ? 'NULL' : `"${String(v).replace(/["\\]/g, '\\$&')}"`)).join(',')}}`;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** pgbench reads `:name` as a variable, so string literals spell colons as `\x3a`. */
function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = parameterText(value);
  return `E'${text.replace(/\\/g, '\\\\').replace(/'/g, "''").replace(/:/g, '\\x3a')}'`;
}

/** pgbench takes at most 256 arguments a command: longer statements keep their values inline. */
const MAX_VARIABLES = 200;

/**
 * A script line that defines a pgbench variable (`-D`) holding a value the product sent as a
 * parameter; `runPgbench` reads these lines back. pgbench ignores them as SQL comments.
 */
const DEFINE = '-- pgbench-define ';

function defineLine(value: unknown): { name: string; line: string } {
  const text = parameterText(value);
  const name = `c_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
  return { name, line: `${DEFINE}${name} ${Buffer.from(text, 'utf8').toString('base64')}` };
}

/** The `-D name=value` definitions the scripts carry. */
function definitions(scripts: string[]): string[] {
  const defined = new Map<string, string>();
  for (const script of scripts)
    for (const line of script.split('\n'))
      if (line.startsWith(DEFINE)) {
        const [name, encoded] = line.slice(DEFINE.length).split(' ');
        defined.set(name!, Buffer.from(encoded!, 'base64').toString('utf8'));
      }
  return [...defined].flatMap(([name, value]) => ['-D', `${name}=${value}`]);
}

/**
 * The statement without its SQL comments (`-- …` to the end of the line, `/* … *\/`), outside
 * string literals and quoted names: the script puts each statement on one line, where a line
 * comment would swallow the rest of it.
 */
export function withoutComments(text: string): string {
  let out = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i]!;
    if (quote) {
      out += ch;
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end - 1;
      out += ' ';
    } else if (ch === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
      out += ' ';
    } else out += ch;
  }
  return out;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
/** PostgreSQL sends bigints back as strings: a returned "42" is the 42 sent later. */
const valueKey = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));

/**
 * Turns the statements one request sent into a pgbench script that sends exactly the same SQL
 * with the same values, as parameters where the product sent parameters (so that PostgreSQL
 * plans them as it plans the product's: a value written into the SQL would let it plan a
 * prepared statement once, where the product's may be planned for its values on every run),
 * except values that must be new each time: ids and keys the handler
 * made (new per transaction, from `:client_id` and a random number, made by one extra
 * `select` at the start), and values read back from an earlier statement (kept with `\gset`).
 * JSON values (stored answers, audit details) are sent as first recorded. `twice` is a second
 * recording of the same request, which tells the values that change from the ones that do not.
 */
export function pgbenchScript(
  first: Statement[],
  twice: Statement[],
  /**
   * When given, a value the request sent that is not new each time (an id or key the handler
   * made) nor read back from an earlier statement becomes the variable `:s<statement>_<n>`,
   * named by its place, and its value goes in here: the scripts of requests that differ only in
   * their values are then the same text (`pgbenchScriptOfSubjects`).
   */
  subject?: Map<string, string>,
): string {
  if (first.length !== twice.length)
    throw new Error(`the two recordings differ: ${first.length} and ${twice.length} statements`);
  const lines = ['\\set r random(1, 1000000000000)'];
  const defines = new Set<string>();
  const gsets = new Map<number, string>();
  const fromResults = new Map<string, string>();
  const fresh = new Map<string, string>();
  const generators: string[] = [];
  const rendered: string[] = [];
  first.forEach((statement, i) => {
    const other = twice[i]!;
    if (statement.text !== other.text)
      throw new Error(`statement ${i + 1} differs between the recordings`);
    const inline = (statement.text.match(/\$\d+/g) ?? []).length > MAX_VARIABLES;
    const text = withoutComments(statement.text)
      .trim()
      .replace(/\s+/g, ' ')
      .replace(/\$(\d+)/g, (_, n: string) => {
        const k = Number(n) - 1;
        const value = statement.values[k];
        // A value sent as first recorded: written into the SQL, or with `subject` a variable
        // named by its place (null and statements with too many values stay written in).
        const asRecorded = () => {
          if (!subject || value === null || value === undefined || inline) return literal(value);
          const name = `s${i + 1}_${n}`;
          subject.set(name, parameterText(value));
          return `:${name}`;
        };
        if (same(value, other.values[k])) {
          if (subject || value === null || value === undefined || inline) return asRecorded();
          const { name, line } = defineLine(value);
          defines.add(line);
          return `:${name}`;
        }
        const key = valueKey(value);
        const known = fromResults.get(key);
        if (known) return `:${known}`;
        if (value instanceof Date) return asRecorded();
        if (typeof value === 'string' && !UUID.test(value) && !Number.isNaN(Date.parse(value)))
          return asRecorded();
        if (typeof value === 'string' && /^[[{]/.test(value)) return asRecorded();
        if (typeof value === 'string') {
          // A new id or key: made by the generator line below, sent as a parameter as the
          // product sends it (untyped, so PostgreSQL infers the type the same way).
          if (!fresh.has(key)) {
            const n = fresh.size + 1;
            fresh.set(key, `f${n}`);
            generators.push(
              UUID.test(value)
                ? `md5(:client_id || '-' || :r || '-${n}')::uuid::text as f${n}`
                : `'k' || :client_id || '-' || :r || '-${n}' as f${n}`,
            );
          }
          return `:${fresh.get(key)!}`;
        }
        return asRecorded();
      });
    rendered.push(text);
    // Values this statement returns that later statements send back: keep them in variables.
    if (statement.rows.length === 1) {
      for (const [column, value] of Object.entries(statement.rows[0]!)) {
        const key = valueKey(value);
        if (value === null || fromResults.has(key)) continue;
        const used = first
          .slice(i + 1)
          .some((s) => s.values.some((v) => v !== null && valueKey(v) === key));
        if (!used) continue;
        const prefix = `g${i + 1}_`;
        gsets.set(i, prefix);
        fromResults.set(key, `${prefix}${column}`);
      }
    }
  });
  // pgbench cannot make a uuid or a string by itself: one statement makes the transaction's new
  // values. It is the only statement the product does not send (its ids are made in Node).
  if (generators.length) lines.push(`select ${generators.join(', ')}\n\\gset`);
  rendered.forEach((text, i) => {
    lines.push(gsets.has(i) ? `${text}\n\\gset ${gsets.get(i)}` : `${text};`);
  });
  return `${[...defines, ...lines].join('\n')}\n`;
}

/**
 * One script for the requests of several subjects (patients, staff users) whose SQL differs
 * only in its values, as the product's does: the product prepares each statement once per
 * connection, whoever the request is for, and so should the replay. (One script per subject,
 * as before, had each pgbench connection prepare every subject's statements: in a 10 s round
 * most runs were then among a statement's first five, planned for their values, a cost the
 * product does not pay.) Each subject's values go in a table of the database,
 * `table`; the script starts by reading one subject's row at random into its variables. When
 * the subjects' scripts differ in more than their values, one script per subject, as before.
 */
export function pgbenchScriptOfSubjects(
  recordings: { first: Statement[]; twice: Statement[] }[],
  table: string,
): { scripts: string[]; subjects?: { columns: string[]; rows: string[][] } } {
  const perSubject = () => recordings.map((r) => pgbenchScript(r.first, r.twice));
  if (recordings.length < 2) return { scripts: perSubject() };
  const values = recordings.map(() => new Map<string, string>());
  const texts = recordings.map((r, i) => pgbenchScript(r.first, r.twice, values[i]));
  const columns = [...values[0]!.keys()];
  const alike =
    texts.every((t) => t === texts[0]) &&
    values.every((v) => v.size === columns.length && columns.every((c) => v.has(c)));
  if (!alike || columns.length === 0) return { scripts: perSubject() };
  const [set, ...rest] = texts[0]!.split('\n');
  const script = [
    set!,
    `\\set subject random(1, ${recordings.length})`,
    `select ${columns.join(', ')} from ${table} where subject = :subject`,
    '\\gset',
    ...rest,
  ].join('\n');
  return {
    scripts: [script],
    subjects: { columns, rows: values.map((v) => columns.map((c) => v.get(c)!)) },
  };
}

export interface PgbenchResult {
  transactions: number;
  seconds: number;
  failed: number;
  /** Latency of each transaction, in ms. */
  latencies: number[];
}

/** Runs pgbench with the given scripts (one picked at random per transaction). */
export async function runPgbench(options: {
  url: string;
  scripts: string[];
  clients: number;
  seconds: number;
  rate?: number;
}): Promise<PgbenchResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-pgbench-'));
  try {
    const files = options.scripts.map((s, i) => {
      const file = path.join(dir, `script${i}.sql`);
      fs.writeFileSync(file, s);
      return file;
    });
    const u = new URL(options.url);
    const args = [
      '-n',
      '-M',
      'prepared',
      '-c',
      String(options.clients),
      '-j',
      String(Math.min(2, options.clients)),
      '-T',
      String(options.seconds),
      '-l',
      '--log-prefix',
      path.join(dir, 'log'),
      ...(options.rate ? ['-R', String(options.rate)] : []),
      ...files.flatMap((f) => ['-f', f]),
      ...definitions(options.scripts),
      '-h',
      u.hostname,
      '-p',
      u.port || '5432',
      '-U',
      decodeURIComponent(u.username),
      u.pathname.slice(1),
    ];
    const started = process.hrtime.bigint();
    const { stdout } = await run('pgbench', args, {
      // The product's session settings (server/db/connect.ts), for the same plans.
      env: {
        ...process.env,
        PGPASSWORD: decodeURIComponent(u.password),
        PGOPTIONS: SESSION_OPTIONS,
      },
      maxBuffer: 16 * 1024 * 1024,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const latencies: number[] = [];
    let failed = 0;
    for (const f of fs.readdirSync(dir).filter((f) => f.startsWith('log'))) {
      for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
        const parts = line.split(' ');
        if (parts.length < 6) continue;
        if (parts[2] === 'failed' || parts[2] === 'skipped') failed += 1;
        else latencies.push(Number(parts[2]) / 1000);
      }
    }
    const processed = /number of transactions actually processed: (\d+)/.exec(stdout);
    const failedLine = /number of failed transactions: (\d+)/.exec(stdout);
    return {
      transactions: processed ? Number(processed[1]) : latencies.length,
      seconds: Math.min(seconds, options.seconds),
      failed: Math.max(failed, failedLine ? Number(failedLine[1]) : 0),
      latencies,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
