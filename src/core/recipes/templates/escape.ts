/**
 * The only way a value from the user, the data or the environment enters generated code: one
 * function per target (Python string literal, Python docstring text, `#` comment, YAML scalar,
 * Markdown, shell word). Templates never paste a raw value: a column name, a file name, a model id
 * or a version string could otherwise close a string and become code (issue 24). No imports: the
 * Slurm batch scripts of exec/ take shellQuote from here without a cycle between the folders.
 */

/**
 * Characters that change how a file is read although they look like nothing (or like a line
 * break): control characters but tab, DEL and C1 controls, Unicode line/paragraph separators,
 * bidirectional overrides and zero-width marks (a reviewer would see other code than what runs),
 * the non-characters U+FFFE/U+FFFF (invalid in YAML) and lone surrogates (not encodable as UTF-8).
 */
const UNSAFE = /[\0-\x08\x0a-\x1f\x7f-\x9f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** `\n`, `\r`… or `\uXXXX`: valid as an escape in Python strings, JSON and YAML double-quoted scalars. */
function escapeChar(c: string): string {
  return SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** A Python string literal ("…") whose value is exactly `s`. */
export function pyStr(s: string): string {
  // JSON escapes quotes, backslashes and C0 controls with escapes Python reads the same way.
  return JSON.stringify(String(s)).replace(UNSAFE, escapeChar);
}

/**
 * Text inside a `"""…"""` docstring: the docstring's value is exactly `s`. Every quote and
 * backslash is escaped, so no `"""` (or a trailing `"`) can close it and no `\N{` can break it.
 */
export function pyDocText(s: string): string {
  return pyStr(s).slice(1, -1);
}

/**
 * Text on one `#` comment line (Python, YAML, shell): a line break would start a line of code,
 * so it is shown as `\n`; other invisible characters likewise.
 */
export function commentText(s: string): string {
  return String(s).replace(UNSAFE, escapeChar);
}

export const pyComment = commentText;
export const yamlComment = commentText;

/** YAML 1.1 words a plain scalar would turn into a boolean or null. */
const YAML_WORDS = /^(?:y|yes|n|no|true|false|on|off|null|nan|inf)$/i;

/**
 * One YAML scalar whose value is the string `s`: plain when it reads as a string in every YAML
 * version (a Hub id like `org/name`), else double-quoted with JSON escapes (a subset of YAML's).
 */
export function yamlScalar(s: string): string {
  const text = String(s);
  if (/^[A-Za-z][A-Za-z0-9._-]*(?:\/[A-Za-z0-9._-]+)*$/.test(text) && !YAML_WORDS.test(text)) return text;
  return pyStr(text);
}

/** A YAML number; anything else is a programming error caught before a file is written. */
export function yamlNumber(n: unknown, field: string): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error(`${field}: expected a number for the YAML file, got ${JSON.stringify(n)}`);
  return String(n);
}

/** Markdown text on one line: line breaks shown as `\n`, and every character Markdown or HTML gives a meaning escaped. */
export function mdText(s: string): string {
  return commentText(s).replace(/[\\`*_{}[\]()<>#!|~&$]/g, (c) => `\\${c}`);
}

/** An inline code span showing `s` verbatim (a backtick inside gets a longer fence). */
export function mdCode(s: string): string {
  const text = commentText(s);
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || /^ .* $/.test(text) ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** A URL path (`org/name`): each segment percent-encoded, so `)` or a space cannot end a Markdown link. */
export function urlPath(s: string): string {
  // encodeURIComponent throws on a lone surrogate: it becomes U+FFFD first.
  return String(s).replace(LONE_SURROGATE, '\ufffd').split('/').map(encodeURIComponent).join('/');
}

/** One shell word for any content: bare when only safe characters, else single-quoted (`'\''` for a quote). POSIX. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A shell command line a user may paste: every word POSIX-quoted. */
export function shellLine(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
