const keyName = (key) => (key.type === 'Identifier' ? key.name : String(key.value));

/** `type Inbox = contract.Inbox` or `type Inbox = import('...').Inbox`: a name, not a copy. */
function isAliasOfSameName(node) {
  if (node.type !== 'TSTypeAliasDeclaration') return false;
  const name = node.id.name;
  const type = node.typeAnnotation;
  if (type.type === 'TSTypeReference' && type.typeName.type === 'TSQualifiedName') {
    return type.typeName.right.name === name;
  }
  if (type.type === 'TSImportType') {
    const qualifier = type.qualifier;
    return (qualifier?.type === 'Identifier' ? qualifier.name : qualifier?.right?.name) === name;
  }
  return false;
}

/** `{ code, message }` or `{ code, status }`: the members of the API's one error body. */
function isErrorBodyShape(type) {
  if (type?.type !== 'TSTypeLiteral') return false;
  const members = new Set(
    type.members
      .filter((m) => m.type === 'TSPropertySignature' && !m.computed)
      .map((m) => keyName(m.key)),
  );
  return members.has('code') && (members.has('message') || members.has('status'));
}

/** @type {import('eslint').Rule.RuleModule} */
export const noRestatedContractType = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'The web apps import the API types from common/contract/ instead of writing their own copies.',
    },
    schema: [
      {
        type: 'object',
        properties: {
          names: { type: 'object', additionalProperties: { type: 'string' } },
          errorBody: { type: 'string' },
        },
        additionalProperties: false,
      },
    ],
    messages: {
      restated: 'Import {{name}} from {{file}} instead of restating it.',
      errorBody:
        'Import ErrorBody from {{file}} instead of restating the error body `{ error: { status, code, message, field? } }`.',
    },
  },
  create(context) {
    const options = context.options[0] ?? {};
    const names = options.names ?? {};
    const errorFile = (options.errorBody ?? 'common/contract/common.ts').replace(/\.ts$/, '');
    const checkDeclaration = (node) => {
      const file = Object.hasOwn(names, node.id.name) ? names[node.id.name] : undefined;
      if (!file || isAliasOfSameName(node)) return;
      context.report({
        node: node.id,
        messageId: 'restated',
        data: { name: node.id.name, file: file.replace(/\.ts$/, '') },
      });
    };
    return {
      TSInterfaceDeclaration: checkDeclaration,
      TSTypeAliasDeclaration: checkDeclaration,
      TSPropertySignature(node) {
        if (node.computed || keyName(node.key) !== 'error') return;
        if (!isErrorBodyShape(node.typeAnnotation?.typeAnnotation)) return;
        context.report({ node, messageId: 'errorBody', data: { file: errorFile } });
      },
    };
  },
};
