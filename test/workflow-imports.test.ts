import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * The packages the workflow bundle evaluates for every workflow. The SDK runs a workflow's modules afresh for each
 * workflow (its reusable V8 context keeps one module cache per workflow), so whatever `src/workflows/index.ts`
 * imports eagerly is paid by every chain: zod and the order aggregate's schemas once doubled a chain's CPU in the
 * workflow thread, and zod in the order aggregate's validator cost each cached aggregate about 1 MB.
 */
const PER_WORKFLOW_PACKAGES = ['@temporalio/workflow', '@temporalio/common'];

/** The value imports (type-only ones are erased) of a module, as written. */
function valueImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      if (clause?.isTypeOnly === true) continue;
      const bindings = clause?.namedBindings;
      const onlyTypes =
        clause !== undefined &&
        clause.name === undefined &&
        bindings !== undefined &&
        ts.isNamedImports(bindings) &&
        bindings.elements.length > 0 &&
        bindings.elements.every((e) => e.isTypeOnly);
      if (!onlyTypes && ts.isStringLiteral(statement.moduleSpecifier)) found.push(statement.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(statement) && !statement.isTypeOnly && statement.moduleSpecifier !== undefined) {
      if (ts.isStringLiteral(statement.moduleSpecifier)) found.push(statement.moduleSpecifier.text);
    }
  }
  return found;
}

/** Every package reached through value imports from `entry`, with the chain of modules that reaches it. */
function packagesReached(entry: string): Map<string, string[]> {
  const packages = new Map<string, string[]>();
  const seen = new Set<string>();
  const walk = (file: string, path: string[]): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of valueImports(file)) {
      if (!specifier.startsWith('.')) {
        const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
        if (name !== undefined && !packages.has(name)) packages.set(name, [...path, relative(ROOT, file)]);
        continue;
      }
      const target = join(dirname(file), specifier).replace(/\.js$/, '.ts');
      walk(existsSync(target) ? target : join(target.replace(/\.ts$/, ''), 'index.ts'), [
        ...path,
        relative(ROOT, file),
      ]);
    }
  };
  walk(entry, []);
  return packages;
}

describe('the workflow bundle', () => {
  it('evaluates only the SDK and our own modules for every workflow', () => {
    const reached = packagesReached(join(ROOT, 'src', 'workflows', 'index.ts'));
    const extra = [...reached].filter(([name]) => !PER_WORKFLOW_PACKAGES.includes(name));
    expect(extra.map(([name, via]) => `${name} via ${via.join(' → ')}`)).toEqual([]);
    expect([...reached.keys()]).toContain('@temporalio/workflow');
  });
});
