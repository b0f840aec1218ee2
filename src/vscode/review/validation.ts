/**
 * Runs the validator on a proposal and shows its findings as diagnostics on
 * the proposed side, before the user decides; again (debounced) after the
 * user edits it. A stale result (the text changed meanwhile) is dropped.
 */
import * as vscode from 'vscode';
import { Finding, Validator, sanitizeFindings } from '../../core/review/findings';
import { Logger } from '../../core/ports';

export const VALIDATE_DEBOUNCE_MS = 600;

export class ProposalValidation implements vscode.Disposable {
  readonly diagnostics = vscode.languages.createDiagnosticCollection('ML Intern');
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, AbortController>();
  private readonly findings = new Map<string, Finding[]>();

  constructor(
    private validator: Validator | undefined,
    private readonly logger: Logger,
    /** Called when findings for a document change (the panel shows a count). */
    private readonly onFindings: (uri: vscode.Uri) => void,
  ) {}

  setValidator(validator: Validator | undefined): void {
    this.validator = validator;
  }

  findingsFor(uri: vscode.Uri): readonly Finding[] {
    return this.findings.get(uri.toString()) ?? [];
  }

  /** Validate now (on open) or after a pause in typing (`debounce`). `current` returns the text to check at that moment. */
  schedule(uri: vscode.Uri, path: string, current: () => string | undefined, debounce: boolean): Promise<void> {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    if (!debounce) return this.run(uri, path, current);
    return new Promise((resolve) => {
      this.timers.set(
        key,
        setTimeout(() => {
          this.timers.delete(key);
          void this.run(uri, path, current).then(resolve);
        }, VALIDATE_DEBOUNCE_MS),
      );
    });
  }

  private async run(uri: vscode.Uri, path: string, current: () => string | undefined): Promise<void> {
    const validator = this.validator;
    const key = uri.toString();
    const text = current();
    if (!validator || text === undefined) return;
    this.running.get(key)?.abort();
    const abort = new AbortController();
    this.running.set(key, abort);
    let found: Finding[];
    try {
      found = sanitizeFindings(await validator(path, text, abort.signal));
    } catch (err) {
      if (!abort.signal.aborted) this.logger.warn(`Checking ${path} failed: ${err instanceof Error ? err.message : String(err)}`);
      return;
    } finally {
      if (this.running.get(key) === abort) this.running.delete(key);
    }
    if (abort.signal.aborted || current() !== text) return;
    this.findings.set(key, found);
    this.diagnostics.set(uri, found.map((f) => toDiagnostic(f, text)));
    this.onFindings(uri);
  }

  clear(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.running.get(key)?.abort();
    this.running.delete(key);
    this.findings.delete(key);
    this.diagnostics.delete(uri);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const a of this.running.values()) a.abort();
    this.diagnostics.dispose();
  }
}

function toDiagnostic(f: Finding, text: string): vscode.Diagnostic {
  const lines = text.split('\n');
  const line = Math.min(f.line - 1, Math.max(0, lines.length - 1));
  const length = (lines[line] ?? '').replace(/\r$/, '').length;
  // Findings count columns from 1 (python/validate_script.py); VS Code from 0.
  const start = Math.min(f.column - 1, length);
  const end = f.endColumn !== undefined && f.endColumn - 1 > start ? f.endColumn - 1 : length;
  const message = f.suggestion ? `${f.message}\nSuggestion: ${f.suggestion}` : f.message;
  const d = new vscode.Diagnostic(new vscode.Range(line, start, line, Math.max(end, start)), message, severity(f.severity));
  d.source = 'ML Intern';
  if (f.code) d.code = f.code;
  return d;
}

function severity(s: string): vscode.DiagnosticSeverity {
  switch (s) {
    case 'error':
      return vscode.DiagnosticSeverity.Error;
    case 'info':
    case 'information':
      return vscode.DiagnosticSeverity.Information;
    case 'hint':
      return vscode.DiagnosticSeverity.Hint;
    default:
      return vscode.DiagnosticSeverity.Warning;
  }
}
