import { lookup, resolveValue, routeCall, routeName, unwrap } from './route-ast.js';

// 2xx, or the 302/303 of a browser navigation (single sign-on), answered by its Location.
const SUCCESS = /^(2(\d\d|xx|XX)|30[23])$/;

/**
 * The success statuses a `response` map names, and whether the rule could read all of it
 * (a spread of an import or a call of an unknown helper may add statuses it cannot see).
 * `withErrors({ 200: X })` adds only refusals, so its argument is what counts.
 */
function successStatuses(context, node, depth = 0) {
  const value = resolveValue(context, node);
  if (!value || depth > 5) return { statuses: [], known: false };
  if (value.type === 'CallExpression') {
    const callee = unwrap(value.callee);
    const known = callee.type === 'Identifier' && callee.name === 'withErrors';
    const inner = value.arguments.map((arg) => successStatuses(context, arg, depth + 1));
    return {
      statuses: inner.flatMap((r) => r.statuses),
      known: known && inner.every((r) => r.known),
    };
  }
  if (value.type !== 'ObjectExpression') return { statuses: [], known: false };
  const statuses = [];
  let known = true;
  for (const property of value.properties) {
    if (property.type === 'SpreadElement') {
      const inner = successStatuses(context, property.argument, depth + 1);
      statuses.push(...inner.statuses);
      known &&= inner.known;
    } else if (property.computed) {
      known = false;
    } else {
      const key = String(
        property.key.type === 'Identifier' ? property.key.name : property.key.value,
      );
      if (SUCCESS.test(key)) statuses.push(key);
    }
  }
  return { statuses, known };
}

/** @type {import('eslint').Rule.RuleModule} */
export const routeSuccessSchema = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'Every route declares the schema of a success status it answers, so the OpenAPI document is complete and answers are checked.',
    },
    schema: [
      {
        type: 'object',
        properties: {
          apiPrefix: { type: 'string' },
          hiddenAllowed: { type: 'array', items: { type: 'string' } },
        },
        additionalProperties: false,
      },
    ],
    messages: {
      noSchema:
        '{{route}} declares no schema: declare `schema.response` with the success status it answers (200, 201, 204...).',
      noResponse:
        '{{route}} declares no `schema.response`: name the success status it answers (200, 201, 204...) with its schema, from common/contract/.',
      noSuccess:
        '{{route}} declares no success response schema (only refusals): add the 200/201/204 body it answers, e.g. `withErrors({ 200: Inbox })`.',
      hiddenApi:
        '{{route}} is an API route hidden from the OpenAPI document: declare its schemas instead of `hide: true`.',
    },
  },
  create(context) {
    const options = context.options[0] ?? {};
    const apiPrefix = options.apiPrefix ?? '/api/';
    const hiddenAllowed = new Set(options.hiddenAllowed ?? ['/api/v1/openapi.json']);
    return {
      CallExpression(node) {
        const route = routeCall(context, node);
        if (!route) return;
        const data = { route: routeName(route) };
        if (route.options === null) {
          context.report({ node, messageId: 'noSchema', data });
          return;
        }
        const schema = lookup(context, route.options, 'schema');
        if (!schema.known && !schema.found) return;
        if (!schema.found) {
          context.report({ node, messageId: 'noSchema', data });
          return;
        }
        const hide = lookup(context, schema.value, 'hide');
        if (hide.found && unwrap(hide.value).type === 'Literal' && unwrap(hide.value).value) {
          if (route.url?.startsWith(apiPrefix) && !hiddenAllowed.has(route.url)) {
            context.report({ node, messageId: 'hiddenApi', data });
          }
          return;
        }
        const response = lookup(context, schema.value, 'response');
        if (!response.found) {
          if (response.known) context.report({ node, messageId: 'noResponse', data });
          return;
        }
        const success = successStatuses(context, response.value);
        if (success.statuses.length === 0 && success.known) {
          context.report({ node, messageId: 'noSuccess', data });
        }
      },
    };
  },
};
