import { routeCall, routeName } from './route-ast.js';

/** @type {import('eslint').Rule.RuleModule} */
export const noRouteGenerics = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'Routes do not restate request types as generics: the TypeBox type provider infers them from the schemas.',
    },
    schema: [],
    messages: {
      restated:
        '{{route}} restates its types as a generic: drop `<...>`; the TypeBox type provider infers params, query, body and reply from `schema` (a typed plugin, `FastifyPluginAsyncTypebox`).',
    },
  },
  create(context) {
    return {
      CallExpression(node) {
        const generics = node.typeArguments ?? node.typeParameters;
        if (!generics) return;
        const route = routeCall(context, node);
        if (!route) return;
        context.report({
          node: generics,
          messageId: 'restated',
          data: { route: routeName(route) },
        });
      },
    };
  },
};
