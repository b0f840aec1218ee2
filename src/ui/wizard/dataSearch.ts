/**
 * Which workspace files the Fine-tune wizard and Try It offer as data: never what ML Intern wrote
 * itself. Its scripts, transcripts, evaluation results and trained models (their config.json,
 * trainer_state.json …) all live in the work folder (core/workFolder.ts), so that one folder is left
 * out of the search, with the run records and the usual tool folders.
 */

const ALWAYS = ['**/node_modules/**', '**/.git/**', '**/.ml-intern/**', '**/.venv/**', '**/venv/**', '**/.vscode/**', '**/package.json', '**/package-lock.json', '**/tsconfig*.json', '**/*.ipynb'];

/** A folder name the glob can hold as it is (no braces, commas, brackets or wildcards to escape). */
const PLAIN = /^[A-Za-z0-9._ /-]+$/;

/** The exclude glob of a data file search (vscode.workspace.findFiles), `extra` patterns added. */
export function dataSearchExclude(workFolder: string, extra: string[] = []): string {
  const own = workFolder && PLAIN.test(workFolder) ? [`${workFolder}/**`] : [];
  return `{${[...ALWAYS, ...own, ...extra].join(',')}}`;
}

/** Whether a workspace-relative file is outside the work folder (a work folder the glob cannot name is filtered here). */
export function notInWorkFolder(file: string, workFolder: string): boolean {
  return !workFolder || !`${file.replace(/\\/g, '/')}`.startsWith(`${workFolder}/`);
}
