/**
 * Which files of the VS Code layer need it: a file under src/vscode that imports 'vscode', or a
 * file of src/vscode that does (type-only imports count: a type from 'vscode' ties the file to
 * it). A file that reaches neither is host logic that belongs in src/ui, where it is unit-tested
 * under plain Node; test/unit/layering.test.ts fails on one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { tsFiles } from './folderGraph';

// Static imports and re-exports, dynamic import(), require(): the specifier of each.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;

/** `files`: path (relative to the repository, with '/') → text. Returns the paths that never reach 'vscode'. */
export function filesFreeOfVscode(files: Map<string, string>): string[] {
  const resolveIn = (from: string, spec: string): string | undefined => {
    if (!spec.startsWith('.')) return undefined;
    const base = join(dirname(from), spec).split(sep).join('/').replace(/\.(ts|js)$/, '');
    return [`${base}.ts`, `${base}/index.ts`].find((p) => files.has(p));
  };
  const imports = new Map([...files].map(([file, text]) => [file, [...text.matchAll(SPECIFIER)].map((m) => m[1])]));
  // Grown to a fixed point: a file reaches 'vscode' when it imports it or a file already known to.
  const reaching = new Set<string>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const [file, specs] of imports) {
      if (reaching.has(file)) continue;
      if (specs.some((s) => s === 'vscode' || reaching.has(resolveIn(file, s) ?? ''))) {
        reaching.add(file);
        grew = true;
      }
    }
  }
  return [...files.keys()].sort().filter((f) => !reaching.has(f));
}

/** The files of src/vscode as they are, keyed like `src/vscode/extension.ts`. */
export function hostLayerFiles(root = resolve(__dirname, '../..')): Map<string, string> {
  const dir = join(root, 'src', 'vscode');
  const files = new Map<string, string>();
  if (!existsSync(dir)) return files;
  for (const file of tsFiles(dir)) files.set(relative(root, file).split(sep).join('/'), readFileSync(file, 'utf8'));
  return files;
}
