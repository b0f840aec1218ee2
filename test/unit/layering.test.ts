import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) tsFiles(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('no file under src/core imports vscode', () => {
  const offenders = tsFiles('src/core').filter((f) => /from ['"]vscode['"]|require\(['"]vscode['"]\)/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, []);
});

test('the lint rule rejects a vscode import added under src/core', async () => {
  const eslint = new ESLint();
  const [result] = await eslint.lintText("import * as vscode from 'vscode';\nexport const x = vscode;\n", { filePath: 'src/core/agent/newFile.ts' });
  const messages = result.messages.map((m) => m.ruleId);
  assert.ok(messages.includes('no-restricted-imports'), `expected no-restricted-imports, got ${JSON.stringify(result.messages)}`);
});

test('the same import is allowed in the VS Code layer', async () => {
  const eslint = new ESLint();
  const [result] = await eslint.lintText("import * as vscode from 'vscode';\nexport const x = vscode;\n", { filePath: 'src/vscode/newFile.ts' });
  assert.equal(result.messages.filter((m) => m.ruleId === 'no-restricted-imports').length, 0);
});
