/**
 * The one workspace folder every command's scripts go to (mlIntern.workFolder, `--work-folder` in the
 * CLI): `ml-intern/sft-qwen…/train.py`, `ml-intern/eval-…/`, instead of a new top-level folder per
 * command. "" keeps the scripts at the workspace root (the layout before the setting). The value is
 * refused unless it names a folder inside the workspace: nothing ML Intern writes may land outside it.
 * Run records stay in `.ml-intern/runs` whatever this says.
 */
import type { Settings } from './settings';

export const DEFAULT_WORK_FOLDER = 'ml-intern';

/** Longer is a mistake (a pasted text), and the script folders under it must still fit a file name. */
const MAX_LENGTH = 120;

/** A work folder value that would write outside the workspace or over what is not ML Intern's. */
export class WorkFolderError extends Error {}

/**
 * The work folder as a clean workspace-relative path ("" for the root), or a WorkFolderError naming
 * `setting` and what to type instead. undefined means the default.
 */
export function checkWorkFolder(value: unknown, setting = 'mlIntern.workFolder'): string {
  if (value === undefined || value === null) return DEFAULT_WORK_FOLDER;
  const refuse = (why: string) =>
    new WorkFolderError(`${setting} must be a folder inside the workspace, e.g. "${DEFAULT_WORK_FOLDER}" (or "" for the workspace root), not ${shown(value)}: ${why}. Nothing was written.`);
  if (typeof value !== 'string') throw refuse('it is not text');
  // (A NUL or a line break ends or splits a path silently; the rest of the control characters are never meant.)
  if (/[\u0000-\u001f\u007f]/.test(value)) throw refuse('it holds a control character');
  const text = value.trim().replace(/\\/g, '/');
  if (text.length > MAX_LENGTH) throw refuse(`it is longer than ${MAX_LENGTH} characters`);
  if (text.startsWith('/') || /^[A-Za-z]:/.test(text)) throw refuse('an absolute path is outside the workspace');
  if (text.startsWith('~')) throw refuse('a home-folder path is outside the workspace');
  const parts = text.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw refuse('".." leads out of the workspace');
  if (parts[0] === '.ml-intern') throw refuse('.ml-intern holds the run records');
  if (parts.includes('.git')) throw refuse('.git is git\'s own folder');
  return parts.join('/');
}

/** The work folder the settings name (the default when they name none); throws WorkFolderError. */
export function workFolderOf(settings: Pick<Settings, 'workFolder'>): string {
  return checkWorkFolder(settings.workFolder);
}

/** `name` inside the work folder: "ml-intern/sft-x", or "sft-x" with the root. */
export function inWorkFolder(workFolder: string, name: string): string {
  return workFolder ? `${workFolder}/${name}` : name;
}

function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  // The message is shown whole: a long value is cut, and JSON makes its control characters visible.
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}
