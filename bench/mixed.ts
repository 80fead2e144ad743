import { mixedScenario } from './lib/mixed-ramp.js';

// Mixed users on one chamber (one bench chamber holds every generated patient and message, as
// generateChambers writes it for any number: SQL only, so that both builds can migrate a copy),
// ramped until the limits pass, on the build before issue 18 and on this
// one in the same run (bench/lib/mixed-ramp.ts). BENCH_BASELINE_REF=<ref> compares with
// another commit, BENCH_BASELINE_REF=none measures this build only.

await mixedScenario({ id: 'mixed', scenario: 'mixed', chambers: 1 });
