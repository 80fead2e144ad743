import type { ESLint, Rule } from 'eslint';

type LocalRuleName =
  'route-success-schema' | 'no-route-generics' | 'no-restated-contract-type' | 'no-module-cycle';

/** The project's own lint rules, as the ESLint plugin `local`. */
export declare const localRules: Omit<ESLint.Plugin, 'rules'> & {
  rules: Record<LocalRuleName, Rule.RuleModule>;
};

/** The type-like names common/contract/*.ts exports, each with the file that declares it. */
export declare function readContractNames(root: string, folder?: string): Record<string, string>;
