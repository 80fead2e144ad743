// Preloaded into a product process by a benchmark (NODE_OPTIONS="--import <this file>", with
// BENCH_STATEMENTS_FILE set): counts the SQL statements the process sends to PostgreSQL, by
// their first words, and writes the running totals to that file when the process gets SIGUSR2
// (so that reading them costs the process nothing while it is being measured). The product
// itself never loads it.
//
// It watches the wire, not a library: every write to a socket connected to PostgreSQL's port
// is read as frontend protocol messages, and each simple Query ('Q') or Execute ('E') is one
// statement (its text from the Query, or from the Parse ('P') of the statement its Bind ('B')
// named: a named prepared statement is parsed once per connection and bound many times). That works
// whatever bundles or wraps the driver (the server runs as one esbuild bundle).
import fs from 'node:fs';
import net from 'node:net';

const file = process.env.BENCH_STATEMENTS_FILE;
if (file) {
  const port = Number(new URL(process.env.DATABASE_URL ?? 'postgres://x@127.0.0.1').port || 5432);
  const counts = { total: 0, byKind: {} };
  /** Per socket: the text of each statement it parsed (by name; '' is the unnamed one), and
   *  the text of the statement bound to its portal last, which the next Execute runs. */
  const sockets = new WeakMap();
  const stateOf = (socket) => {
    let state = sockets.get(socket);
    if (!state) {
      state = { statements: new Map(), bound: undefined };
      sockets.set(socket, state);
    }
    return state;
  };
  const kindOf = (text) => text.slice(0, 200).trim().replace(/\s+/g, ' ').slice(0, 60);
  const count = (text) => {
    const kind = kindOf(text);
    counts.total += 1;
    counts.byKind[kind] = (counts.byKind[kind] ?? 0) + 1;
  };
  const cstring = (buf, at) => {
    const end = buf.indexOf(0, at);
    return [buf.toString('utf8', at, end < 0 ? buf.length : end), end + 1];
  };
  const scan = (socket, buf) => {
    let at = 0;
    while (at + 5 <= buf.length) {
      const type = String.fromCharCode(buf[at]);
      const length = buf.readInt32BE(at + 1);
      if (length < 4 || !/[A-Za-z]/.test(type)) return; // a startup or SSL request
      const body = at + 5;
      if (type === 'Q') count(cstring(buf, body)[0]);
      else if (type === 'P') {
        const [name, next] = cstring(buf, body);
        stateOf(socket).statements.set(name, cstring(buf, next)[0]);
      } else if (type === 'B') {
        const [, next] = cstring(buf, body); // portal name
        const state = stateOf(socket);
        state.bound = state.statements.get(cstring(buf, next)[0]);
      } else if (type === 'E') count(stateOf(socket).bound ?? '(prepared statement)');
      at += 1 + length;
    }
  };
  const original = net.Socket.prototype.write;
  net.Socket.prototype.write = function (chunk, ...rest) {
    if (this.remotePort === port && Buffer.isBuffer(chunk)) {
      try {
        scan(this, chunk);
      } catch {
        // Counting must never break the product.
      }
    }
    return original.call(this, chunk, ...rest);
  };
  process.on('SIGUSR2', () => {
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(counts));
    fs.renameSync(`${file}.tmp`, file);
  });
}
