// The VS Code host has one composition root (src/vscode/services.ts): each service a window shares
// is built once at activation and passed to the areas that need it. A service parked in a
// module-level variable (a `let current`, a registry object, a map of sessions, a mutable static
// field) is reachable from anywhere, outlives its window in a test bundle and hides who depends on
// whom; this scan fails when one appears in src/vscode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { tsFiles } from '../support/folderGraph';

/**
 * Module-level state that must stay, with the reason. Keyed `path:name`. Empty today: add an entry
 * only when the state cannot be an object built in services.ts (and say why).
 */
const ALLOWED: Record<string, string> = {};

interface ModuleState {
  name: string;
  line: number;
  text: string;
}

const PATTERNS: RegExp[] = [
  // A module-level variable that can be reassigned.
  /^(?:export\s+)?(?:let|var)\s+(\w+)/,
  // A module-level constant that starts empty, to be filled at run time: a registry or a cache.
  /^(?:export\s+)?const\s+(\w+)(?:\s*:[^=]+)?\s*=\s*(?:new\s+(?:Map|Set|WeakMap|WeakSet)\b(?:<.*>)?\(\s*\)|\[\s*\]|\{\s*\})\s*;/,
  // A class field shared by every instance that can be reassigned (static methods are fine).
  /^\s+(?:(?:private|protected|public)\s+)?static\s+(?!readonly\b)(\w+)\s*[?!]?\s*[:=;]/,
];

export function moduleState(text: string): ModuleState[] {
  const found: ModuleState[] = [];
  text.split('\n').forEach((line, i) => {
    for (const pattern of PATTERNS) {
      const m = pattern.exec(line);
      if (m) {
        found.push({ name: m[1], line: i + 1, text: line.trim() });
        break;
      }
    }
  });
  return found;
}

function hostState(): Array<ModuleState & { key: string }> {
  return tsFiles('src/vscode')
    .sort()
    .flatMap((file) => {
      const path = relative('.', file).split(sep).join('/');
      return moduleState(readFileSync(file, 'utf8')).map((s) => ({ ...s, key: `${path}:${s.name}` }));
    });
}

test('no module-level service or mutable state in src/vscode: services are built once in services.ts and passed down', () => {
  const offenders = hostState().filter((s) => !(s.key in ALLOWED));
  assert.deepEqual(
    offenders.map((s) => `${s.key.replace(/:[^:]+$/, '')}:${s.line}  ${s.text}`),
    [],
    'Module-level state in the VS Code host. Build the object once in createServices (src/vscode/services.ts), ' +
      'pass it to the areas that use it (areas.ts), and keep the state in its instance.',
  );
});

test('every allowed module-level state still exists (a stale entry would allow the next one silently)', () => {
  const keys = new Set(hostState().map((s) => s.key));
  assert.deepEqual(
    Object.keys(ALLOWED).filter((k) => !keys.has(k)),
    [],
  );
});

test('the scan finds the singletons the host used to have, and leaves constants, locals and static methods alone', () => {
  const planted = [
    'let controller: ReviewController | undefined;',
    'export let current: ChatPanel | undefined;',
    'var envCache = undefined;',
    'const sessions = new Map<string, AgentSession>();',
    'const active = new Map<string, Stoppable>();',
    'const registry: Registry = {};',
    'export const queue: string[] = [];',
    'export class ChatPanel {',
    '  static current: ChatPanel | undefined;',
    '  private static instance?: ChatPanel;',
    '  static active = false;',
    '}',
  ].join('\n');
  assert.deepEqual(
    moduleState(planted).map((s) => s.name),
    ['controller', 'current', 'envCache', 'sessions', 'active', 'registry', 'queue', 'current', 'instance', 'active'],
  );
  const harmless = [
    "const LIVE = new Set<RunState>(['starting', 'running', 'waiting']);",
    "export const CHAT_VIEW_ID = 'mlIntern.chat';",
    "const MODEL_ACTION_COMMANDS = { tryIt: 'mlIntern.tryIt' } as const;",
    'export function track(): void {',
    '  let wasLive = false;',
    '  const seen = new Map<string, number>();',
    '}',
    'export class Session {',
    '  static readonly KIND = "fine-tune";',
    '  static async create(request: Request): Promise<Session> {',
    '  static reopen<T>(handle: T): T {',
    '}',
  ].join('\n');
  assert.deepEqual(moduleState(harmless), []);
});
