import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ESLint, RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { afterAll, describe, expect, it } from 'vitest';
import { localRules, readContractNames } from '../../scripts/eslint-rules/index.js';

/*
 * The project's lint rules (scripts/eslint-rules/), each shown to pass the final shape and to
 * fail what it exists to stop; then the config itself, linting files it has never seen.
 */

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const root = path.resolve(import.meta.dirname, '../..');
const tester = new RuleTester({ languageOptions: { parser: tseslint.parser } });
const rule = (name: keyof typeof localRules.rules) => localRules.rules[name];

tester.run('route-success-schema', rule('route-success-schema'), {
  valid: [
    `app.get('/api/v1/roles', { config: { auth: 'staff' }, schema: { response: withErrors({ 200: RoleList }) } }, async () => list());`,
    `app.post('/api/v1/admin/roles', { schema: { body: Name, response: { 201: Role, 400: ErrorBody } } }, handler);`,
    `app.delete('/api/v1/x/:id', { schema: { response: { 204: Type.Null() } } }, async (_r, reply) => reply.status(204).send());`,
    `app.get('/x', { schema: { response: { '2xx': Ok } } }, h);`,
    // Options and schemas held in consts are read through.
    `const schema = { response: withErrors({ 200: Ok }) }; app.get('/x', { schema }, h);`,
    `const open = { config: { auth: 'public' }, schema: { response: { 200: Ok } } }; app.get('/metadata', open, h);`,
    `const base = { schema: { response: { 200: Ok } } }; app.get('/x', { ...base, config: {} }, h);`,
    `app.route({ method: 'GET', url: '/x', schema: { response: { 200: Ok } }, handler: h });`,
    // Outside the API, hidden from the document: the web app's pages, FHIR's own routes.
    `app.get('/', { config: { auth: 'public' }, schema: { hide: true } }, page);`,
    `app.get('/Patient/:id', { schema: { hide: true } }, h);`,
    `app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());`,
    // What the rule cannot read (an import, a helper it does not know) is left to the test.
    `import { routeOptions } from './x.js'; app.get('/x', routeOptions, h);`,
    `app.get('/x', { schema: { response: responsesOf(Ok) } }, h);`,
    // Not routes.
    `headers.get('content-type');`,
    `cache.delete(key, value);`,
    `searchParams.get('cursor', () => 1);`,
  ],
  invalid: [
    {
      code: `app.get('/api/v1/roles', { config: { auth: 'staff' }, schema: { response: withErrors({}) } }, h);`,
      errors: [{ messageId: 'noSuccess', data: { route: 'GET /api/v1/roles' } }],
    },
    {
      code: `app.post('/api/v1/x', { schema: { response: { 400: ErrorBody, 404: ErrorBody } } }, h);`,
      errors: [{ messageId: 'noSuccess' }],
    },
    {
      code: `app.get('/api/v1/health', { config: { auth: 'public' }, schema: { tags: ['Operations'] } }, h);`,
      errors: [{ messageId: 'noResponse', data: { route: 'GET /api/v1/health' } }],
    },
    {
      code: `app.patch('/api/v1/x', { config: { auth: 'admin' } }, h);`,
      errors: [{ messageId: 'noSchema' }],
    },
    { code: `app.get('/api/v1/x', async () => ({}));`, errors: [{ messageId: 'noSchema' }] },
    {
      code: `const opts = { schema: { response: withErrors({}) } }; app.get('/api/v1/x', opts, h);`,
      errors: [{ messageId: 'noSuccess' }],
    },
    {
      code: `app.route({ method: 'GET', url: '/api/v1/x', schema: {}, handler: h });`,
      errors: [{ messageId: 'noResponse', data: { route: 'ROUTE /api/v1/x' } }],
    },
    {
      code: `app.get('/api/v1/secret', { schema: { hide: true } }, h);`,
      errors: [{ messageId: 'hiddenApi' }],
    },
  ],
});

tester.run('no-route-generics', rule('no-route-generics'), {
  valid: [
    `app.get('/api/v1/x', { schema: { params: IdParams, response: { 200: Ok } } }, async (request) => get(request.params.id));`,
    `const value = map.get<string>(key);`,
  ],
  invalid: [
    {
      code: `app.get<{ Params: Static<typeof IdParams> }>('/api/v1/x/:id', { schema }, h);`,
      errors: [{ messageId: 'restated', data: { route: 'GET /api/v1/x/:id' } }],
    },
    {
      code: `app.post<P & { Body: Static<typeof Share> }>('/api/v1/x', opts, async (r) => r.body);`,
      errors: [{ messageId: 'restated' }],
    },
  ],
});

