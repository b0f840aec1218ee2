/**
 * A tiny syntax highlighter for the languages the agent writes most
 * (python, bash, yaml, json). It returns tokens; the view turns them into
 * text nodes inside spans, so highlighting never produces markup from text.
 */

export type TokenClass = 'kw' | 'str' | 'num' | 'com' | 'key' | 'fn' | 'var' | 'lit' | 'plain';
export interface Token {
  cls: TokenClass;
  text: string;
}

const PY_KW = new Set(
  'and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case'.split(' '),
);
const PY_LIT = new Set(['True', 'False', 'None', 'self']);
const SH_KW = new Set('if then else elif fi for while do done case esac in function return export local set unset source echo cd exit'.split(' '));
const LIT = new Set(['true', 'false', 'null', 'yes', 'no', '~']);

type Lang = 'python' | 'bash' | 'yaml' | 'json';

export function normaliseLang(lang: string | undefined): Lang | undefined {
  const l = (lang ?? '').toLowerCase().trim();
  if (l === 'python' || l === 'py' || l === 'python3') return 'python';
  if (l === 'bash' || l === 'sh' || l === 'shell' || l === 'console' || l === 'zsh') return 'bash';
  if (l === 'yaml' || l === 'yml') return 'yaml';
  if (l === 'json' || l === 'jsonl') return 'json';
  return undefined;
}

/** Tokens whose texts concatenate back to `code` exactly. */
export function highlight(code: string, lang: string | undefined): Token[] {
  const l = normaliseLang(lang);
  if (!l) return [{ cls: 'plain', text: code }];
  const out: Token[] = [];
  const push = (cls: TokenClass, text: string) => {
    if (!text) return;
    const last = out[out.length - 1];
    if (last && last.cls === cls) last.text += text;
    else out.push({ cls, text });
  };
  const comment = l === 'json' ? null : '#';
  let i = 0;
  let lineStart = true;
  while (i < code.length) {
    const c = code[i];
    if (c === '\n') {
      push('plain', c);
      i++;
      lineStart = true;
      continue;
    }
    if (comment && c === comment && (l !== 'bash' || i === 0 || /\s/.test(code[i - 1]))) {
      const end = code.indexOf('\n', i);
      const stop = end < 0 ? code.length : end;
      push('com', code.slice(i, stop));
      i = stop;
      continue;
    }
    if (c === '"' || c === "'" || (c === '`' && l === 'bash')) {
      const triple = l === 'python' && code.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      let j = i + quote.length;
      while (j < code.length && !code.startsWith(quote, j)) {
        // Backslash escapes, except inside single quotes in shell.
        if (code[j] === '\\' && !(l === 'bash' && c === "'")) j++;
        if (!triple && code[j] === '\n') break;
        j++;
      }
      j = Math.min(code.length, j + (code.startsWith(quote, j) ? quote.length : 0));
      const text = code.slice(i, j);
      // A JSON/YAML string followed by ':' is a key.
      const after = code.slice(j).match(/^\s*:/);
      push((l === 'json' || l === 'yaml') && after ? 'key' : 'str', text);
      i = j;
      lineStart = false;
      continue;
    }
    if (l === 'bash' && c === '$') {
      const m = code.slice(i).match(/^\$(\{[^}\n]*\}|[A-Za-z_][A-Za-z0-9_]*|[0-9@#?*$!-])/);
      if (m) {
        push('var', m[0]);
        i += m[0].length;
        continue;
      }
    }
    const num = code.slice(i).match(/^-?(0x[0-9a-fA-F]+|\d+(\.\d+)?([eE][+-]?\d+)?)/);
    if (num && (i === 0 || !/[A-Za-z0-9_]/.test(code[i - 1])) && (c !== '-' || l !== 'bash')) {
      push('num', num[0]);
      i += num[0].length;
      lineStart = false;
      continue;
    }
    const word = code.slice(i).match(/^[A-Za-z_][A-Za-z0-9_.-]*/);
    if (word) {
      let w = word[0];
      if (l === 'python') w = w.match(/^[A-Za-z_][A-Za-z0-9_]*/)![0];
      if (l === 'bash') w = w.match(/^[A-Za-z_][A-Za-z0-9_-]*/)![0];
      const rest = code.slice(i + w.length);
      let cls: TokenClass = 'plain';
      if (l === 'python') cls = PY_KW.has(w) ? 'kw' : PY_LIT.has(w) ? 'lit' : /^\s*\(/.test(rest) ? 'fn' : 'plain';
      else if (l === 'bash') cls = SH_KW.has(w) ? 'kw' : lineStart ? 'fn' : 'plain';
      else if (l === 'yaml') cls = lineStart && /^\s*:/.test(rest) ? 'key' : LIT.has(w) ? 'lit' : 'plain';
      else cls = LIT.has(w) ? 'lit' : 'plain';
      push(cls, w);
      i += w.length;
      lineStart = false;
      continue;
    }
    if (l === 'yaml' && lineStart && (c === ' ' || c === '-' || c === '\t')) {
      push('plain', c);
      i++;
      continue;
    }
    if (l === 'bash' && lineStart && (c === ' ' || c === '\t')) {
      push('plain', c);
      i++;
      continue;
    }
    push('plain', c);
    i++;
    if (!(c === ' ' || c === '\t')) lineStart = false;
  }
  return out;
}
