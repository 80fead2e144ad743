import SwaggerParser from '@apidevtools/swagger-parser';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, RouteOptions } from 'fastify';
import Fastify from 'fastify';
import openapiTS, { astToString } from 'openapi-typescript';
import type { OpenAPIV3 } from 'openapi-types';
import { Type } from 'typebox';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTestApp, type TestApp } from '../test/test-app.js';
import { registerErrorHandler } from './error-handler.js';
import { registerResponseCheck, successStatuses } from './response-check.js';

/*
 * The API contract, checked from the app itself: every route declares the schema of a success
 * status it answers, the OpenAPI document built from those schemas is valid and complete, a
 * client generated from it has no `unknown` in a success body, and an answer outside its schema
 * fails the request (`checkResponses`, on in every test).
 */

// Every route each Fastify app of this file declares, with its schema, seen through an
// `onRoute` hook added when the app is created (before any plugin registers a route).
const seen = vi.hoisted(() => new Map<object, RouteOptions[]>());
vi.mock('fastify', async (importOriginal) => {
  const actual = await importOriginal<{ default: (...args: unknown[]) => FastifyInstance }>();
  const create = actual.default;
  const observed = (...args: unknown[]) => {
    const app = create(...args);
    const routes: RouteOptions[] = [];
    seen.set(app, routes);
    app.addHook('onRoute', (route) => {
      routes.push(route);
    });
    return app;
  };
  return { ...actual, default: Object.assign(observed, create) };
});

/** Routes that are the contract: the JSON API, the FHIR API and its OAuth token endpoint. */
const CONTRACT = /^\/(api\/v1|fhir\/R4|oauth2)(\/|$)/;
/** API routes left out of the OpenAPI document: the document itself. */
const HIDDEN_ALLOWED = new Set(['GET /api/v1/openapi.json']);
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

interface Declared {
  key: string;
  hidden: boolean;
  response: Record<string, unknown> | undefined;
}

function declaredRoutes(app: FastifyInstance): Declared[] {
  const routes = seen.get(app) ?? [];
  return routes
    .filter((route) => CONTRACT.test(route.url))
    .flatMap((route) =>
      [route.method]
        .flat()
        .filter((method) => method !== 'HEAD')
        .map((method) => {
          const schema = route.schema as
            { hide?: boolean; response?: Record<string, unknown> } | undefined;
          return {
            key: `${method} ${route.url}`,
            hidden: schema?.hide === true,
            response: schema?.response,
          };
        }),
    );
}

/** `/api/v1/roles/{id}` -> `/api/v1/roles/:id`, as the route table spells it. */
const routeUrl = (path: string) => path.replace(/\{([^}]+)\}/g, ':$1');

/**
 * A success status with a body schema (or 204/205, which have no body, or the 302/303 of a
 * browser navigation such as single sign-on, whose answer is its Location).
 */
const BODYLESS = ['204', '205', '302', '303'];
const SUCCESS = /^(2(\d\d|XX)|30[23])$/;
function hasSuccessSchema(operation: OpenAPIV3.OperationObject): boolean {
  return Object.entries(operation.responses ?? {}).some(([status, response]) => {
    if (!SUCCESS.test(status)) return false;
    if (BODYLESS.includes(status)) return true;
    const content = (response as OpenAPIV3.ResponseObject).content ?? {};
    return Object.values(content).some((media) => media.schema !== undefined);
  });
}

/**
 * What a generated client cannot use: an operation without a success answer, a success answer
 * without a body type (`content?: never`) or with `unknown` in its body; and, for the record,
 * the `unknown` of the whole file (mostly each answer's `headers: { [name: string]: unknown }`,
 * which openapi-typescript writes for every answer, and which is fine).
 */
function unusableSuccessBodies(source: string): { found: Map<string, string>; total: number } {
  const file = ts.createSourceFile('api.d.ts', source, ts.ScriptTarget.Latest, true);
  const found = new Map<string, string>();
  let total = 0;
  const nameOf = (member: ts.TypeElement) =>
    member.name &&
    (ts.isIdentifier(member.name) ||
      ts.isStringLiteral(member.name) ||
      ts.isNumericLiteral(member.name))
      ? member.name.text
      : undefined;
  const countIn = (node: ts.Node): number => {
    let n = node.kind === ts.SyntaxKind.UnknownKeyword ? 1 : 0;
    node.forEachChild((child) => {
      n += countIn(child);
    });
    return n;
  };
  const members = (node: ts.Node | undefined) =>
    node && ts.isTypeLiteralNode(node) ? [...node.members] : [];
  const visit = (node: ts.Node, where: string[]) => {
    if (node.kind === ts.SyntaxKind.UnknownKeyword) total += 1;
    const inOperation = where[0] === 'paths' || where[0] === 'operations';
    if (inOperation && ts.isPropertySignature(node) && nameOf(node) === 'responses') {
      const statuses = members(node.type).map(nameOf);
      if (!statuses.some((status) => status && SUCCESS.test(status))) {
        found.set(where.slice(1).join(' '), 'no success answer');
      }
      for (const response of members(node.type)) {
        const status = nameOf(response);
        if (!status || !SUCCESS.test(status) || !ts.isPropertySignature(response)) continue;
        const key = `${where.slice(1).join(' ')} ${status}`;
        const content = members(response.type).find((m) => nameOf(m) === 'content');
        const type = content && ts.isPropertySignature(content) ? content.type : undefined;
        if (!type || type.kind === ts.SyntaxKind.NeverKeyword) {
          if (!BODYLESS.includes(status)) found.set(key, 'no body type');
        } else if (countIn(type) > 0) {
          found.set(key, `${countIn(type)} unknown`);
        }
      }
    }
    const name = ts.isPropertySignature(node)
      ? nameOf(node)
      : ts.isInterfaceDeclaration(node)
        ? node.name.text
        : undefined;
    node.forEachChild((child) => visit(child, name ? [...where, name] : where));
  };
  visit(file, []);
  return { found, total };
}

