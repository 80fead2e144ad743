import { mixedScenario } from './lib/mixed-ramp.js';

// Mixed users spread over 50 chambers: the same totals of patients and messages as the
// one-chamber data set divided among 50 chambers of their own (template
// portal_bench_v5_50ch_<patients>_<messages>), the same users and ramp as `mixed`, on the build
// before issue 18 and on this one in the same run. `--chambers=N` for another count.

await mixedScenario({ id: 'mixed-50', scenario: 'mixed-50', chambers: 50 });
