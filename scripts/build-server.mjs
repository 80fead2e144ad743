// Builds the server into dist/server/main.js (and the chunks it imports at first use, beside
// it), which `npm start` runs: faster to start and lighter in memory than compiling the
// TypeScript sources on the fly with tsx. Packages that load files of their own at run time
// (PGlite's WebAssembly, argon2's native binding) stay in node_modules; everything else is
// bundled, so a cold start reads a few files instead of hundreds. The migrations are copied
// next to the bundle, where the server looks for them.
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
// `--out <folder>` (inside the project, so the bundle finds node_modules): the test suites build
// a copy of their own there, away from the dist/server that built-server.test.ts rebuilds.
const outArg = process.argv.indexOf('--out');
const out =
  outArg > 0 ? path.resolve(root, process.argv[outArg + 1]) : path.join(root, 'dist', 'server');
if (path.relative(root, out).startsWith('..')) throw new Error('--out must be inside the project');

fs.rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: [path.join(root, 'server', 'main.ts')],
  outdir: out,
  // What is imported with import() at first use (the worker and its mail transport, WebAuthn,
  // the password-strength dictionaries, …) goes to chunks of its own that a process loads only
  // when it gets there: left in main.js, V8 would hold its source text in every web process.
  // The chunks sit beside main.js, so import.meta.url finds the migrations and web/dist from
  // any of them.
  splitting: true,
  chunkNames: '[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Whitespace and comments out: V8 keeps the whole source of a script in memory, as two bytes a
  // character as soon as one comment holds a non-Latin-1 one. Names are not minified, so stack
  // traces and log names stay readable (and the source map maps them back).
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  // `npm start` maps stack traces (--enable-source-maps), and Node holds the maps in memory:
  // without the sources' text in them they weigh a third (some 20 MB less), and the traces
  // still name the original file and line.
  sourcesContent: false,
  // The AWS SDK is loaded only when documents go to a bucket (import() in
  // document-s3.store.ts): left out, it is not parsed at every start (issue 18: start-up memory).
  external: ['@electric-sql/pglite', '@node-rs/argon2', 'pg-native', '@aws-sdk/*'],
  // Bundled CommonJS packages still call require() for Node's own modules.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
fs.cpSync(path.join(root, 'server', 'db', 'migrations'), path.join(out, 'migrations'), {
  recursive: true,
});
