// Helpers shared by the route rules: which calls declare a route and what their options say.

/** Fastify's shorthand route methods, plus `route({ method, url, ... })`. */
export const ROUTE_METHODS = new Set([
  'get',
  'post',
  'put',
  'patch',
  'delete',
  'head',
  'options',
  'all',
  'route',
]);

const FUNCTIONS = new Set(['ArrowFunctionExpression', 'FunctionExpression']);

/** The expression under `as` / `satisfies` / `!` wrappers. */
export function unwrap(node) {
  let current = node;
  while (
    current &&
    (current.type === 'TSAsExpression' ||
      current.type === 'TSSatisfiesExpression' ||
      current.type === 'TSNonNullExpression')
  ) {
    current = current.expression;
  }
  return current;
}

/** The initializer of a `const` that `node` names, or `node` itself; `undefined` if unknown. */
export function resolveValue(context, node, depth = 0) {
  const value = unwrap(node);
  if (!value || value.type !== 'Identifier') return value;
  if (depth > 5) return undefined;
  let scope = context.sourceCode.getScope(value);
  while (scope) {
    const variable = scope.set.get(value.name);
    if (variable) {
      const def = variable.defs[0];
      if (def?.type === 'Variable' && def.parent?.kind === 'const' && def.node.init) {
        return resolveValue(context, def.node.init, depth + 1);
      }
      return undefined;
    }
    scope = scope.upper;
  }
  return undefined;
}

/**
 * The value of property `name` of an object literal, following `...spread` of other consts;
 * the last one wins, as at run time. `{ found: false, known: false }` when a spread cannot be
 * read, so the property may exist without the rule seeing it.
 */
export function lookup(context, object, name, depth = 0) {
  const value = resolveValue(context, object);
  if (!value || value.type !== 'ObjectExpression' || depth > 5) {
    return { found: false, known: false };
  }
  let result = { found: false, known: true };
  for (const property of value.properties) {
    if (property.type === 'SpreadElement') {
      const inner = lookup(context, property.argument, name, depth + 1);
      if (inner.found) result = inner;
      else if (!inner.known) result = { ...result, known: false };
      continue;
    }
    if (property.computed) {
      result = { ...result, known: false };
      continue;
    }
    const key = property.key.type === 'Identifier' ? property.key.name : property.key.value;
    if (String(key) === name) result = { found: true, known: true, value: property.value };
  }
  return result;
}

/** A string the node spells statically (a literal or a template without expressions). */
export function staticString(node) {
  const value = unwrap(node);
  if (value?.type === 'Literal' && typeof value.value === 'string') return value.value;
  if (value?.type === 'TemplateLiteral' && value.expressions.length === 0) {
    return value.quasis[0].value.cooked;
  }
  return undefined;
}

const hasProperty = (context, object, name) => lookup(context, object, name).found;

/**
 * When `node` declares a route, its method, path (if static) and options node (`null` when it
 * has none); otherwise `undefined`. Shorthand: `x.get(path, [options,] handler)` or
 * `x.get(path, { handler, ... })`; full: `x.route({ method, url, handler, ... })`.
 */
export function routeCall(context, node) {
  const callee = node.callee;
  if (callee.type !== 'MemberExpression' || callee.computed) return undefined;
  const method = callee.property.name;
  if (!ROUTE_METHODS.has(method)) return undefined;
  const args = node.arguments;
  if (method === 'route') {
    if (args.length !== 1) return undefined;
    if (!hasProperty(context, args[0], 'url') || !hasProperty(context, args[0], 'handler')) {
      return undefined;
    }
    const url = staticString(lookup(context, args[0], 'url').value);
    return { method, url, options: args[0], node };
  }
  if (args.length < 2 || args.length > 3) return undefined;
  const path = unwrap(args[0]);
  const url = staticString(path);
  // `headers.get('x')`, `cache.delete(key, value)`: not a path, so not a route.
  if (url !== undefined ? !url.startsWith('/') && url !== '' : path.type !== 'Identifier') {
    return undefined;
  }
  const last = unwrap(args[args.length - 1]);
  if (args.length === 2) {
    if (FUNCTIONS.has(last.type)) return { method, url, options: null, node };
    if (hasProperty(context, last, 'handler')) return { method, url, options: args[1], node };
    return undefined;
  }
  if (!FUNCTIONS.has(last.type) && last.type !== 'Identifier' && last.type !== 'CallExpression') {
    return undefined;
  }
  return { method, url, options: args[1], node };
}

/** How a route is named in a message: `GET /api/v1/roles`. */
export function routeName(route) {
  const verb = route.method === 'route' ? 'ROUTE' : route.method.toUpperCase();
  return route.url === undefined ? `${verb} (dynamic path)` : `${verb} ${route.url}`;
}
