/**
 * A default ML Intern changes for the user (package.json configurationDefaults) reaches beyond the
 * extension — `diffEditor.codeLens` is on in every diff editor — so the Marketplace README must name
 * each one and say how to turn it off (issue 25 polish).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

test('every VS Code default the extension changes is explained in the Marketplace README, with how to undo it', () => {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { contributes: { configurationDefaults?: Record<string, unknown> } };
  const defaults = Object.entries(manifest.contributes.configurationDefaults ?? {});
  const readme = readFileSync(path.join(ROOT, 'docs', 'MARKETPLACE.md'), 'utf8');
  for (const [key, value] of defaults) {
    assert.ok(readme.includes(`\`${key}\``), `docs/MARKETPLACE.md does not name ${key}`);
    const undo = new RegExp(`"${key.replace(/\./g, '\\.')}":\\s+${JSON.stringify(typeof value === 'boolean' ? !value : null)}`);
    if (typeof value === 'boolean') assert.match(readme, undo, `docs/MARKETPLACE.md does not say how to set ${key} back to ${String(!value)}`);
  }
});
