import fs from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { buildTestApp, openTestDatabase, testConfig, type TestApp } from '../test/test-app.js';
import { lazySchemaCompilers } from './lazy-schema-compilers.js';

/** The ajv options of server/app.ts. */
const AJV = { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } };

const Body = Type.Object(
  { name: Type.String({ minLength: 2 }), tags: Type.Optional(Type.Array(Type.String())) },
  { additionalProperties: false },
);
const Query = Type.Object({ limit: Type.Optional(Type.String({ pattern: '^[0-9]+$' })) });
const Params = Type.Object({ id: Type.String({ pattern: '^[a-z]+$' }) });
const Headers = Type.Object(
  { 'idempotency-key': Type.Optional(Type.String({ maxLength: 5 })) },
  { additionalProperties: true },
);
const Answer = Type.Object({ id: Type.String(), name: Type.String(), at: Type.String() });

/** The same routes on Fastify's own compilers or on the lazy ones. */
async function appWith(lazy: boolean, extra?: (app: FastifyInstance) => void) {
  const app = Fastify({
    ajv: AJV,
    ...(lazy ? { schemaController: { compilersFactory: lazySchemaCompilers() } } : {}),
  });
  app.post(
    '/things/:id',
    {
      schema: {
        body: Body,
        querystring: Query,
        params: Params,
        headers: Headers,
        response: { 200: Answer },
      },
    },
    async (request) => ({
      id: (request.params as { id: string }).id,
      name: (request.body as { name: string }).name,
      at: new Date(0).toISOString(),
      secret: 'not in the schema',
    }),
  );
  extra?.(app);
  await app.ready();
  return app;
}

const requests = [
  { url: '/things/abc', payload: { name: 'Ann' } },
  { url: '/things/abc?limit=10', payload: { name: 'Ann', tags: ['a'] } },
  { url: '/things/abc', payload: { name: 'A' } },
  { url: '/things/abc', payload: { name: 'Ann', more: 1 } },
  { url: '/things/abc', payload: { tags: 'x' } },
  { url: '/things/ABC', payload: { name: 'Ann' } },
  { url: '/things/abc?limit=ten', payload: { name: 'Ann' } },
  { url: '/things/abc', payload: { name: 'Ann' }, headers: { 'idempotency-key': 'far too long' } },
];

describe('lazy schema compilers', () => {
  it('validate and serialize exactly as Fastify’s own, the first call and the next ones', async () => {
    const eager = await appWith(false);
    const lazy = await appWith(true);
    for (const round of [1, 2]) {
      for (const r of requests) {
        const a = await eager.inject({ method: 'POST', ...r });
        const b = await lazy.inject({ method: 'POST', ...r });
        expect({ round, url: r.url, status: b.statusCode, body: b.json() }).toEqual({
          round,
          url: r.url,
          status: a.statusCode,
          body: a.json(),
        });
      }
    }
    // A refusal really came from the schemas, and the answer lost what its schema does not name.
    const bad = await lazy.inject({ method: 'POST', url: '/things/abc', payload: { name: 'A' } });
    expect(bad.statusCode).toBe(400);
    const good = await lazy.inject({
      method: 'POST',
      url: '/things/abc',
      payload: { name: 'Ann' },
    });
    expect(good.json()).toEqual({ id: 'abc', name: 'Ann', at: new Date(0).toISOString() });
    await eager.close();
    await lazy.close();
  });

  it('build nothing at start-up: a schema ajv cannot compile fails only its own route', async () => {
    const broken = (app: FastifyInstance) =>
      app.get(
        '/broken',
        { schema: { querystring: { type: 'object', nonsense: 1 } } },
        async () => ({}),
      );
    await expect(appWith(false, broken)).rejects.toThrow(/nonsense/);
    const lazy = await appWith(true, broken);
    expect((await lazy.inject({ method: 'GET', url: '/broken' })).statusCode).toBe(500);
    const fine = await lazy.inject({
      method: 'POST',
      url: '/things/abc',
      payload: { name: 'Ann' },
    });
    expect(fine.statusCode).toBe(200);
    await lazy.close();
  });

  it('refuse at start-up a headers schema that names a header in capitals', async () => {
    const capitals = (app: FastifyInstance) =>
      app.get(
        '/capitals',
        { schema: { headers: Type.Object({ 'Idempotency-Key': Type.String() }) } },
        async () => ({}),
      );
    await expect(appWith(true, capitals)).rejects.toThrow(/Idempotency-Key.*lower case/);
  });
});

describe('the product on lazy compilers (as `npm start` runs it)', () => {
  let eager: TestApp;
  let lazy: FastifyInstance;
  let close: () => Promise<void>;
  afterAll(async () => {
    await eager?.close();
    await close?.();
  });

  it('answers as with every schema built at start-up', async () => {
    eager = await buildTestApp();
    const database = await openTestDatabase();
    const config = testConfig();
    lazy = await buildApp({ config, database });
    close = async () => {
      await lazy.close();
      await database.close();
      fs.rmSync(config.dataDir, { recursive: true, force: true });
    };
    const calls = [
      { method: 'GET' as const, url: '/api/v1/health' },
      { method: 'GET' as const, url: '/api/v1/openapi.json' },
      { method: 'GET' as const, url: '/api/v1/staff/session' },
      { method: 'POST' as const, url: '/api/v1/staff/session', payload: { chamber: 1 } },
      {
        method: 'POST' as const,
        url: '/api/v1/staff/session',
        payload: { chamber: 'nowhere', email: 'a@b.example', password: 'x'.repeat(12) },
      },
    ];
    const statuses: number[] = [];
    for (const call of calls) {
      const a = await eager.app.inject(call);
      const b = await lazy.inject(call);
      statuses.push(b.statusCode);
      expect({ ...call, status: b.statusCode, body: b.json() }).toEqual({
        ...call,
        status: a.statusCode,
        body: a.json(),
      });
    }
    expect(statuses).toEqual([200, 200, 401, 422, 401]);
  });
});
