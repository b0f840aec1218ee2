/**
 * Parses the Python dict reprs that HF Trainer / trl print for logs, e.g.
 * `{'loss': 1.2, 'grad_norm': 0.5, 'learning_rate': 2e-05, 'epoch': 0.1}`,
 * including values like `tensor(0.31, device='cuda:0')`, `np.float64(0.5)`,
 * `nan`, `inf` and numbers in quotes (transformers 5: `{'loss': '1.2'}`). Non-numeric
 * values are skipped, not fatal.
 */

/** Keys that make a dict a training log (so a stray config dict in a message is not taken). */
export function looksLikeTrainingLog(keys: string[]): boolean {
  for (const k of keys) {
    if (k === 'loss' || k === 'epoch' || k === 'learning_rate' || k === 'lr' || k === 'grad_norm' || k === 'step') return true;
    if (k.startsWith('eval_') || k.startsWith('train_') || k.startsWith('reward') || k.startsWith('objective/') || k.startsWith('loss/')) return true;
  }
  return false;
}

export function parsePythonNumber(raw: string): number | undefined {
  let v = raw.trim();
  // transformers 5 prints every value as a string of 4 significant digits: {'loss': '10.43', 'epoch': '0.5'}.
  const q = v.charCodeAt(0);
  if ((q === 39 || q === 34) && v.length >= 2 && v.charCodeAt(v.length - 1) === q) {
    const inner = v.slice(1, -1).trim();
    const n = parsePythonNumber(inner);
    return n !== undefined && inner.indexOf('(') === -1 ? n : undefined;
  }
  // tensor(0.31, device='cuda:0'), np.float64(0.5), array(0.5, dtype=float32), torch.tensor(…)
  const open = v.indexOf('(');
  if (open > 0 && v.charCodeAt(v.length - 1) === 41 /* ) */) {
    const inner = v.slice(open + 1, -1);
    const comma = inner.indexOf(',');
    v = (comma === -1 ? inner : inner.slice(0, comma)).trim();
  }
  if (v.length === 0) return undefined;
  const c = v.charCodeAt(0);
  // Fast path: a plain number literal.
  if ((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46) {
    const n = Number(v);
    if (!Number.isNaN(n)) return n;
    if (v === '-inf' || v === '-Infinity') return -Infinity;
    if (v === '-nan') return NaN;
    return undefined;
  }
  if (v === 'nan' || v === 'NaN') return NaN;
  if (v === 'inf' || v === 'Infinity') return Infinity;
  return undefined;
}

/**
 * The dict at the end of `line` (after whitespace or a fused tqdm bar), or
 * undefined when the line holds no training-log dict.
 */
export function parseMetricDict(line: string): Record<string, number> | undefined {
  const open = line.indexOf("{'");
  if (open === -1) return undefined;
  const close = line.lastIndexOf('}');
  if (close < open) return undefined;
  for (let i = close + 1; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9) return undefined;
  }
  if (open > 0) {
    const prefix = line.slice(0, open);
    // Only whitespace, or the remains of a tqdm bar the dict was printed over.
    if (prefix.trim().length > 0 && prefix.indexOf('%|') === -1 && !prefix.trimEnd().endsWith(']')) return undefined;
  }
  const out: Record<string, number> = {};
  const keys: string[] = [];
  let i = open + 1;
  while (i < close) {
    // key
    while (i < close && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 44)) i++;
    if (i >= close) break;
    const q = line[i];
    if (q !== "'" && q !== '"') return undefined;
    const keyEnd = line.indexOf(q, i + 1);
    if (keyEnd === -1 || keyEnd > close) return undefined;
    const key = line.slice(i + 1, keyEnd);
    i = keyEnd + 1;
    while (i < close && line.charCodeAt(i) === 32) i++;
    if (line[i] !== ':') return undefined;
    i++;
    // value: up to the next top-level comma
    const start = i;
    let depth = 0;
    let quote = '';
    for (; i < close; i++) {
      const ch = line[i];
      if (quote) {
        if (ch === quote) quote = '';
      } else if (ch === "'" || ch === '"') quote = ch;
      else if (ch === '(' || ch === '[' || ch === '{') depth++;
      else if (ch === ')' || ch === ']' || ch === '}') depth--;
      else if (ch === ',' && depth === 0) break;
    }
    const value = parsePythonNumber(line.slice(start, i));
    keys.push(key);
    if (value !== undefined) out[key] = value;
  }
  if (keys.length === 0 || !looksLikeTrainingLog(keys)) return undefined;
  return out;
}
