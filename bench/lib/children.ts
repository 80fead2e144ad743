import type { ChildProcess } from 'node:child_process';

const children = new Set<ChildProcess>();
const lastWords: (() => Promise<unknown>)[] = [];
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  const killAll = () => {
    for (const c of children) c.kill('SIGKILL');
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      // What must not be left behind (e.g. the data set copy), at most 5 s, then out.
      const done = () => process.exit(signal === 'SIGINT' ? 130 : 143);
      setTimeout(done, 5000).unref();
      void Promise.allSettled(lastWords.map((f) => f())).then(done);
    });
  }
}

/**
 * Makes sure a child process (a product or baseline server) does not outlive the benchmark,
 * even when the benchmark dies of an uncaught error or is stopped by SIGINT or SIGTERM (as
 * `npm run bench` does to a scenario that runs too long), before its finally blocks run.
 */
export function killOnExit(child: ChildProcess): void {
  install();
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Cleanup that must also run when the benchmark is stopped by SIGINT or SIGTERM. */
export function onStopSignal(cleanup: () => Promise<unknown>): void {
  install();
  lastWords.push(cleanup);
}
