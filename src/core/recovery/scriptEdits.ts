/**
 * A small keyword-argument editor for Python scripts: find a call such as
 * `TrainingArguments(` or `AutoModelForCausalLM.from_pretrained(`, find one of
 * its top-level keywords by a balanced-bracket scan that skips strings and
 * comments, and change, rename, insert or remove it. Everything else stays
 * byte for byte (indentation, comments, trailing commas, line endings).
 */

/** Per character: 1 code, 2 inside a string literal, 0 inside a comment. */
export function codeMask(src: string): Uint8Array {
  const mask = new Uint8Array(src.length);
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const triple = src.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      // A raw prefix (r'', rb'', fr'') keeps backslashes literal, but `\'` still does not end it.
      const from = i;
      i += quote.length;
      while (i < src.length) {
        if (src[i] === '\\') {
          i += 2;
          continue;
        }
        if (src.startsWith(quote, i)) {
          i += quote.length;
          break;
        }
        if (!triple && src[i] === '\n') break;
        i++;
      }
      mask.fill(2, from, Math.min(i, src.length));
      continue;
    }
    mask[i] = 1;
    i++;
  }
  return mask;
}

export interface CallSite {
  /** The callee as written (`transformers.TrainingArguments`), and its last component. */
  callee: string;
  name: string;
  /** Index of the first character of the callee. */
  start: number;
  /** Index of `(` and of the matching `)`. */
  open: number;
  close: number;
}

const CALL_RE = /([A-Za-z_][\w]*(?:\s*\.\s*[A-Za-z_]\w*)*)\s*\(/g;

/** Every call in the script (optionally only to these names: the last component of the callee). */
export function findCalls(src: string, names?: string[], mask = codeMask(src)): CallSite[] {
  const out: CallSite[] = [];
  CALL_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = CALL_RE.exec(src))) {
    const start = m.index;
    if (mask[start] !== 1 || (start > 0 && /[\w.]/.test(src[start - 1]))) continue;
    const callee = m[1].replace(/\s+/g, '');
    const name = callee.split('.').pop()!;
    const open = start + m[0].length - 1;
    if (names && !names.includes(name)) {
      CALL_RE.lastIndex = start + m[1].length;
      continue;
    }
    const close = matchingClose(src, open, mask);
    if (close < 0) continue;
    out.push({ callee, name, start, open, close });
    CALL_RE.lastIndex = open + 1;
  }
  return out;
}

function matchingClose(src: string, open: number, mask: Uint8Array): number {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    if (mask[i] !== 1) continue;
    const c = src[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return c === ')' ? i : -1;
    }
  }
  return -1;
}

export interface ArgSite {
  /** [start, end) of the argument text, trimmed of surrounding whitespace and comments. */
  start: number;
  end: number;
  keyword?: string;
  /** For keyword arguments: [valueStart, valueEnd) of the value. */
  valueStart?: number;
  valueEnd?: number;
}

/** The top-level arguments of a call. */
export function callArgs(src: string, call: CallSite, mask = codeMask(src)): ArgSite[] {
  const pieces: Array<[number, number]> = [];
  let depth = 0;
  let from = call.open + 1;
  for (let i = call.open + 1; i < call.close; i++) {
    if (mask[i] !== 1) continue;
    const c = src[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      pieces.push([from, i]);
      from = i + 1;
    }
  }
  pieces.push([from, call.close]);
  const out: ArgSite[] = [];
  for (const [a, b] of pieces) {
    let s = a;
    let e = b;
    while (s < e && (mask[s] === 0 || (mask[s] === 1 && /\s/.test(src[s])))) s++;
    while (e > s && (mask[e - 1] === 0 || (mask[e - 1] === 1 && /\s/.test(src[e - 1])))) e--;
    if (s >= e) continue;
    const arg: ArgSite = { start: s, end: e };
    const kw = /^([A-Za-z_]\w*)\s*=(?!=)\s*/.exec(src.slice(s, e));
    if (kw) {
      arg.keyword = kw[1];
      arg.valueStart = s + kw[0].length;
      arg.valueEnd = e;
    }
    out.push(arg);
  }
  return out;
}

export interface KwargSite {
  call: CallSite;
  arg: ArgSite;
  /** The value's source text. */
  value: string;
}

/** Every `keyword=` argument in calls to these names (any call when names is undefined). */
export function findKwargs(src: string, keyword: string, names?: string[]): KwargSite[] {
  const mask = codeMask(src);
  const out: KwargSite[] = [];
  for (const call of findCalls(src, names, mask)) {
    for (const arg of callArgs(src, call, mask)) {
      if (arg.keyword === keyword) out.push({ call, arg, value: src.slice(arg.valueStart, arg.valueEnd) });
    }
  }
  return out;
}

export function findKwarg(src: string, keyword: string, names?: string[]): KwargSite | undefined {
  return findKwargs(src, keyword, names)[0];
}

/** Apply non-overlapping replacements [start, end, text] (any order). */
export function applyEdits(src: string, edits: Array<[number, number, string]>): string {
  let out = src;
  for (const [s, e, t] of [...edits].sort((x, y) => y[0] - x[0])) out = out.slice(0, s) + t + out.slice(e);
  return out;
}

