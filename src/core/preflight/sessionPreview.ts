/**
 * The token preview inside a fine-tune session, after the script is accepted and before any GPU
 * time: python/preflight.py on the accepted train.py with the training interpreter, shown as a chat
 * card (the `preflight_result` event) and kept in the run folder (preview.json). It advises: a
 * preview that cannot run (no transformers, no network for the tokenizer) is said with its reason
 * and the run goes on.
 */
import { EventSink, FileStore } from '../ports';
import { PythonHelperError } from '../python';
import { countFailures } from './format';
import { preflightRecipe } from './run';
import { PreflightReport } from './types';

export interface SessionPreviewPorts {
  runId: string;
  /** Workspace-relative run folder. */
  runDir: string;
  files: FileStore;
  events: EventSink;
  python: string;
  /** The training processes' environment (HF_TOKEN for gated tokenizers); never written anywhere. */
  env?: Record<string, string>;
  say: (text: string) => Promise<void>;
  signal?: AbortSignal;
}

/** The report, or undefined when the preview could not run (said to the user). */
export async function previewInSession(p: SessionPreviewPorts, scriptPath: string): Promise<PreflightReport | undefined> {
  let report: PreflightReport;
  try {
    report = await preflightRecipe(p.python, p.files.resolve(scriptPath), { cwd: p.files.root, env: { ...process.env, ...(p.env ?? {}) }, ...(p.signal ? { signal: p.signal } : {}) });
  } catch (err) {
    if (!(err instanceof PythonHelperError)) throw err;
    await p.say(`No token preview: ${err.message} The run goes on; "ML Intern: Preview Training Tokens" tries again on ${scriptPath}.`);
    return undefined;
  }
  await p.files.write(`${p.runDir}/preview.json`, JSON.stringify(report, null, 2) + '\n');
  p.events.emit({ type: 'preflight_result', runId: p.runId, report });
  const failed = countFailures(report);
  const trained = report.rows.reduce((n, r) => n + r.sequences.reduce((m, s) => m + s.trained, 0), 0);
  await p.say(
    `Token preview of ${scriptPath}: ${report.rows.length} rows, ${trained} trained tokens, mean length ${Math.round(report.lengths.mean)}` +
      `${report.lengths.truncated ? `, ${report.lengths.truncated} rows truncated at MAX_LENGTH` : ''}` +
      `${failed ? `; ${failed} check(s) failed: ${report.checks.filter((c) => c.status === 'fail').map((c) => `${c.title}${c.fix ? ` (fix: ${c.fix})` : ''}`).join('; ')}` : '; all checks pass'}.`,
  );
  return report;
}
