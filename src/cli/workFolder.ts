/**
 * The work folder at a terminal (core/workFolder.ts): `--work-folder DIR`, else `mlIntern.workFolder`
 * where VS Code would find it — the workspace's `.vscode/settings.json`, then this machine's remote
 * (Machine) settings, then its user settings — else the default `ml-intern`. The CLI and the
 * extension driving one workspace then write the same folders and take the same script-folder
 * locks (runs/runLocks.ts), so they refuse each other.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { flagString, ParsedArgs, UsageError } from './command';
import { checkWorkFolder, WorkFolderError } from '../core/workFolder';

export const WORK_FOLDER_USAGE =
  '--work-folder DIR: the workspace folder the scripts go to (default ml-intern, "" = the workspace root; when not given,\n' +
  '          mlIntern.workFolder as the extension reads it: the workspace\'s .vscode/settings.json, else VS Code\'s settings here).';

const SETTING = 'mlIntern.workFolder';

/** The checked work folder for the workspace `root`; a value leading outside it is a usage error naming where it came from. */
export function workFolderFrom(args: ParsedArgs, root: string, env: NodeJS.ProcessEnv): string {
  const given = flagString(args, 'work-folder');
  try {
    if (given !== undefined) return checkWorkFolder(given, '--work-folder');
    for (const { file, shown } of settingsFiles(root, env)) {
      const value = workspaceSetting(file, SETTING);
      if (value !== undefined) return checkWorkFolder(value, `${SETTING} in ${shown}`);
    }
    return checkWorkFolder(undefined, SETTING);
  } catch (err) {
    if (err instanceof WorkFolderError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * The settings files VS Code reads a window setting from, most specific first: the workspace's; a
 * remote host's Machine settings (VS Code Server, code-server); the user settings of the editors
 * installed here. None from the home folder when `env` has no HOME (a test's bare environment).
 */
export function settingsFiles(root: string, env: NodeJS.ProcessEnv): { file: string; shown: string }[] {
  const files = [{ file: path.join(root, '.vscode', 'settings.json'), shown: path.join('.vscode', 'settings.json') }];
  const home = env.HOME ?? env.USERPROFILE;
  if (!home) return files;
  const config = env.XDG_CONFIG_HOME || path.join(home, '.config');
  const appData = env.APPDATA || path.join(home, 'AppData', 'Roaming');
  const macSupport = path.join(home, 'Library', 'Application Support');
  const machine = ['.vscode-server', '.vscode-server-insiders', '.vscodium-server'].map((d) => path.join(home, d, 'data', 'Machine', 'settings.json'));
  machine.push(path.join(home, '.local', 'share', 'code-server', 'Machine', 'settings.json'));
  const editors = ['Code', 'Code - Insiders', 'VSCodium'];
  const userBase = process.platform === 'darwin' ? macSupport : process.platform === 'win32' ? appData : config;
  const user = editors.map((e) => path.join(userBase, e, 'User', 'settings.json'));
  user.push(path.join(home, '.local', 'share', 'code-server', 'User', 'settings.json'));
  for (const file of [...machine, ...user]) if (existsSync(file)) files.push({ file, shown: file });
  return files;
}

/** One setting of a VS Code settings file (comments and trailing commas allowed); undefined when absent or unreadable, as VS Code then falls back too. */
export function workspaceSetting(file: string, key: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(plainJson(text)) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>)[key] : undefined;
  } catch {
    return undefined;
  }
}

/** JSON with comments (VS Code's settings files) as plain JSON: comments dropped, trailing commas removed; strings kept as they are. */
export function plainJson(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      // A string, escapes included, copied whole: "//" or "," inside one is text.
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) {
      i = afterComment(text, i);
    } else {
      // A trailing comma: the next thing after it (past blanks and comments) closes the object or array.
      if (c !== ',' || !'}]'.includes(text[nextToken(text, i + 1)] ?? '')) out += c;
      i++;
    }
  }
  return out;
}

function afterComment(text: string, i: number): number {
  if (text[i + 1] === '/') {
    const end = text.indexOf('\n', i);
    return end < 0 ? text.length : end;
  }
  const end = text.indexOf('*/', i + 2);
  return end < 0 ? text.length : end + 2;
}

function nextToken(text: string, i: number): number {
  while (i < text.length) {
    if (/\s/.test(text[i])) i++;
    else if (text[i] === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) i = afterComment(text, i);
    else return i;
  }
  return i;
}
