/**
 * validate_script: check a training script against the libraries installed in
 * the user's interpreter (python/validate_script.py) before running it:
 * keywords a class no longer takes, imports that moved, missing packages.
 */
import { validateScript, ValidationFinding } from '../../python';
import { ToolDefinition } from '../types';
import { clip, helperFailure, helperOptions } from './shared';

function describeFinding(f: ValidationFinding, source: string[]): string {
  const code = source[f.line - 1];
  const at = `line ${f.line}, column ${f.column}`;
  return `- ${f.severity.toUpperCase()} ${f.code} at ${at}: ${f.message}${f.suggestion ? ` -> ${f.suggestion}` : ''}${code !== undefined ? `\n    ${f.line} | ${clip(code.trim(), 200)}` : ''}`;
}

export const validateScriptTool: ToolDefinition<{ path: string }> = {
  name: 'validate_script',
  description:
    "Statically check a Python training script against the library versions installed in the user's interpreter, without running it: " +
    'unknown keyword arguments (e.g. SFTConfig(max_seq_length=...) in trl >= 0.20, TrainingArguments(evaluation_strategy=...)), imports that no longer exist, ' +
    'packages that are not installed, and syntax errors. Each finding has the line, the message and the fix (e.g. "use \'max_length\' instead"). ' +
    'Run it after writing or editing a script and before asking to run it; fix errors with edit_file. Reads only; needs no approval.',
  parameters: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'Workspace-relative path of the .py file.' },
    },
    required: ['path'],
  },
  approval: 'free',
  async handler(args, ctx) {
    let abs: string;
    let text: string;
    try {
      abs = ctx.files.resolve(args.path);
      const t = await ctx.files.readIfExists(args.path);
      if (t === undefined) return { ok: false, output: `File not found: ${args.path}. Use list_files to see what exists.` };
      text = t;
    } catch (err) {
      return { ok: false, output: helperFailure(`Validating ${args.path}`, err, ctx.python) };
    }
    try {
      const report = await validateScript(ctx.python, abs, helperOptions(ctx, 120_000));
      const source = text.split('\n');
      const errors = report.findings.filter((f) => f.severity === 'error');
      const warnings = report.findings.filter((f) => f.severity === 'warning');
      const libs = Object.entries(report.libraries);
      const installed = libs.filter(([, v]) => v).map(([k, v]) => `${k} ${v}`);
      const missing = libs.filter(([, v]) => !v).map(([k]) => k);
      const lines = [
        `${args.path}: ${errors.length} error${errors.length === 1 ? '' : 's'}, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}; ${report.checked} library calls checked with ${report.python}.`,
        `Checked against: ${installed.length ? installed.join(', ') : 'no installed ML libraries'}${missing.length ? `; not installed (their calls were not checked): ${missing.join(', ')}` : ''}.`,
      ];
      if (report.findings.length) lines.push(...[...errors, ...warnings].map((f) => describeFinding(f, source)));
      else lines.push('No problems found.');
      if (errors.length) lines.push('Fix the errors (edit_file) before running the script: each would fail at run time.');
      return { ok: true, output: lines.join('\n'), data: report };
    } catch (err) {
      return { ok: false, output: helperFailure(`Validating ${args.path}`, err, ctx.python) };
    }
  },
};
