import { verify } from '@node-rs/argon2';

// The sign-in benchmark's baseline: a bare Node process verifying one argon2id hash (the PHC
// string carries the parameters, so they are the product's) in a closed loop at a given
// concurrency, with nothing else around it. Prints one JSON line: ops, errors, seconds, the
// latency of each verification (ms) and the CPU this process used while looping (ms).
//
//   node --import tsx bench/baselines/argon2-loop.ts '{"hash":"$argon2id$...","password":"...",
//     "concurrency":8,"seconds":10}'

interface Args {
  hash: string;
  password: string;
  concurrency: number;
  seconds: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
if (!args.hash || !args.password || !(args.concurrency > 0) || !(args.seconds > 0)) {
  console.error('usage: argon2-loop.ts \'{"hash","password","concurrency","seconds"}\'');
  process.exit(2);
}

const latencies: number[] = [];
let errors = 0;
const cpu0 = process.cpuUsage();
const started = performance.now();
const until = started + args.seconds * 1000;
await Promise.all(
  Array.from({ length: args.concurrency }, async () => {
    while (performance.now() < until) {
      const t = performance.now();
      const ok = await verify(args.hash, args.password).catch(() => false);
      latencies.push(performance.now() - t);
      if (!ok) errors += 1;
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  `${JSON.stringify({
    ops: latencies.length - errors,
    errors,
    seconds,
    latencies,
    cpuMs: (cpu.user + cpu.system) / 1000,
  })}\n`,
);