const names = {
  Inbox: 'common/contract/messaging.ts',
  Author: 'common/contract/messaging.ts',
  ErrorBody: 'common/contract/common.ts',
};
tester.run('no-restated-contract-type', rule('no-restated-contract-type'), {
  valid: [
    {
      code: `import type { Inbox } from '../../../common/contract/messaging'; export function useInbox(): Inbox { return get(); }`,
      options: [{ names }],
    },
    // The web app's own view types, named differently, are its business.
    { code: `interface InboxRowProps { unread: boolean }`, options: [{ names }] },
    { code: `type Author = Contract.Author;`, options: [{ names }] },
    {
      code: `type Author = import('../../common/contract/messaging').Author;`,
      options: [{ names }],
    },
    { code: `type Failure = { error: string };`, options: [{ names }] },
  ],
  invalid: [
    {
      code: `export interface Author { id: string; name: string }`,
      options: [{ names }],
      errors: [
        {
          message: 'Import Author from common/contract/messaging instead of restating it.',
        },
      ],
    },
    {
      code: `type Inbox = { conversations: unknown[] };`,
      options: [{ names }],
      errors: [{ message: 'Import Inbox from common/contract/messaging instead of restating it.' }],
    },
    {
      code: `const e = (data as { error?: { code: string; message: string } }).error;`,
      options: [{ names }],
      errors: [{ messageId: 'errorBody' }],
    },
    {
      code: `interface Failed { error: { status: number; code: string } }`,
      options: [{ names }],
      errors: [{ messageId: 'errorBody' }],
    },
  ],
});

const fixtures: string[] = [];
afterAll(() => {
  for (const dir of fixtures) fs.rmSync(dir, { recursive: true, force: true });
});

