import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { VERSION } from '../../src/core/version';
import { DEFAULT_SETTINGS } from '../../src/core/settings';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

test('the manifest targets the VS Code the CI workbench runs', () => {
  assert.equal(pkg.engines.vscode, '^1.100.0');
  assert.equal(pkg.devDependencies['@types/vscode'], '~1.100.0');
  assert.deepEqual(pkg.extensionKind, ['workspace']);
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
  assert.equal(pkg.bin['ml-intern'], 'dist/cli.js');
  assert.equal(pkg.version, VERSION);
});

test('the user-facing commands exist under the ML Intern category', () => {
  const byId = new Map<string, { title: string; category: string }>(pkg.contributes.commands.map((c: { command: string }) => [c.command, c]));
  for (const [id, title] of [
    ['mlIntern.fineTune', 'Fine-tune'],
    ['mlIntern.openChat', 'Open Chat'],
    ['mlIntern.setApiKey', 'Set API Key'],
    ['mlIntern.selectModel', 'Select Model'],
    ['mlIntern.stopRun', 'Stop Run'],
    ['mlIntern.showRuns', 'Show Runs'],
  ]) {
    assert.equal(byId.get(id)?.title, title, id);
    assert.equal(byId.get(id)?.category, 'ML Intern', id);
  }
});

test('every setting has a description and a default that matches the core defaults', () => {
  // Settings are grouped in categories (the Settings editor shows one section each, Language model first).
  const categories = pkg.contributes.configuration as Array<{ title: string; properties: Record<string, { default: unknown; description?: string; markdownDescription?: string }> }>;
  assert.equal(categories[0].title, 'Language model');
  assert.ok('mlIntern.provider' in categories[0].properties, 'the provider is the first group');
  const props = Object.assign({}, ...categories.map((c) => c.properties)) as (typeof categories)[number]['properties'];
  for (const [key, p] of Object.entries(props)) {
    assert.ok(p.description || p.markdownDescription, `${key} lacks a description`);
    assert.ok('default' in p, `${key} lacks a default`);
  }
  assert.equal(props['mlIntern.maxSteps'].default, DEFAULT_SETTINGS.maxSteps);
  assert.equal(props['mlIntern.autoApprove'].default, DEFAULT_SETTINGS.autoApprove);
  assert.equal(props['mlIntern.provider'].default, DEFAULT_SETTINGS.provider);
  // The CLI uses the core default when no settings file names one: both drivers write into one folder.
  assert.equal(props['mlIntern.workFolder'].default, DEFAULT_SETTINGS.workFolder);
  assert.deepEqual((props['mlIntern.provider'] as unknown as { enum: string[] }).enum.sort(), ['anthropic', 'none', 'openai', 'openai-compatible', 'vscode-lm']);
});

test('the chat panel is a webview view in the ML Intern container', () => {
  assert.equal(pkg.contributes.viewsContainers.activitybar[0].title, 'ML Intern');
  assert.equal(pkg.contributes.views.mlIntern[0].type, 'webview');
});

test('every walkthrough link runs a command of this extension, so no step depends on another extension being installed', () => {
  const contributed = new Set(pkg.contributes.commands.map((c: { command: string }) => c.command));
  const steps = pkg.contributes.walkthroughs.flatMap((w: { steps: unknown[] }) => w.steps) as Array<{ id: string; description: string; completionEvents?: string[] }>;
  for (const step of steps) {
    const linked = [...step.description.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]);
    assert.ok(linked.length, `${step.id} has a button`);
    for (const id of linked) {
      assert.ok(contributed.has(id), `${step.id} links ${id}, which this extension does not contribute`);
      assert.ok(step.completionEvents?.includes(`onCommand:${id}`), `${step.id} is not completed by its own button ${id}`);
    }
  }
});

test('the walkthrough pages\' code blocks fit the narrow media column (no line is cut off)', () => {
  // The walkthrough shows its markdown beside the steps, in about half the editor: code is not wrapped there.
  const pages = pkg.contributes.walkthroughs.flatMap((w: { steps: Array<{ media: { markdown?: string } }> }) => w.steps.map((s) => s.media.markdown)).filter(Boolean) as string[];
  assert.ok(pages.includes('docs/walkthrough/python.md'));
  for (const page of pages) {
    const blocks = [...readFileSync(page, 'utf8').matchAll(/```\w*\n([\s\S]*?)```/g)].map((m) => m[1]);
    for (const line of blocks.join('').split('\n')) assert.ok(line.length <= 40, `${page}: "${line}" is ${line.length} characters`);
  }
  assert.match(readFileSync('docs/walkthrough/python.md', 'utf8'), /pip install torch transformers \\\n\s+trl peft datasets accelerate/);
});

test('Stop Run is in the command palette only while a run is active', () => {
  const palette = pkg.contributes.menus.commandPalette as Array<{ command: string; when?: string }>;
  assert.equal(palette.find((m) => m.command === 'mlIntern.stopRun')?.when, 'mlIntern.runActive');
});

test('every mlIntern.* context key in a when clause is set by the extension (a key never set hides its command for good)', () => {
  const whens = JSON.stringify(pkg.contributes).match(/"when":\s*"[^"]*"/g) ?? [];
  const used = new Set(whens.flatMap((w) => w.replace(/view == [\w.]+/g, '').match(/mlIntern\.\w+/g) ?? []));
  const sources = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [readFileSync(join(dir, e.name), 'utf8')] : []));
  const text = sources('src/vscode').join('\n');
  assert.ok(used.has('mlIntern.runActive') && used.has('mlIntern.reviewActive'));
  for (const key of used) assert.ok(text.includes(`'setContext', '${key}'`), `${key} is used in a when clause but never set`);
});