/** Change the value of every `keyword=` in calls to `names`. Unchanged when absent. */
export function replaceKwargValue(src: string, keyword: string, valueText: string, names?: string[]): string {
  const sites = findKwargs(src, keyword, names);
  return applyEdits(src, sites.map((k) => [k.arg.valueStart!, k.arg.valueEnd!, valueText]));
}

/** Rename `old=` to `new=` in calls to `names` (value kept). Unchanged when absent. */
export function renameKwarg(src: string, oldName: string, newName: string, names?: string[]): string {
  const sites = findKwargs(src, oldName, names);
  return applyEdits(src, sites.map((k) => [k.arg.start, k.arg.start + oldName.length, newName]));
}

/** Remove `keyword=` (with its comma) from calls to `names`. */
export function removeKwarg(src: string, keyword: string, names?: string[]): string {
  const mask = codeMask(src);
  const edits: Array<[number, number, string]> = [];
  for (const call of findCalls(src, names, mask)) {
    const args = callArgs(src, call, mask);
    const i = args.findIndex((a) => a.keyword === keyword);
    if (i < 0) continue;
    const a = args[i];
    if (i + 1 < args.length) edits.push([a.start, args[i + 1].start, '']);
    else {
      // Last argument: remove from the end of the previous one (its comma goes too, unless trailing).
      const from = i > 0 ? args[i - 1].end : call.open + 1;
      edits.push([from, a.end, '']);
    }
  }
  return applyEdits(src, edits);
}

/**
 * Insert `keyword=valueText` into the first call to one of `names` (in the
 * call's own layout: one per line with the same indent, or inline). Returns
 * undefined when there is no such call.
 */
export function insertKwarg(src: string, keyword: string, valueText: string, names: string[]): string | undefined {
  const mask = codeMask(src);
  const call = findCalls(src, names, mask)[0];
  if (!call) return undefined;
  const args = callArgs(src, call, mask);
  if (args.length === 0) return applyEdits(src, [[call.open + 1, call.open + 1, `${keyword}=${valueText}`]]);
  const last = args[args.length - 1];
  const between = src.slice(last.end, call.close);
  const trailingComma = /^\s*,/.test(between.replace(/#[^\n]*/g, ''));
  const multiline = src.slice(call.open, call.close).includes('\n');
  const lineStart = src.lastIndexOf('\n', last.start - 1) + 1;
  const lastOnOwnLine = /^\s*$/.test(src.slice(lineStart, last.start));
  const closeOnOwnLine = /\n[^\S\n]*$/.test(src.slice(0, call.close).slice(last.end));
  if (multiline && lastOnOwnLine && closeOnOwnLine) {
    const indent = src.slice(lineStart, last.start);
    const commaAt = trailingComma ? last.end + between.indexOf(',') + 1 : last.end;
    const lineEnd = src.indexOf('\n', commaAt);
    const cr = src[lineEnd - 1] === '\r' ? '\r' : '';
    const insertAt = lineEnd - cr.length;
    const edits: Array<[number, number, string]> = [[insertAt, insertAt, `${cr}\n${indent}${keyword}=${valueText}${trailingComma ? ',' : ''}`]];
    if (!trailingComma) edits.push([last.end, last.end, ',']);
    return applyEdits(src, edits);
  }
  if (trailingComma) {
    const at = last.end + between.indexOf(',') + 1;
    return applyEdits(src, [[at, at, ` ${keyword}=${valueText},`]]);
  }
  return applyEdits(src, [[last.end, last.end, `, ${keyword}=${valueText}`]]);
}

/** A top-level `NAME = value` assignment anywhere in the script (hand-written scripts keep constants too). */
export function findAssignment(src: string, name: string): { start: number; end: number; value: string } | undefined {
  const re = new RegExp(`^${name}[^\\S\\n]*(?::[^=\\n]+)?=[^\\S\\n]*(.*?)[^\\S\\n]*(?:#.*)?\\r?$`, 'm');
  const m = re.exec(src);
  if (!m) return undefined;
  const start = m.index + m[0].indexOf(m[1], name.length);
  return { start, end: start + m[1].length, value: m[1] };
}

/** Insert lines after the statement that contains index `at` (after its line end). */
export function insertAfterLineOf(src: string, at: number, lines: string[]): string {
  const eol = src.indexOf('\n', at);
  const pos = eol < 0 ? src.length : eol + 1;
  const cr = eol > 0 && src[eol - 1] === '\r' ? '\r' : '';
  const nl = `${cr}\n`;
  const text = (eol < 0 ? nl : '') + lines.map((l) => l + nl).join('');
  return src.slice(0, pos) + text + src.slice(pos);
}

/** The indentation of the line holding index `at`. */
export function indentAt(src: string, at: number): string {
  const ls = src.lastIndexOf('\n', at - 1) + 1;
  return /^[^\S\n]*/.exec(src.slice(ls))![0];
}
