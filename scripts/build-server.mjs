// Builds the server into one file, dist/server/main.js, which `npm start` runs: faster to start
// and lighter in memory than compiling the TypeScript sources on the fly with tsx. Packages
// that load files of their own at run time (PGlite's WebAssembly, argon2's native binding) stay
// in node_modules; everything else is bundled, so a cold start reads one file instead of
// hundreds. The migrations are copied next to the bundle, where the server looks for them.
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
  outfile: path.join(out, 'main.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
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
