import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const SOURCE = /\.(ts|tsx)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist', 'migrations', 'test']);
const isTest = (file) => /\.(test|spec)\.tsx?$/.test(file);

/** Whether a file is part of the graph: a source file of `roots`, not a test or test helper. */
export function isGraphFile(root, file, roots) {
  const parts = path.relative(root, file).split(path.sep);
  return (
    roots.includes(parts[0]) &&
    SOURCE.test(file) &&
    !file.endsWith('.d.ts') &&
    !isTest(file) &&
    !parts.slice(0, -1).some((part) => SKIP_DIRS.has(part))
  );
}

/** Files of `roots`, tests and test helpers left out: nothing imports them. */
function sourceFiles(root, roots) {
  const files = [];
  const walk = (dir) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) walk(full);
      } else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts') && !isTest(full)) {
        files.push(full);
      }
    }
  };
  for (const r of roots) walk(path.join(root, r));
  return files;
}

/** `./x.js` -> `x.ts`, `../ui/card` -> `card.tsx`: the file a relative specifier names. */
function resolveRelative(from, specifier) {
  const base = path.resolve(path.dirname(from), specifier);
  const stem = base.replace(/\.(js|jsx|mjs)$/, '');
  for (const candidate of [
    base,
    `${stem}.ts`,
    `${stem}.tsx`,
    path.join(base, 'index.ts'),
    path.join(base, 'index.tsx'),
  ]) {
    if (SOURCE.test(candidate) && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

const typeOnly = (node) => {
  if (ts.isExportDeclaration(node)) return node.isTypeOnly;
  const clause = node.importClause;
  if (!clause) return false;
  if (clause.isTypeOnly) return true;
  const bindings = clause.namedBindings;
  return (
    !clause.name &&
    bindings !== undefined &&
    ts.isNamedImports(bindings) &&
    bindings.elements.length > 0 &&
    bindings.elements.every((e) => e.isTypeOnly)
  );
};

/** The relative imports of a file that exist at run time (`import type` is erased). */
function runtimeImports(file) {
  const source = ts.createSourceFile(
    file,
    fs.readFileSync(file, 'utf8'),
    ts.ScriptTarget.Latest,
    false,
    file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  const found = [];
  const add = (literal) => {
    if (!literal.text.startsWith('.')) return;
    const target = resolveRelative(file, literal.text);
    if (target) found.push(target);
  };
  const visit = (node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      if (!typeOnly(node)) add(node.moduleSpecifier);
      return;
    }
    if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      add(node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/**
 * The module a file belongs to: its area, `server/modules/<area>` or `web/<app>/features/<name>`
 * (the `groups`). Any other file (`server/jobs/queue.ts`, `web/ui/card.tsx`) is a node of its own,
 * so a cycle through shared code is one only when that file itself imports its way back.
 */
export function moduleOf(root, file, groups) {
  const relative = path.relative(root, file).split(path.sep).join('/');
  const parts = relative.split('/');
  for (const group of groups) {
    const pattern = group.split('/');
    if (parts.length > pattern.length && pattern.every((p, i) => p === '*' || p === parts[i])) {
      return parts.slice(0, pattern.length).join('/');
    }
  }
  return relative;
}

const cache = new Map();

/** Runtime imports of a file, read again only when the file changed. */
function importsOf(file) {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) return [];
  const mtime = stat.mtimeMs;
  const hit = cache.get(file);
  if (hit && hit.mtime === mtime) return hit.imports;
  let imports;
  try {
    imports = runtimeImports(file);
  } catch (error) {
    // Removed since the folder was listed (an edit in progress): it imports nothing.
    if (error.code === 'ENOENT') return [];
    throw error;
  }
  cache.set(file, { mtime, imports });
  return imports;
}

/**
 * The module graph of the project: for each module, the modules it imports at run time with
 * one file-to-file import as evidence of each edge.
 */
function buildGraph(root, roots, groups) {
  const edges = new Map();
  for (const file of sourceFiles(root, roots)) {
    const from = moduleOf(root, file, groups);
    if (!edges.has(from)) edges.set(from, new Map());
    for (const target of importsOf(file)) {
      const to = moduleOf(root, target, groups);
      if (to === from || edges.get(from).has(to)) continue;
      edges.get(from).set(to, { file, target });
    }
  }
  return edges;
}

let built;

/**
 * The module graph, built once for all the files of a lint run: it is rebuilt when older than
 * two seconds (an editor sees an edit soon after), and each build re-reads only changed files.
 */
export function moduleGraph(root, roots, groups) {
  const key = JSON.stringify([root, roots, groups]);
  if (!built || built.key !== key || Date.now() - built.at > 2000) {
    built = { key, at: Date.now(), edges: buildGraph(root, roots, groups) };
  }
  return built.edges;
}

/** The shortest chain of modules from `start` to `goal`, or undefined when there is none. */
export function shortestPath(edges, start, goal) {
  const previous = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const current = queue.shift();
    if (current === goal) {
      const chain = [];
      for (let at = goal; at !== null; at = previous.get(at)) chain.unshift(at);
      return chain;
    }
    for (const next of edges.get(current)?.keys() ?? []) {
      if (!previous.has(next)) {
        previous.set(next, current);
        queue.push(next);
      }
    }
  }
  return undefined;
}

export { resolveRelative };
