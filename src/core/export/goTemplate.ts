/**
 * A renderer for the subset of Go's text/template that the Ollama Modelfiles we write use, so the
 * TEMPLATE we emit can be rendered here and compared with the training chat template before it is
 * exported. Ollama executes TEMPLATE with Go's text/template over
 * {System, Messages: [{Role, Content}], Tools, …} (template/template.go Execute + collate).
 *
 * Supported: text, `{{- … -}}` trimming, `if / else if / else / end`, `range $i, $v := …` and
 * `range …`, `$x := …`, fields (`.Role`, `$.System`, `$v.Content`), string and integer literals,
 * parenthesised calls and the functions eq ne lt le gt ge and or not len slice index.
 * Anything else is an error naming it, never a silent empty string.
 */

export type GoValue = string | number | boolean | null | undefined | GoValue[] | { [key: string]: GoValue };

export class GoTemplateError extends Error {}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'print'; expr: Expr }
  | { kind: 'assign'; name: string; expr: Expr }
  | { kind: 'if'; branches: { cond: Expr; body: Node[] }[]; otherwise: Node[] }
  | { kind: 'range'; keyVar?: string; valueVar?: string; expr: Expr; body: Node[] };

type Expr =
  | { kind: 'lit'; value: GoValue }
  | { kind: 'field'; root: 'dot' | 'top' | string; path: string[] }
  | { kind: 'call'; fn: string; args: Expr[] };

interface Action {
  text: string;
}

/** Split into text and actions, applying the trim markers: `{{- ` eats white space before, ` -}}` after. */
function lex(src: string): (string | Action)[] {
  const out: (string | Action)[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (open < 0) {
      if (text) out.push(text);
      break;
    }
    const close = src.indexOf('}}', open + 2);
    if (close < 0) throw new GoTemplateError(`unclosed action at offset ${open}`);
    let inner = src.slice(open + 2, close);
    if (/^- /.test(inner) || inner === '-') {
      text = text.replace(/\s+$/, '');
      inner = inner.slice(1);
    }
    trimNext = / -$/.test(inner);
    if (trimNext) inner = inner.slice(0, -1);
    if (text) out.push(text);
    const trimmed = inner.trim();
    if (!trimmed.startsWith('/*')) out.push({ text: trimmed });
    i = close + 2;
  }
  return out;
}

/** Tokens of one action: strings, numbers, names, `$vars`, `.fields`, `:=`, `,`, parentheses. */
function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|:=|[(),]|\$?[A-Za-z_0-9]*(?:\.[A-Za-z_][A-Za-z_0-9]*)+|\$[A-Za-z_0-9]*|\.|-?\d+|[A-Za-z_][A-Za-z_0-9]*)/y;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    m = re.exec(text);
    if (!m || m[0].length === 0) {
      if (/^\s*$/.test(text.slice(pos))) break;
      throw new GoTemplateError(`cannot read "${text.slice(pos).trim()}" in {{ ${text} }}`);
    }
    tokens.push(m[1]);
    pos = re.lastIndex;
  }
  return tokens;
}

function parseOperand(tok: string): Expr {
  if (tok.startsWith('"')) return { kind: 'lit', value: JSON.parse(tok) as string };
  if (tok.startsWith('`')) return { kind: 'lit', value: tok.slice(1, -1) };
  if (/^-?\d+$/.test(tok)) return { kind: 'lit', value: Number(tok) };
  if (tok === 'true' || tok === 'false') return { kind: 'lit', value: tok === 'true' };
  if (tok === '.') return { kind: 'field', root: 'dot', path: [] };
  if (tok.startsWith('.')) return { kind: 'field', root: 'dot', path: tok.slice(1).split('.') };
  if (tok.startsWith('$')) {
    const [name, ...path] = tok.split('.');
    return { kind: 'field', root: name === '$' ? 'top' : name, path };
  }
  throw new GoTemplateError(`unknown operand "${tok}"`);
}

const FUNCS = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or', 'not', 'len', 'slice', 'index']);

