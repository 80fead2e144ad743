// Preloaded into a product process by a benchmark (NODE_OPTIONS="--import <this file>", with
// BENCH_CPU_PROF_DIR set), since --cpu-prof itself is not allowed in NODE_OPTIONS: records a
// V8 CPU profile from start to exit and writes it as <dir>/<pid>.cpuprofile (open it in Chrome
// DevTools or speedscope). The product itself never loads it.
import fs from 'node:fs';
import inspector from 'node:inspector';
import path from 'node:path';

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  session.post('Profiler.start');
  process.on('exit', () => {
    // A session in the main thread answers synchronously, so this completes before exit.
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
