// docs/ARCHITECTURE.md names every folder of src/core, src/vscode and src/ui as it is: a folder added
// without a row, or a row left for a folder that was removed, fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const DOC = readFileSync(join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8');

function folders(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
}

/** The table rows of one section: the backticked `name/` cells in the first column. */
function documentedFolders(heading: string): string[] {
  const start = DOC.indexOf(heading);
  assert.ok(start >= 0, `the document has the section "${heading}"`);
  const rest = DOC.slice(start + heading.length);
  const end = rest.search(/\n## /);
  const section = end >= 0 ? rest.slice(0, end) : rest;
  const names = [...section.matchAll(/^\| `([A-Za-z]+)\/` \|/gm)].map((m) => m[1]);
  return [...new Set(names)].sort();
}

test('every folder of src/core has a row in docs/ARCHITECTURE.md, and every row a folder', () => {
  assert.deepEqual(documentedFolders('## The core (`src/core`)'), folders('src/core'));
});

test('every folder of src/vscode has a row in docs/ARCHITECTURE.md, and every row a folder', () => {
  assert.deepEqual(documentedFolders('## The VS Code host (`src/vscode`)'), folders('src/vscode'));
});

test('every folder of src/ui has a row in docs/ARCHITECTURE.md, and every row a folder', () => {
  assert.deepEqual(documentedFolders('## Host logic without the VS Code API (`src/ui`)'), folders('src/ui'));
});

test('the top-level folders of src are in the layer drawing', () => {
  for (const f of folders('src')) assert.ok(DOC.includes(`src/${f}/`), `src/${f}/ is named`);
});