/** A pipeline without `|`: one command (a function and its arguments) or one operand. */
function parseCommand(tokens: string[], pos: { i: number }, until: string | undefined): Expr {
  const items: Expr[] = [];
  let fn: string | undefined;
  while (pos.i < tokens.length && tokens[pos.i] !== until) {
    const tok = tokens[pos.i++];
    if (tok === '(') {
      items.push(parseCommand(tokens, pos, ')'));
      if (tokens[pos.i++] !== ')') throw new GoTemplateError('missing ")"');
    } else if (items.length === 0 && fn === undefined && /^[A-Za-z_]\w*$/.test(tok) && tok !== 'true' && tok !== 'false') {
      if (!FUNCS.has(tok)) throw new GoTemplateError(`function "${tok}" is not one this renderer knows (${[...FUNCS].join(', ')})`);
      fn = tok;
    } else {
      items.push(parseOperand(tok));
    }
  }
  if (fn) return { kind: 'call', fn, args: items };
  if (items.length !== 1) throw new GoTemplateError(`expected one value, got ${items.length}`);
  return items[0];
}

function parseExpr(text: string): Expr {
  const tokens = tokenize(text);
  const pos = { i: 0 };
  const expr = parseCommand(tokens, pos, undefined);
  if (pos.i !== tokens.length) throw new GoTemplateError(`unexpected "${tokens[pos.i]}" in {{ ${text} }}`);
  return expr;
}

/** Parse the lexed stream into a tree; stops at `else`/`end` for the caller to handle. */
function parseNodes(items: (string | Action)[], pos: { i: number }): { nodes: Node[]; stop?: string } {
  const nodes: Node[] = [];
  while (pos.i < items.length) {
    const item = items[pos.i++];
    if (typeof item === 'string') {
      nodes.push({ kind: 'text', text: item });
      continue;
    }
    const a = item.text;
    if (a === 'end' || a === 'else' || a.startsWith('else if ')) return { nodes, stop: a };
    if (a.startsWith('if ')) {
      const branches = [{ cond: parseExpr(a.slice(3)), body: [] as Node[] }];
      let otherwise: Node[] = [];
      for (;;) {
        const inner = parseNodes(items, pos);
        if (inner.stop === undefined) throw new GoTemplateError('"if" without "end"');
        branches[branches.length - 1].body = inner.nodes;
        if (inner.stop === 'end') break;
        if (inner.stop === 'else') {
          const rest = parseNodes(items, pos);
          if (rest.stop !== 'end') throw new GoTemplateError('"else" without "end"');
          otherwise = rest.nodes;
          break;
        }
        branches.push({ cond: parseExpr(inner.stop.slice('else if '.length)), body: [] });
      }
      nodes.push({ kind: 'if', branches, otherwise });
      continue;
    }
    if (a.startsWith('range ')) {
      const m = /^range\s+(?:(\$\w*)\s*(?:,\s*(\$\w*))?\s*:=\s*)?(.+)$/.exec(a);
      if (!m) throw new GoTemplateError(`cannot read {{ ${a} }}`);
      const inner = parseNodes(items, pos);
      if (inner.stop !== 'end') throw new GoTemplateError('"range" without "end"');
      const [keyVar, valueVar] = m[2] ? [m[1], m[2]] : [undefined, m[1]];
      nodes.push({ kind: 'range', keyVar, valueVar, expr: parseExpr(m[3]), body: inner.nodes });
      continue;
    }
    const assign = /^(\$\w+)\s*:=\s*(.+)$/.exec(a);
    if (assign) {
      nodes.push({ kind: 'assign', name: assign[1], expr: parseExpr(assign[2]) });
      continue;
    }
    nodes.push({ kind: 'print', expr: parseExpr(a) });
  }
  return { nodes };
}

/** Go's truth: false, 0, nil, and empty strings, slices and maps are false. */
function truthy(v: GoValue): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

interface Scope {
  dot: GoValue;
  top: GoValue;
  vars: Map<string, GoValue>;
}

function field(value: GoValue, name: string): GoValue {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    if (!(name in value)) throw new GoTemplateError(`no field "${name}"`);
    return value[name];
  }
  throw new GoTemplateError(`cannot read field "${name}" of ${Array.isArray(value) ? 'a list' : typeof value}`);
}

