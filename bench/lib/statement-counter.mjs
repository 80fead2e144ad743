// Preloaded into a product process by a benchmark (NODE_OPTIONS="--import <this file>", with
// BENCH_STATEMENTS_FILE set): counts the SQL statements the process sends to PostgreSQL, by
// their first words, and writes the running totals to that file (at most every 200 ms) so the
// benchmark can read statements per operation from outside. The product itself never loads it.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const file = process.env.BENCH_STATEMENTS_FILE;
if (file) {
  const require = createRequire(path.join(process.cwd(), 'package.json'));
  const pg = require('pg');
  const counts = { total: 0, byKind: {} };
  let dirty = true;
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (first, ...rest) {
    const text = typeof first === 'string' ? first : (first?.text ?? '');
    const kind = text.slice(0, 200).trim().replace(/\s+/g, ' ').slice(0, 60);
    counts.total += 1;
    counts.byKind[kind] = (counts.byKind[kind] ?? 0) + 1;
    dirty = true;
    return original.call(this, first, ...rest);
  };
  const flush = () => {
    if (!dirty) return;
    dirty = false;
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(counts));
    fs.renameSync(`${file}.tmp`, file);
  };
  setInterval(flush, 200).unref();
  flush();
}
