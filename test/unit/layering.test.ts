import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { ESLint } from 'eslint';
import { FolderEdge, coreFolderEdges, describeCycle, folderCycles, tsFiles } from '../support/folderGraph';
import { filesFreeOfVscode, hostLayerFiles } from '../support/hostLayer';

test('no file under src/core imports vscode', () => {
  const offenders = tsFiles('src/core').filter((f) => /from ['"]vscode['"]|require\(['"]vscode['"]\)/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, []);
});

test('no file under src/ui imports vscode or the VS Code layer (its logic is unit-tested without VS Code)', () => {
  const files = tsFiles('src/ui');
  assert.ok(files.length > 0, 'src/ui holds the host logic that needs no VS Code API');
  const offenders = files.filter((f) => /from ['"](vscode|(\.\.\/)+vscode\/[^'"]*)['"]|require\(['"]vscode['"]\)/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, []);
});

test('the lint rule rejects a vscode import, and an import of src/vscode, added under src/ui', async () => {
  const eslint = new ESLint();
  for (const text of ["import * as vscode from 'vscode';\nexport const x = vscode;\n", "import { Host } from '../../vscode/host';\nexport type X = Host;\n"]) {
    const [result] = await eslint.lintText(text, { filePath: 'src/ui/terminal/newlines.ts' });
    const rules = result.messages.map((m) => m.ruleId);
    assert.ok(rules.includes('no-restricted-imports'), `expected no-restricted-imports for ${JSON.stringify(text)}, got ${JSON.stringify(result.messages)}`);
  }
});

// The texts below are linted as if they were the content of an existing file: the type-aware rules'
// project service only knows the files of tsconfig.json.
test('the lint rule rejects a vscode import added under src/core', async () => {
  const eslint = new ESLint();
  const [result] = await eslint.lintText("import * as vscode from 'vscode';\nexport const x = vscode;\n", { filePath: 'src/core/ports.ts' });
  const messages = result.messages.map((m) => m.ruleId);
  assert.ok(messages.includes('no-restricted-imports'), `expected no-restricted-imports, got ${JSON.stringify(result.messages)}`);
});

test('the same import is allowed in the VS Code layer', async () => {
  const eslint = new ESLint();
  const [result] = await eslint.lintText("import * as vscode from 'vscode';\nexport const x = vscode;\n", { filePath: 'src/vscode/extension.ts' });
  assert.equal(result.messages.filter((m) => m.ruleId === 'no-restricted-imports').length, 0);
});

test('type-aware lint rejects a promise nobody awaits and an async callback where a void one is expected in src/', async () => {
  const eslint = new ESLint();
  const text = [
    'export async function save(): Promise<void> {}',
    'export function onClick(): void {',
    '  save();',
    '}',
    'export function each(items: number[]): void {',
    '  items.forEach(async () => {',
    '    await save();',
    '  });',
    '}',
    "export const timer = setTimeout(async () => { await save(); }, 1);",
    '',
  ].join('\n');
  const [result] = await eslint.lintText(text, { filePath: 'src/core/util/systemClock.ts' });
  const rules = result.messages.map((m) => `${m.ruleId}:${m.line}`);
  assert.ok(rules.includes('@typescript-eslint/no-floating-promises:3'), `the bare save() call is flagged: ${JSON.stringify(result.messages)}`);
  assert.ok(rules.includes('@typescript-eslint/no-misused-promises:10'), `the async setTimeout callback is flagged: ${JSON.stringify(result.messages)}`);
});

// ── Folder layers inside src/core and the size of source files ──────────────

test('the folders of src/core form layers: no folder imports one that imports it back', () => {
  const cycles = folderCycles(coreFolderEdges()).map(describeCycle);
  assert.deepEqual(
    cycles,
    [],
    `import cycles between folders of src/core:\n${cycles.join('\n')}\n` +
      'A lower layer imports an upper one: move the shared type or constant down into the lowest folder that needs it, or pass a callback.',
  );
});

test('the cycle checker names a cycle, and finds none in a graph that has none', () => {
  const edge = (from: string, to: string): FolderEdge => ({ from, to, site: `${from}/a.ts imports ../${to}/b` });
  assert.deepEqual(folderCycles([edge('agent', 'tools'), edge('tools', 'util'), edge('agent', 'util')]), []);
  const cycles = folderCycles([edge('agent', 'tools'), edge('tools', 'util'), edge('util', 'agent')]);
  assert.equal(cycles.length, 1);
  assert.equal(describeCycle(cycles[0]), 'agent → tools → util → agent (agent/a.ts imports ../tools/b; tools/a.ts imports ../util/b; util/a.ts imports ../agent/b)');
});

test('an upward import planted into the real graph of src/core is caught and named', () => {
  const real = coreFolderEdges();
  // The real graph read from the files: if reading found nothing, the check below would prove nothing.
  assert.ok(real.length > 50, `expected the imports of src/core, got ${real.length}`);
  const down = real.find((e) => e.from === 'agent' && e.to === 'llm') ?? real[0];
  const planted: FolderEdge = { from: down.to, to: down.from, site: `${down.to}/planted.ts imports ../${down.from}/x` };
  const found = folderCycles([...real, planted]).map(describeCycle);
  assert.ok(
    found.some((c) => c.includes(planted.site)),
    `the planted import ${planted.site} is named in a cycle; cycles found: ${found.join('\n')}`,
  );
});

/** Allowed over 500 lines, each at its size when this list was written: it may shrink, never grow. */
// Empty since issue 22 item 2 split the last ones; an entry is a debt to pay back, not a way out.
const OVER_500_LINES: Record<string, number> = {};

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === '__pycache__' || name === 'node_modules') continue;
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (!/\.(png|jpe?g|gif|ico|woff2?)$/.test(name)) out.push(p.split(sep).join('/'));
  }
  return out;
}

test('no file in src/, media/ or python/ is over 500 lines (except the listed ones, which may not grow)', () => {
  const problems: string[] = [];
  const files = ['src', 'media', 'python'].flatMap((d) => sourceFiles(d));
  assert.ok(files.length > 100, `expected the source files, got ${files.length}`);
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n').length - 1;
    const allowed = OVER_500_LINES[file];
    if (lines > 500 && allowed === undefined) problems.push(`${file} has ${lines} lines: split it into files with one job each (≤ 500 lines).`);
    else if (allowed !== undefined && lines > allowed) problems.push(`${file} grew to ${lines} lines (listed at ${allowed}): split it instead.`);
    else if (allowed !== undefined && lines <= 500) problems.push(`${file} is down to ${lines} lines: remove it from OVER_500_LINES.`);
  }
  for (const file of Object.keys(OVER_500_LINES)) if (!files.includes(file)) problems.push(`${file} is listed in OVER_500_LINES but does not exist.`);
  assert.deepEqual(problems, []);
});

// ── What stays in src/vscode ─────────────────────────────────────────────────

/** Files of src/vscode that import nothing of VS Code but must stay there, each with the reason. */
const STAYS_IN_HOST_LAYER: Record<string, string> = {
  'src/vscode/lazy/mcpBundle.ts': 'the entry of dist/mcp.js: esbuild.js and lazy/loader.ts name its path beside the other lazy bundle',
};

test('every file under src/vscode imports vscode or a file that does: one that needs neither belongs in src/ui', () => {
  const files = hostLayerFiles();
  assert.ok(files.size > 30, `expected the files of src/vscode, got ${files.size}`);
  const free = filesFreeOfVscode(files);
  assert.deepEqual(
    free.filter((f) => !(f in STAYS_IN_HOST_LAYER)),
    [],
    'These files need no VS Code API: git mv them to the same subfolder of src/ui (its unit tests run under plain Node), ' +
      'or list them in STAYS_IN_HOST_LAYER with the reason they must stay.',
  );
  // A stale entry would let the next vscode-free file stay silently.
  assert.deepEqual(Object.keys(STAYS_IN_HOST_LAYER).filter((f) => !free.includes(f)), [], 'STAYS_IN_HOST_LAYER lists a file that is gone or now needs vscode');
});

test('the scan follows imports through src/vscode (type-only ones and cycles too) and flags a planted file that needs no vscode', () => {
  const files = new Map([
    ['src/vscode/host.ts', "import * as vscode from 'vscode';\nexport type Host = vscode.Disposable;\n"],
    ['src/vscode/chat/handlers.ts', "import type { Host } from '../host';\nexport interface Ctx { host: Host }\n"],
    ['src/vscode/chat/defaultChat.ts', "import type { Ctx } from './handlers';\nexport const f = (c: Ctx) => c;\n"],
    ['src/vscode/lazy/index.ts', "export { x } from '../../core/x';\n"],
    ['src/vscode/a.ts', "import { b } from './b';\nexport const a = b;\n"],
    ['src/vscode/b.ts', "import { a } from './a';\nexport const b = a;\n"],
    ['src/vscode/c.ts', "import { d } from './d';\nimport * as vscode from 'vscode';\nexport const c = [d, vscode];\n"],
    ['src/vscode/d.ts', "import { c } from './c.js';\nexport const d = c;\n"],
    ['src/vscode/words.ts', "import { y } from '../ui/words';\nimport { z } from './lazy';\nexport const w = y + z;\n"],
  ]);
  assert.deepEqual(filesFreeOfVscode(files), ['src/vscode/a.ts', 'src/vscode/b.ts', 'src/vscode/lazy/index.ts', 'src/vscode/words.ts']);
  const real = hostLayerFiles();
  real.set('src/vscode/planted.ts', "import { LIVE } from '../ui/runStatus';\nexport const planted = LIVE;\n");
  assert.ok(filesFreeOfVscode(real).includes('src/vscode/planted.ts'));
});
