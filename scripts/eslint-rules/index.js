// The project's own lint rules (ARCHITECTURE.md, "The shape every module converges on"), used by
// eslint.config.js as the plugin `local`. Their tests: server/plugins/lint-rules.test.ts.
import { noModuleCycle } from './no-module-cycle.js';
import { noRestatedContractType } from './no-restated-contract-type.js';
import { noRouteGenerics } from './no-route-generics.js';
import { routeSuccessSchema } from './route-success-schema.js';

export { readContractNames } from './contract-names.js';

export const localRules = {
  meta: { name: 'local' },
  rules: {
    'route-success-schema': routeSuccessSchema,
    'no-route-generics': noRouteGenerics,
    'no-restated-contract-type': noRestatedContractType,
    'no-module-cycle': noModuleCycle,
  },
};
