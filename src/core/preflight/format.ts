/**
 * Plain-text rendering of a preflight report for terminals and the agent: trained tokens bold
 * green (or ⟦…⟧ without colours), masked ones dim, checks with their fixes, lengths as a bar chart.
 */
import { PreflightCheckStatus, PreflightLengths, PreflightReport, PreflightSequence } from './types';

export interface FormatOptions {
  /** ANSI colours (a terminal); otherwise trained runs are wrapped in ⟦…⟧. */
  color?: boolean;
  /** Tokens printed per sequence before the rest is summarised. */
  maxTokens?: number;
}

const TRAINED = '\x1b[1;32m';
const MASKED = '\x1b[2m';
const RESET = '\x1b[0m';
const BAR_WIDTH = 30;
const MARK: Record<PreflightCheckStatus, string> = { pass: '✓', fail: '✗', warn: '!', skip: '–' };

/** Token text as shown: line breaks stay visible (↵), and control characters from the data never reach the terminal. */
function visible(text: string): string {
  return text
    .replace(/\t/g, '→')
    .replace(/\r/g, '␍')
    .replace(/\n/g, '↵\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '�');
}

function sequenceText(seq: PreflightSequence, opts: FormatOptions): string {
  const shown = seq.tokens.slice(0, opts.maxTokens ?? 400);
  let out = '';
  let run = '';
  let runTrained: boolean | undefined;
  const flush = (): void => {
    if (!run) return;
    // A run ending a line closes before the break, so its marker or colour stays on its line.
    const body = run.endsWith('\n') ? run.slice(0, -1) : run;
    const tail = run.slice(body.length);
    if (opts.color) out += (runTrained ? TRAINED : MASKED) + body + RESET + tail;
    else out += (runTrained ? `⟦${body}⟧` : body) + tail;
    run = '';
  };
  for (const t of shown) {
    if (t.trained !== runTrained) flush();
    runTrained = t.trained;
    run += visible(t.text);
  }
  flush();
  const rest = seq.tokens.slice(shown.length);
  if (rest.length) out += `\n… ${rest.length} more tokens (${rest.filter((t) => t.trained).length} trained)`;
  return out;
}

function indent(text: string, by = '    '): string {
  return text.split('\n').map((l) => by + l).join('\n');
}

function lengthLines(l: PreflightLengths): string[] {
  const scope = l.sampled ? `the first ${l.rows} rows${l.total_rows ? ` of ${l.total_rows}` : ''}` : `all ${l.rows} rows`;
  const lines = [`Lengths in tokens (${scope}; ${l.measured}${l.max_length ? `, MAX_LENGTH ${l.max_length}` : ''}):`];
  const most = Math.max(1, ...l.histogram.map((b) => b.count));
  const labels = l.histogram.map((b) => `${b.from}–${b.to}`);
  const pad = Math.max(...labels.map((s) => s.length));
  l.histogram.forEach((b, i) => {
    const bar = '█'.repeat(Math.round((b.count / most) * BAR_WIDTH)) || (b.count ? '▏' : '');
    const over = l.max_length !== null && b.from >= l.max_length ? '  (over MAX_LENGTH)' : l.max_length !== null && b.to > l.max_length ? '  ← MAX_LENGTH' : '';
    lines.push(`  ${labels[i].padStart(pad)} │${bar} ${b.count}${over}`);
  });
  lines.push(`  truncated at MAX_LENGTH: ${l.truncated} · dropped by trl: ${l.dropped} · 95 % fit in ${l.p95} · 99 % in ${l.p99} · longest ${l.longest} · mean ${l.mean}`);
  if (l.packing_efficiency !== undefined) lines.push(`  packing fills ${Math.round(l.packing_efficiency * 100)} % of each packed sequence`);
  return lines;
}

export function formatPreflight(r: PreflightReport, opts: FormatOptions = {}): string {
  const lines = [
    `Preflight of ${r.script}: ${r.model} on ${r.dataset} (${r.method.toUpperCase()}, trl ${r.trl.version} ${r.trl.source})`,
    `Loss rule: ${r.rule.text}`,
    opts.color ? `Tokens: ${TRAINED}trained${RESET}, ${MASKED}masked${RESET}; ↵ is a line break.` : 'Tokens: ⟦trained⟧, the rest masked; ↵ is a line break.',
    '',
  ];
  for (const row of r.rows) {
    for (const seq of row.sequences) {
      const cut = seq.length_before_truncation > seq.count ? `, cut from ${seq.length_before_truncation}` : '';
      lines.push(`Row ${row.index + 1}${row.sequences.length > 1 ? ` · ${seq.name}` : ''}: ${seq.count} tokens${cut}, ${seq.trained} trained${row.dropped ? ' · DROPPED by trl (nothing left to learn)' : ''}`);
      lines.push(indent(sequenceText(seq, opts)), '');
    }
  }
  lines.push('Checks:');
  for (const c of r.checks) {
    lines.push(`  ${MARK[c.status]} ${c.title}: ${c.detail}`);
    if (c.fix && c.status !== 'pass' && c.status !== 'skip') lines.push(`      fix: ${c.fix}`);
  }
  lines.push('', ...lengthLines(r.lengths));
  const failed = countFailures(r);
  lines.push('', failed ? `${failed} check${failed === 1 ? '' : 's'} failed: fix ${failed === 1 ? 'it' : 'them'} before spending GPU time.` : 'No check failed.');
  return lines.join('\n');
}

export function countFailures(r: PreflightReport): number {
  return r.checks.filter((c) => c.status === 'fail').length;
}
