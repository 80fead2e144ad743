import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const hasExport = (node) =>
  ts.canHaveModifiers(node) &&
  (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

// Type-like names only: `Inbox`, `ErrorBody`; not constants such as `MESSAGE_MAX_LENGTH`.
const isTypeName = (name) => /^[A-Z]/.test(name) && !/^[A-Z0-9_]+$/.test(name);

/**
 * The names the contract exports (`export const X`, `export type X`, `export interface X`,
 * `export { X }`), each with the file that declares it: `{ Inbox: 'common/contract/messaging.ts' }`.
 * Read when the lint config loads, so a new contract type is known without editing the config.
 */
export function readContractNames(root, folder = 'common/contract') {
  const names = {};
  const reexports = [];
  const dir = path.join(root, folder);
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  for (const file of files) {
    if (!file.endsWith('.ts') || file.endsWith('.test.ts') || file.endsWith('.d.ts')) continue;
    const relative = `${folder}/${file}`;
    const source = ts.createSourceFile(
      file,
      fs.readFileSync(path.join(dir, file), 'utf8'),
      ts.ScriptTarget.Latest,
    );
    for (const statement of source.statements) {
      const declared = [];
      if (ts.isVariableStatement(statement) && hasExport(statement)) {
        for (const d of statement.declarationList.declarations) {
          if (ts.isIdentifier(d.name)) declared.push(d.name.text);
        }
      } else if (
        (ts.isTypeAliasDeclaration(statement) ||
          ts.isInterfaceDeclaration(statement) ||
          ts.isEnumDeclaration(statement) ||
          ts.isClassDeclaration(statement) ||
          ts.isFunctionDeclaration(statement)) &&
        hasExport(statement) &&
        statement.name
      ) {
        declared.push(statement.name.text);
      } else if (
        ts.isExportDeclaration(statement) &&
        statement.exportClause &&
        ts.isNamedExports(statement.exportClause)
      ) {
        for (const element of statement.exportClause.elements) {
          reexports.push([element.name.text, relative]);
        }
      }
      for (const name of declared) if (isTypeName(name)) names[name] ??= relative;
    }
  }
  // A name declared in one file and re-exported by another is reported with its declaring file.
  for (const [name, relative] of reexports) if (isTypeName(name)) names[name] ??= relative;
  return names;
}