/** A throw-away project tree: `{ 'server/a.ts': 'source' }`. */
function fixture(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lint-fixture-'));
  fixtures.push(dir);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

describe('module cycles', () => {
  const dir = fixture({
    // messaging -> notifications -> messaging: a cycle between two modules, not two files.
    'server/modules/messaging/messaging.service.ts': `import { queueEmail } from '../notifications/email.service.js';\nexport const send = () => queueEmail();\n`,
    'server/modules/messaging/messaging.presenter.ts': `export const preview = (t: string) => t.slice(0, 10);\n`,
    'server/modules/notifications/email.service.ts': `export const queueEmail = () => 1;\n`,
    'server/modules/notifications/notification.service.ts': `import { preview } from '../messaging/messaging.presenter.js';\nexport const list = () => preview('x');\n`,
    // roles -> users, and users -> roles for a type only: erased, so no cycle.
    'server/modules/roles/role.service.ts': `import { findUser } from '../users/user.repository.js';\nexport const members = () => findUser();\n`,
    'server/modules/users/user.repository.ts': `export const findUser = () => 1;\n`,
    'server/modules/users/user.service.ts': `import type { members } from '../roles/role.service.js';\nexport type Members = typeof members;\n`,
    // Shared files are nodes of their own: worker -> handler -> queue is a chain, not a cycle.
    'server/jobs/handlers/shared-items.ts': `import { list } from '../../modules/notifications/notification.service.js';\nexport const handle = () => list();\n`,
    'server/jobs/worker.ts': `import { handle } from './handlers/email.js';\nexport const run = () => handle();\n`,
    'server/jobs/handlers/email.ts': `import { claim } from '../queue.js';\nexport const handle = () => claim();\n`,
    'server/jobs/queue.ts': `export const claim = () => 1;\n`,
    // documents -> lib/uploads.ts -> documents: a cycle through a shared file.
    'server/modules/documents/document.service.ts': `import { store } from '../../lib/uploads.js';\nexport const upload = () => store();\n`,
    'server/modules/documents/document.storage.ts': `export const path = () => '/tmp';\n`,
    'server/lib/uploads.ts': `import { path } from '../modules/documents/document.storage.js';\nexport const store = () => path();\n`,
  });
  const file = (name: string) => path.join(dir, name);
  const code = (name: string) => fs.readFileSync(file(name), 'utf8');
  const options = [{ root: dir }];

  tester.run('no-module-cycle', rule('no-module-cycle'), {
    valid: [
      {
        code: code('server/modules/roles/role.service.ts'),
        filename: file('server/modules/roles/role.service.ts'),
        options,
      },
      {
        code: code('server/modules/users/user.service.ts'),
        filename: file('server/modules/users/user.service.ts'),
        options,
      },
      {
        code: code('server/jobs/worker.ts'),
        filename: file('server/jobs/worker.ts'),
        options,
      },
      {
        code: code('server/jobs/handlers/email.ts'),
        filename: file('server/jobs/handlers/email.ts'),
        options,
      },
    ],
    invalid: [
      {
        code: code('server/modules/messaging/messaging.service.ts'),
        filename: file('server/modules/messaging/messaging.service.ts'),
        options,
        errors: [
          {
            messageId: 'cycle',
            data: {
              chain:
                'server/modules/messaging -> server/modules/notifications -> server/modules/messaging',
              evidence:
                ' (server/modules/notifications/notification.service.ts imports server/modules/messaging/messaging.presenter.ts)',
            },
          },
        ],
      },
      {
        code: code('server/modules/notifications/notification.service.ts'),
        filename: file('server/modules/notifications/notification.service.ts'),
        options,
        errors: [{ messageId: 'cycle' }],
      },
      {
        code: code('server/modules/documents/document.service.ts'),
        filename: file('server/modules/documents/document.service.ts'),
        options,
        errors: [
          {
            messageId: 'cycle',
            data: {
              chain:
                'server/modules/documents -> server/lib/uploads.ts -> server/modules/documents',
              evidence:
                ' (server/lib/uploads.ts imports server/modules/documents/document.storage.ts)',
            },
          },
        ],
      },
      {
        code: code('server/lib/uploads.ts'),
        filename: file('server/lib/uploads.ts'),
        options,
        errors: [{ messageId: 'cycle' }],
      },
    ],
  });
});

describe('the contract names a web file must import', () => {
  it('are read from common/contract/*.ts: schemas, types, interfaces and re-exports, with the declaring file', () => {
    const dir = fixture({
      'common/contract/common.ts': [
        `export const Id = Type.String();`,
        `export const ErrorBody = Type.Object({});`,
        `export type ErrorBody = Static<typeof ErrorBody>;`,
        `export const MESSAGE_MAX_LENGTH = 5000;`,
        `export function textLength(s: string) { return [...s].length; }`,
        `const Hidden = 1;`,
      ].join('\n'),
      'common/contract/messaging.ts': [
        `export { ErrorBody } from './common.js';`,
        `export interface Audience { patient: boolean }`,
        `export type Inbox = { n: number };`,
      ].join('\n'),
    });
    expect(readContractNames(dir)).toEqual({
      Id: 'common/contract/common.ts',
      ErrorBody: 'common/contract/common.ts',
      Audience: 'common/contract/messaging.ts',
      Inbox: 'common/contract/messaging.ts',
    });
  });
});

describe('the lint config (eslint.config.js) on files it has never seen', () => {
  const eslint = new ESLint({ cwd: root });
  const lint = async (file: string, text: string) => {
    const [result] = await eslint.lintText(text, { filePath: path.join(root, file) });
    return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
  };

  it('a service or a job importing Drizzle or the tables fails; a repository may', async () => {
    const source = [
      `import { eq } from 'drizzle-orm';`,
      `import type { PgTransaction } from 'drizzle-orm/pg-core';`,
      `import { patients } from '../../db/schema.js';`,
      `import type * as tables from '../../db/schema.js';`,
      `export const q = [eq, patients] as unknown as [PgTransaction<never>, typeof tables];`,
    ].join('\n');
    const restricted = (messages: string[]) =>
      messages.filter((m) => m.startsWith('@typescript-eslint/no-restricted-imports'));
    expect(restricted(await lint('server/modules/roles/zz-fixture.service.ts', source))).toEqual([
      expect.stringContaining('A service never imports Drizzle'),
      expect.stringContaining('A service never imports Drizzle'),
      expect.stringContaining('A service never imports the table definitions'),
      expect.stringContaining('A service never imports the table definitions'),
    ]);
    const job = source.replaceAll('../../db/', '../db/');
    expect(restricted(await lint('server/jobs/zz-fixture.ts', job))).toHaveLength(4);
    expect(restricted(await lint('server/modules/roles/zz-fixture.repository.ts', source))).toEqual(
      [],
    );
  });

  it('a route without a success response schema, or with restated generics, fails', async () => {
    const messages = await lint(
      'server/modules/roles/zz-fixture.routes.ts',
      [
        `import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';`,
        `export const fixtureRoutes: FastifyPluginAsyncTypebox = async (app) => {`,
        `  app.get('/api/v1/fixture', { config: { auth: 'staff' }, schema: { response: {} } }, async () => ({}));`,
        `  app.get<{ Params: { id: string } }>('/api/v1/fixture/:id', { config: { auth: 'staff' }, schema: { response: { 200: {} } } }, async () => ({}));`,
        `};`,
      ].join('\n'),
    );
    expect(messages.filter((m) => m.startsWith('local/'))).toEqual([
      expect.stringMatching(
        /^local\/route-success-schema: GET \/api\/v1\/fixture declares no success/,
      ),
      expect.stringMatching(/^local\/no-route-generics: GET \/api\/v1\/fixture\/:id restates/),
    ]);
  });

  it('a web file restating a contract type or the error body fails', async () => {
    const messages = await lint(
      'web/staff/features/zz-fixture/api.ts',
      [
        `export interface ErrorBody { error: { status: number; code: string; message: string } }`,
        `export type Row = { id: string };`,
      ].join('\n'),
    );
    expect(messages.filter((m) => m.startsWith('local/'))).toEqual([
      'local/no-restated-contract-type: Import ErrorBody from common/contract/common instead of restating it.',
      expect.stringMatching(
        /^local\/no-restated-contract-type: Import ErrorBody from common\/contract\/common instead of restating the error body/,
      ),
    ]);
  });
});
