/**
 * What "Set API Key" does to mlIntern.provider, decided without the host (unit-tested):
 * a key alone changes nothing while the provider is 'none' (recipe mode), so the setting
 * is switched — at the level that holds 'none', else a workspace value would still win
 * over a changed user setting — and the confirmation names the setting, its new value
 * and where it was written. A key for another provider than the chosen one is said too.
 */
export type SettingLevel = 'user' | 'workspace' | 'workspaceFolder';

export interface ProviderInspection {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

export type ProviderKeyOutcome =
  | { kind: 'switch'; level: SettingLevel; note: string }
  | { kind: 'keep'; note: string };

const LEVEL_WORDS: Record<SettingLevel, string> = { user: 'user settings', workspace: 'workspace settings', workspaceFolder: 'folder settings' };

export function providerAfterKey(inspected: ProviderInspection | undefined, keyFor: string): ProviderKeyOutcome {
  const levels: Array<[SettingLevel, unknown]> = [
    ['workspaceFolder', inspected?.workspaceFolderValue],
    ['workspace', inspected?.workspaceValue],
    ['user', inspected?.globalValue],
  ];
  const set = levels.find(([, value]) => value !== undefined);
  const current = set ? String(set[1]) : 'none';
  if (current === 'none') {
    const level = set?.[0] ?? 'user';
    return {
      kind: 'switch',
      level,
      note: `Your ${LEVEL_WORDS[level]} now say "mlIntern.provider": "${keyFor}" (it was "none", recipe mode); set it back to "none" to return to recipe mode.`,
    };
  }
  if (current === keyFor) return { kind: 'keep', note: '' };
  return { kind: 'keep', note: `mlIntern.provider stays "${current}" (not changed); this key is used when it is "${keyFor}".` };
}
