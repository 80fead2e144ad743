import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `main.js` of the server bundle the deployment test runs, built as `npm run build` does. */
    deployBundle: string;
  }
}

const root = path.resolve(import.meta.dirname, '..', '..', '..');

/**
 * Builds what an operator builds (`npm run build`: the web apps in web/dist, the server
 * bundle), the bundle in a folder of its own two levels down (`dist/deploy-<pid>`), where it
 * finds web/dist as `dist/server/main.js` does, away from the dist/server other suites rebuild.
 */
export default function setup(project: TestProject): () => void {
  execFileSync('npx', ['vite', 'build', '--logLevel', 'error'], { cwd: root, stdio: 'inherit' });
  const out = path.join('dist', `deploy-${process.pid}`);
  execFileSync(process.execPath, ['scripts/build-server.mjs', '--out', out], {
    cwd: root,
    stdio: 'inherit',
  });
  project.provide('deployBundle', path.join(root, out, 'main.js'));
  return () => fs.rmSync(path.join(root, out), { recursive: true, force: true });
}
