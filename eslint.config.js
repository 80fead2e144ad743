import jsxA11y from 'eslint-plugin-jsx-a11y';
import reactHooks from 'eslint-plugin-react-hooks';
// ESLint 9 flat config: typescript-eslint (recommended, not type-checked, to stay fast)
// plus the layering rules of ARCHITECTURE.md ("Rules" 1), checked by machine.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { localRules, readContractNames } from './scripts/eslint-rules/index.js';

const root = import.meta.dirname;

// What a web file must import rather than restate, read from common/contract/*.ts at load time.
const contractNames = readContractNames(root);

export default defineConfig([
  globalIgnores([
    '**/node_modules/',
    '**/dist/',
    'data/',
    'coverage/',
    'server/db/migrations/',
    'web/dist/',
  ]),

  js.configs.recommended,

  // Plain Node scripts (benchmark baselines and loaders) run without TypeScript.
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: globals.node },
  },

  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [tseslint.configs.recommended],
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },

  // Layering zones. Paths are resolved to files first, so `./x.js` in source finds `x.ts`
  // (NodeNext style) and a zone applies however the import is spelled.
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
          extensionAlias: { '.js': ['.ts', '.tsx', '.js'], '.mjs': ['.mts', '.mjs'] },
        }),
      ],
    },
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          basePath: root,
          zones: [
            {
              target: 'web',
              from: 'server',
              message: 'web/ never imports server/; share through common/.',
            },
            {
              target: 'web/portal',
              from: 'web/staff',
              message: 'The patient bundle carries no staff code; share through web/ui or web/lib.',
            },
            {
              target: 'web/staff',
              from: 'web/portal',
              message:
                'Staff and portal do not import each other; share through web/ui or web/lib.',
            },
            {
              target: 'common',
              from: ['server', 'web'],
              message: 'common/ is imported by server and web, and imports neither.',
            },
            {
              target: 'server/modules/*/*.repository.ts',
              from: ['server/modules/*/*.service.ts', 'server/modules/*/*.routes.ts'],
              message: 'A repository holds queries only and never calls a service or a route.',
            },
            {
              target: 'server/modules/*/*.routes.ts',
              from: ['server/modules/*/*.repository.ts'],
              message: 'A route makes one service call; the service uses the repository.',
            },
            {
              target: ['server/db', 'server/lib'],
              from: ['server/modules', 'server/jobs'],
              message:
                'db/ (schema, migrations, connection) and lib/ (helpers) sit below the modules and import none.',
            },
          ],
        },
      ],
    },
  },

  // A route never touches the database: no runtime import of server/db, types allowed.
  // (no-restricted-paths cannot tell `import type` apart, this rule can.)
  {
    files: ['server/modules/*/*.routes.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+db(/|$)',
              allowTypeImports: true,
              message:
                'A route never touches the database; call a service (`import type` is fine).',
            },
          ],
        },
      ],
    },
  },
  // A service speaks the domain: every query lives in a repository, so a service (and a job)
  // imports neither Drizzle nor the table definitions, not even their types.
  {
    files: ['server/modules/*/*.service.ts', 'server/jobs/**/*.ts'],
    ignores: ['**/*.test.ts', '**/*.repository.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^drizzle-orm(/|$)',
              message:
                'A service never imports Drizzle: put the query in a *.repository.ts and call it.',
            },
            {
              regex: '(^|/)db/schema(\\.[jt]s)?$',
              message:
                'A service never imports the table definitions: put the query in a *.repository.ts and call it.',
            },
          ],
        },
      ],
    },
  },

  // Routes: each declares the schema of a success status it answers (so the OpenAPI document is
  // complete and tests check every answer against it) and lets the type provider infer types.
  {
    files: ['server/**/*.ts'],
    ignores: ['**/*.test.ts', 'server/test/**'],
    plugins: { local: localRules },
    rules: {
      'local/route-success-schema': 'error',
      'local/no-route-generics': 'error',
    },
  },

  // The web apps import the API's types from common/contract/ instead of writing their own.
  {
    files: ['web/**/*.ts', 'web/**/*.tsx'],
    plugins: { local: localRules },
    rules: {
      'local/no-restated-contract-type': ['error', { names: contractNames }],
    },
  },

  // No cycles, between files (import-x) or between modules: server/modules/<area>,
  // web/<app>/features/<name>, each other folder (local). `import type` does not count: it is
  // erased. Dependencies point one way: routes -> service -> repository -> db.
  {
    files: ['server/**/*.ts', 'web/**/*.ts', 'web/**/*.tsx', 'common/**/*.ts'],
    ignores: ['**/*.test.ts', 'server/test/**'],
    plugins: { local: localRules },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'local/no-module-cycle': [
        'error',
        {
          root,
          roots: ['server', 'web', 'common'],
          groups: ['server/modules/*', 'web/*/features/*'],
        },
      ],
    },
  },

  {
    // Tests read JSON answers whose shape each assertion states.
    files: ['**/*.test.ts', 'server/test/**/*.ts', 'e2e/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The web apps: hooks rules and accessibility rules for JSX.
    files: ['web/**/*.tsx'],
    plugins: { 'jsx-a11y': jsxA11y, 'react-hooks': reactHooks },
    rules: {
      ...jsxA11y.flatConfigs.recommended.rules,
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'warn',
      // Focus on open is wanted on the compose and search pages.
      'jsx-a11y/no-autofocus': 'off',
    },
  },
]);
