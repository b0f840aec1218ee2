/**
 * Findings a validator reports on a proposed script, shown as diagnostics in
 * the diff before the user decides. The shape matches what
 * python/validate_script.py prints.
 */

export interface Finding {
  /** 1-based line. */
  line: number;
  /** 1-based column where the finding starts. */
  column: number;
  /** 1-based column where it ends (exclusive); the end of the line when absent or not after `column`. */
  endColumn?: number;
  severity: 'error' | 'warning' | 'info' | 'hint' | string;
  code: string;
  message: string;
  /** A fix the user can apply by hand. */
  suggestion?: string;
}

/** Checks a proposal; `path` is workspace-relative, `text` the full content. */
export type Validator = (path: string, text: string, signal?: AbortSignal) => Promise<Finding[]>;

/** Keep well-formed findings only: a broken validator must not break the review. */
export function sanitizeFindings(raw: unknown): Finding[] {
  if (!Array.isArray(raw)) return [];
  const out: Finding[] = [];
  for (const f of raw) {
    if (!f || typeof f !== 'object') continue;
    const r = f as Record<string, unknown>;
    if (typeof r.line !== 'number' || typeof r.message !== 'string') continue;
    out.push({
      line: Math.max(1, Math.floor(r.line)),
      column: typeof r.column === 'number' ? Math.max(1, Math.floor(r.column)) : 1,
      endColumn: typeof r.endColumn === 'number' ? Math.floor(r.endColumn) : undefined,
      severity: typeof r.severity === 'string' ? r.severity : 'warning',
      code: typeof r.code === 'string' ? r.code : '',
      message: r.message,
      suggestion: typeof r.suggestion === 'string' ? r.suggestion : undefined,
    });
  }
  return out;
}
