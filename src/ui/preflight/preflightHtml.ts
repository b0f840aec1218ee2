/**
 * The "Preview Training Tokens" page: a static document (no script runs in it) in the editor's
 * theme colours — trained tokens highlighted, masked ones dimmed, special tokens outlined, the
 * checks with their fixes and the length histogram. Kept free of 'vscode' so it is tested directly.
 */
import { PreflightCheck, PreflightLengths, PreflightReport, PreflightSequence } from '../../core/preflight/types';

const STATUS: Record<PreflightCheck['status'], string> = { pass: '✓ pass', fail: '✗ fail', warn: '! warning', skip: '– not applicable' };
/** Tokens drawn per sequence: a 4,000-token row would make a page nobody reads. */
const TOKENS_SHOWN = 600;

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** No script and no remote content: only the nonce'd stylesheet below may apply. */
export function preflightCsp(nonce: string): string {
  return ["default-src 'none'", `style-src 'nonce-${nonce}'`].join('; ');
}

function tokenHtml(seq: PreflightSequence): string {
  const shown = seq.tokens.slice(0, TOKENS_SHOWN).map((t) => {
    const text = esc(t.text).replace(/\n/g, '↵\n').replace(/\t/g, '→');
    const cls = `${t.trained ? 't' : 'm'}${t.special ? ' s' : ''}`;
    return `<span class="${cls}">${text}</span>`;
  });
  const rest = seq.tokens.length - shown.length;
  return shown.join('') + (rest > 0 ? `<span class="more">… ${rest} more tokens</span>` : '');
}

function rowsHtml(r: PreflightReport): string {
  return r.rows.map((row) => row.sequences.map((seq) => {
    const cut = seq.length_before_truncation > seq.count ? `, cut from ${seq.length_before_truncation}` : '';
    const name = row.sequences.length > 1 ? ` · ${esc(seq.name)}` : '';
    return `<section class="row" tabindex="0" aria-label="Row ${row.index + 1}${name}">
<h3>Row ${row.index + 1}${name}: ${seq.count} tokens${cut}, ${seq.trained} trained${row.dropped ? ' · <strong>dropped by trl</strong>' : ''}</h3>
<pre class="tokens">${tokenHtml(seq)}</pre></section>`;
  }).join('\n')).join('\n');
}

function checksHtml(checks: PreflightCheck[]): string {
  return `<ul class="checks">${checks.map((c) => `<li class="${c.status}" tabindex="0"><span class="status">${STATUS[c.status]}</span> <b>${esc(c.title)}</b>: ${esc(c.detail)}${
    c.fix && (c.status === 'fail' || c.status === 'warn') ? `<div class="fix">Fix: ${esc(c.fix)}</div>` : ''}</li>`).join('')}</ul>`;
}

function histogramHtml(l: PreflightLengths): string {
  const most = Math.max(1, ...l.histogram.map((b) => b.count));
  const bars = l.histogram.map((b) => {
    // Widths in 5 % steps: classes from the stylesheet, since the CSP allows no inline style.
    const w = Math.round((b.count / most) * 20) * 5;
    const over = l.max_length !== null && b.from >= l.max_length ? ' over' : '';
    return `<tr class="${over.trim()}"><th scope="row">${b.from}–${b.to}</th><td><div class="bar w${w}"></div></td><td>${b.count}</td></tr>`;
  });
  const scope = l.sampled ? `the first ${l.rows} rows${l.total_rows ? ` of ${l.total_rows}` : ''}` : `all ${l.rows} rows`;
  return `<p>Tokens per example (${esc(scope)}; ${esc(l.measured)}${l.max_length ? `; MAX_LENGTH ${l.max_length}` : ''})</p>
<table class="hist" aria-label="Length histogram">${bars.join('')}</table>
<p>Truncated at MAX_LENGTH: <b>${l.truncated}</b> · dropped by trl: <b>${l.dropped}</b> · 95 % fit in ${l.p95} · 99 % in ${l.p99} · longest ${l.longest}${
  l.packing_efficiency !== undefined ? ` · packing fills ${Math.round(l.packing_efficiency * 100)} %` : ''}</p>`;
}

const WIDTHS = Array.from({ length: 21 }, (_, i) => `.w${i * 5}{width:${i * 5}%}`).join('');

export function preflightHtml(r: PreflightReport, nonce: string): string {
  const failed = r.checks.filter((c) => c.status === 'fail').length;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${esc(preflightCsp(nonce))}">
<title>Training tokens: ${esc(r.script)}</title>
<style nonce="${esc(nonce)}">
body{font-family:var(--vscode-font-family);color:var(--vscode-foreground);background:var(--vscode-editor-background);padding:0 1em}
pre.tokens{font-family:var(--vscode-editor-font-family);white-space:pre-wrap;word-break:break-word;line-height:1.5}
.t{background:var(--vscode-diffEditor-insertedTextBackground);color:var(--vscode-editor-foreground);font-weight:bold}
.m{opacity:.55}
.s{outline:1px solid var(--vscode-editorWidget-border);border-radius:2px}
.row:focus,.checks li:focus{outline:1px solid var(--vscode-focusBorder)}
.checks{list-style:none;padding:0}.checks li{margin:.4em 0}
.fail .status{color:var(--vscode-errorForeground)}.warn .status{color:var(--vscode-editorWarning-foreground)}
.pass .status{color:var(--vscode-testing-iconPassed)}.skip{opacity:.7}
.fix{margin-left:2em;color:var(--vscode-textLink-foreground)}
.hist{border-collapse:collapse;width:100%}.hist th{text-align:right;padding-right:.5em;font-weight:normal;white-space:nowrap;width:8em}
.hist td:nth-child(2){width:70%}.bar{height:.9em;background:var(--vscode-charts-blue)}.over .bar{background:var(--vscode-charts-red)}
.more{opacity:.7}${WIDTHS}
</style></head><body>
<h1>What ${esc(r.script)} trains on</h1>
<p>${esc(r.model)} on ${esc(r.dataset)} · ${r.method.toUpperCase()} · trl ${esc(r.trl.version)} (${esc(r.trl.source)})</p>
<p>${esc(r.rule.text)}</p>
<p><span class="t">Highlighted</span> tokens are trained (labels ≠ -100); <span class="m">dimmed</span> ones are masked; <span class="s">outlined</span> ones are special tokens; ↵ is a line break.</p>
<h2>Rows</h2>
${rowsHtml(r)}
<h2>Checks${failed ? `: ${failed} failed` : ''}</h2>
${checksHtml(r.checks)}
<h2>Lengths</h2>
${histogramHtml(r.lengths)}
</body></html>`;
}
