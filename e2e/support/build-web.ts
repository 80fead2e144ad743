import { execFileSync } from 'node:child_process';

/** Builds both web apps once before the browser journeys, so they test what users get. */
export default function setup(): void {
  execFileSync('npx', ['vite', 'build', '--logLevel', 'error'], { stdio: 'inherit' });
}
