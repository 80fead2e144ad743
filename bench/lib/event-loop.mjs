// Preloaded into a product process by a benchmark (NODE_OPTIONS="--import <this file>", with
// BENCH_EVENT_LOOP_FILE set): measures how busy the process's event loop is and how late its
// timers run, and writes the figures since the last reading to that file when the process gets
// SIGUSR2 (so that reading them costs the process nothing while it is measured). A process whose
// loop is busy near 100 % cannot answer faster whatever the cores left. The product itself
// never loads it.
import fs from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

const file = process.env.BENCH_EVENT_LOOP_FILE;
if (file) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let last = performance.eventLoopUtilization();
  process.on('SIGUSR2', () => {
    const now = performance.eventLoopUtilization();
    const since = performance.eventLoopUtilization(now, last);
    last = now;
    const ms = (ns) => ns / 1e6;
    const figures = { utilization: since.utilization, delayP99: ms(delay.percentile(99)) };
    delay.reset();
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(figures));
    fs.renameSync(`${file}.tmp`, file);
  });
}