function evaluate(e: Expr, s: Scope): GoValue {
  if (e.kind === 'lit') return e.value;
  if (e.kind === 'field') {
    let v: GoValue;
    if (e.root === 'dot') v = s.dot;
    else if (e.root === 'top') v = s.top;
    else {
      if (!s.vars.has(e.root)) throw new GoTemplateError(`undefined variable "${e.root}"`);
      v = s.vars.get(e.root);
    }
    for (const name of e.path) v = field(v, name);
    return v;
  }
  const args = () => e.args.map((a) => evaluate(a, s));
  switch (e.fn) {
    case 'eq': {
      const [first, ...rest] = args();
      return rest.some((r) => r === first);
    }
    case 'ne': {
      const [a, b] = args();
      return a !== b;
    }
    case 'lt': case 'le': case 'gt': case 'ge': {
      const [a, b] = args();
      if (typeof a !== 'number' || typeof b !== 'number') throw new GoTemplateError(`${e.fn} compares numbers`);
      return e.fn === 'lt' ? a < b : e.fn === 'le' ? a <= b : e.fn === 'gt' ? a > b : a >= b;
    }
    case 'and': {
      let last: GoValue = true;
      for (const a of e.args) {
        last = evaluate(a, s);
        if (!truthy(last)) return last;
      }
      return last;
    }
    case 'or': {
      let last: GoValue = false;
      for (const a of e.args) {
        last = evaluate(a, s);
        if (truthy(last)) return last;
      }
      return last;
    }
    case 'not':
      return !truthy(args()[0]);
    case 'len': {
      const [v] = args();
      if (typeof v === 'string' || Array.isArray(v)) return v.length;
      throw new GoTemplateError('len of a value that is not a string or a list');
    }
    case 'slice': {
      const [v, from, to] = args();
      if (!Array.isArray(v) && typeof v !== 'string') throw new GoTemplateError('slice of a value that is not a list');
      return v.slice(Number(from ?? 0), to === undefined ? undefined : Number(to)) as GoValue;
    }
    case 'index': {
      const [v, i] = args();
      if (Array.isArray(v) && typeof i === 'number') return v[i];
      if (v && typeof v === 'object' && typeof i === 'string') return (v as Record<string, GoValue>)[i];
      throw new GoTemplateError('index of a value that is not a list or a map');
    }
  }
  throw new GoTemplateError(`unknown function "${e.fn}"`);
}

function print(v: GoValue): string {
  if (v === undefined || v === null) return '<no value>';
  if (typeof v === 'object') throw new GoTemplateError('printing a list or a map is not supported');
  return String(v);
}

function run(nodes: Node[], s: Scope, out: string[]): void {
  for (const n of nodes) {
    switch (n.kind) {
      case 'text':
        out.push(n.text);
        break;
      case 'print':
        out.push(print(evaluate(n.expr, s)));
        break;
      case 'assign':
        s.vars.set(n.name, evaluate(n.expr, s));
        break;
      case 'if': {
        const branch = n.branches.find((b) => truthy(evaluate(b.cond, s)));
        run(branch ? branch.body : n.otherwise, s, out);
        break;
      }
      case 'range': {
        const list = evaluate(n.expr, s);
        if (list === undefined || list === null) break;
        if (!Array.isArray(list)) throw new GoTemplateError('range over a value that is not a list');
        list.forEach((item, i) => {
          // Variables declared in the body are local to one iteration, as in Go.
          const vars = new Map(s.vars);
          if (n.keyVar) vars.set(n.keyVar, i);
          if (n.valueVar) vars.set(n.valueVar, item);
          run(n.body, { dot: item, top: s.top, vars }, out);
        });
        break;
      }
    }
  }
}

/** Parse once; the result renders any data. Throws GoTemplateError on what it does not support. */
export function compileGoTemplate(src: string): (data: { [key: string]: GoValue }) => string {
  const parsed = parseNodes(lex(src), { i: 0 });
  if (parsed.stop !== undefined) throw new GoTemplateError(`unexpected {{ ${parsed.stop} }}`);
  return (data) => {
    const out: string[] = [];
    run(parsed.nodes, { dot: data, top: data, vars: new Map() }, out);
    return out.join('');
  };
}

/** What Ollama hands the template for a chat: the system messages joined, consecutive same-role messages merged. */
export function ollamaValues(messages: { role: string; content: string }[]): { [key: string]: GoValue } {
  const system: string[] = [];
  const collated: { Role: string; Content: string }[] = [];
  for (const m of messages) {
    if (m.role === 'system') system.push(m.content);
    const prev = collated[collated.length - 1];
    if (prev && prev.Role === m.role && m.role !== 'tool') prev.Content += '\n\n' + m.content;
    else collated.push({ Role: m.role, Content: m.content });
  }
  return { System: system.join('\n\n'), Messages: collated, Tools: [], Response: '' };
}