let t: TestApp;
let document: OpenAPIV3.Document;

beforeAll(async () => {
  t = await buildTestApp();
  const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  expect(res.statusCode).toBe(200);
  document = res.json();
});
afterAll(() => t?.close());

describe('every route declares its success answer', () => {
  it('every API and FHIR route declares the schema of a success status (200, 201, 204...)', () => {
    const routes = declaredRoutes(t.app);
    // The hook saw the whole route table, not an empty list that would pass vacuously.
    expect(routes.length).toBeGreaterThanOrEqual(
      t.app.routeAuth.filter((r) => CONTRACT.test(r.url)).length,
    );
    const missing = routes
      .filter((route) => !route.hidden && successStatuses(route.response).length === 0)
      .map((route) => route.key);
    expect(missing, `${missing.length} of ${routes.length} routes`).toEqual([]);
  });

  it('no API route is hidden from the OpenAPI document but the document itself', () => {
    const hidden = declaredRoutes(t.app)
      .filter((route) => route.hidden && route.key.split(' ')[1]!.startsWith('/api/'))
      .map((route) => route.key)
      .filter((key) => !HIDDEN_ALLOWED.has(key));
    expect(hidden).toEqual([]);
  });
});

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3 document (swagger-parser)', async () => {
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeTruthy();
  });

  it('lists every visible API route, and every operation has a success response with a schema', () => {
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      METHODS.filter((method) => item?.[method]).map((method) => ({
        key: `${method.toUpperCase()} ${routeUrl(path)}`,
        operation: item![method]!,
      })),
    );
    const visible = declaredRoutes(t.app)
      .filter((route) => !route.hidden)
      .map((route) => route.key);
    expect(operations.map((o) => o.key).sort()).toEqual([...visible].sort());
    const without = operations.filter((o) => !hasSuccessSchema(o.operation)).map((o) => o.key);
    expect(
      without,
      `${operations.length - without.length}/${operations.length} operations have a success schema`,
    ).toEqual([]);
  });

  it('generates a client (openapi-typescript) with a typed body, and no `unknown` in it, for every success answer', async () => {
    const source = astToString(
      await openapiTS(structuredClone(document) as never, { silent: true }),
    );
    const { found, total } = unusableSuccessBodies(source);
    const count = (what: string) => [...found.values()].filter((v) => v.endsWith(what)).length;
    expect(
      Object.fromEntries(found),
      `success bodies with unknown: ${count('unknown')}, without a body type: ${count('body type')}, operations without a success answer: ${count('answer')}; unknown in the whole file: ${total}`,
    ).toEqual({});
  });
});

describe('the response check (checkResponses)', () => {
  const Answer = Type.Object({ id: Type.String(), count: Type.Integer() });
  let app: FastifyInstance;

  beforeAll(async () => {
    const tiny = Fastify({ logger: false }).withTypeProvider<TypeBoxTypeProvider>();
    registerErrorHandler(tiny);
    registerResponseCheck(tiny);
    const schema = { response: { 200: Answer, 201: Answer } };
    tiny.get('/kept', { schema }, async () => ({ id: 'a', count: 1 }));
    tiny.post('/created', { schema }, async (_request, reply) =>
      reply.status(201).send({ id: 'b', count: 2 }),
    );
    // Answers outside the declared schema, as a route whose schema drifted from its code would.
    tiny.get('/wrong-type', { schema }, async () => ({ id: 'a', count: 'one' }) as never);
    tiny.get('/missing-member', { schema }, async () => ({ id: 'a' }) as never);
    tiny.post('/created-wrong', { schema }, async (_request, reply) =>
      reply.status(201).send({ count: 2 } as never),
    );
    app = tiny as unknown as FastifyInstance;
    await app.ready();
  });
  afterAll(() => app?.close());

  it('lets an answer that matches its schema through, unchanged', async () => {
    const kept = await app.inject({ method: 'GET', url: '/kept' });
    expect(kept.statusCode).toBe(200);
    expect(kept.json()).toEqual({ id: 'a', count: 1 });
    const created = await app.inject({ method: 'POST', url: '/created' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ id: 'b', count: 2 });
  });

  it('answers 500 response_contract_broken, naming the route and the problem, when an answer breaks its schema', async () => {
    for (const [method, url, problem] of [
      ['GET', '/wrong-type', '/count'],
      ['GET', '/missing-member', 'count'],
      ['POST', '/created-wrong', 'id'],
    ] as const) {
      const res = await app.inject({ method, url });
      expect(res.statusCode, url).toBe(500);
      const body = res.json();
      expect(body, url).toEqual({
        error: { status: 500, code: 'response_contract_broken', message: expect.any(String) },
      });
      expect(body.error.message, url).toContain(`${method} ${url}`);
      expect(body.error.message, url).toContain(problem);
    }
  });
});
