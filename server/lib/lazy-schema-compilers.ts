import { AjvCompiler } from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type CompilersFactory = NonNullable<
  NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']
>;
type Validate = ((data: unknown, context?: unknown) => unknown) & {
  errors?: unknown;
  schemaEnv?: unknown;
};
type Serialize = (data: unknown) => string;
type RouteSchema = { schema?: unknown; httpPart?: string; url?: string; method?: string };

/**
 * Fastify's own schema compilers (ajv for requests, fast-json-stringify for answers), each
 * route's function built on its first call instead of at start-up. Building them all at once
 * made a web process hold some 30 MB more before it served anything (the generated code, and
 * the young generation the burst of allocation grew), for routes most processes rarely serve.
 */
export function lazySchemaCompilers(): CompilersFactory {
  const buildValidators = AjvCompiler();
  const buildSerializers = SerializerSelector();
  return {
    buildValidator(externalSchemas: unknown, options: unknown) {
      const compile = buildValidators(externalSchemas as never, options as never) as unknown as (
        route: RouteSchema,
      ) => Validate;
      return (route: RouteSchema) => {
        assertLowerCaseHeaders(route);
        let built: Validate | undefined;
        const validator = () => (built ??= compile(route));
        const validate: Validate = (data, context) => {
          const fn = validator();
          const result = context === undefined ? fn(data) : fn(data, context);
          validate.errors = fn.errors;
          return result;
        };
        // Fastify passes ajv's parent data when the function has a schemaEnv: built here first.
        Object.defineProperty(validate, 'schemaEnv', { get: () => validator().schemaEnv });
        return validate;
      };
    },
    buildSerializer(externalSchemas: unknown, options: unknown) {
      const compile = buildSerializers(externalSchemas, options as never) as unknown as (
        route: RouteSchema,
      ) => Serialize;
      return (route: RouteSchema) => {
        let built: Serialize | undefined;
        return (data: unknown) => (built ??= compile(route))(data);
      };
    },
  } as CompilersFactory;
}

/**
 * Fastify lower-cases the names in a headers schema for its own compiler only (Node gives
 * header names in lower case): a schema naming one otherwise would never match, so it is
 * refused at start-up.
 */
function assertLowerCaseHeaders(route: RouteSchema): void {
  if (route.httpPart !== 'headers') return;
  const properties = (route.schema as { properties?: Record<string, unknown> }).properties ?? {};
  const named = [
    ...Object.keys(properties),
    ...((route.schema as { required?: string[] }).required ?? []),
  ];
  const upper = named.find((name) => name !== name.toLowerCase());
  if (upper) {
    throw new Error(`${route.method} ${route.url}: header "${upper}" must be named in lower case`);
  }
}
