/** Set API Key and mlIntern.provider: what is changed, where, and what the confirmation says. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { providerAfterKey } from '../../../src/ui/commands/providerSwitch';

test('in recipe mode by default the user setting is switched and the message names the setting, its new value and where', () => {
  const outcome = providerAfterKey({}, 'openai');
  assert.equal(outcome.kind, 'switch');
  assert.equal(outcome.kind === 'switch' && outcome.level, 'user');
  assert.match(outcome.note, /Your user settings now say "mlIntern\.provider": "openai" \(it was "none", recipe mode\)/);
  assert.match(outcome.note, /set it back to "none"/);
});

test('a workspace that says "none" is switched in the workspace settings, where a user change would not win', () => {
  const outcome = providerAfterKey({ globalValue: 'anthropic', workspaceValue: 'none' }, 'anthropic');
  assert.equal(outcome.kind === 'switch' && outcome.level, 'workspace');
  assert.match(outcome.note, /Your workspace settings now say "mlIntern\.provider": "anthropic"/);
  const folder = providerAfterKey({ workspaceFolderValue: 'none', globalValue: 'openai' }, 'openai');
  assert.equal(folder.kind === 'switch' && folder.level, 'workspaceFolder');
});

test('a provider already chosen is never changed; a key for another provider says which one stays', () => {
  const same = providerAfterKey({ globalValue: 'openai' }, 'openai');
  assert.deepEqual(same, { kind: 'keep', note: '' });
  const other = providerAfterKey({ globalValue: 'vscode-lm' }, 'anthropic');
  assert.equal(other.kind, 'keep');
  assert.match(other.note, /mlIntern\.provider stays "vscode-lm" \(not changed\); this key is used when it is "anthropic"/);
});
