import path from 'node:path';
import {
  isGraphFile,
  moduleGraph,
  moduleOf,
  resolveRelative,
  shortestPath,
} from './module-graph.js';

const DEFAULT_ROOTS = ['server', 'web', 'common'];
const DEFAULT_GROUPS = ['server/modules/*', 'web/*/features/*'];

/** Whether an import or export is erased at compile time (`import type`, `export type`). */
function isTypeOnly(node) {
  if (node.importKind === 'type' || node.exportKind === 'type') return true;
  return (
    node.type === 'ImportDeclaration' &&
    node.specifiers.length > 0 &&
    node.specifiers.every((s) => s.importKind === 'type')
  );
}

/** @type {import('eslint').Rule.RuleModule} */
export const noModuleCycle = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'Areas (server/modules/<area>, web/<app>/features/<name>) do not import each other in a circle, directly or through shared files.',
    },
    schema: [
      {
        type: 'object',
        properties: {
          root: { type: 'string' },
          roots: { type: 'array', items: { type: 'string' } },
          groups: { type: 'array', items: { type: 'string' } },
        },
        additionalProperties: false,
      },
    ],
    messages: {
      cycle:
        'Module cycle: {{chain}}{{evidence}}. Move what both need into a module both may import (a policy, a repository, common/), or pass it in.',
    },
  },
  create(context) {
    const options = context.options[0] ?? {};
    const root = options.root ?? context.cwd;
    const roots = options.roots ?? DEFAULT_ROOTS;
    const groups = options.groups ?? DEFAULT_GROUPS;
    const file = context.physicalFilename;
    const relative = (f) => path.relative(root, f).split(path.sep).join('/');
    // Tests and test helpers are imported by nothing, so they close no cycle.
    if (!isGraphFile(root, file, roots)) return {};
    const own = moduleOf(root, file, groups);

    const check = (node) => {
      const specifier = node.source?.value;
      if (typeof specifier !== 'string' || !specifier.startsWith('.') || isTypeOnly(node)) return;
      const target = resolveRelative(file, specifier);
      if (!target) return;
      const other = moduleOf(root, target, groups);
      if (other === own) return;
      const edges = moduleGraph(root, roots, groups);
      const back = shortestPath(edges, other, own);
      if (!back) return;
      const chain = [own, ...back];
      const evidence = back
        .slice(1)
        .map((to, i) => {
          const edge = edges.get(back[i]).get(to);
          return `${relative(edge.file)} imports ${relative(edge.target)}`;
        })
        .join('; ');
      context.report({
        node,
        messageId: 'cycle',
        data: { chain: chain.join(' -> '), evidence: evidence ? ` (${evidence})` : '' },
      });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};
