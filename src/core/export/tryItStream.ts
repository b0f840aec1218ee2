/**
 * The Try-it stream: the JSON lines try_it.py prints (tryItScript.ts) and the vLLM path emits
 * (tryItVllm.ts), read incrementally from a process's output, and the side-by-side board they fill.
 *
 * The process output arrives in arbitrary chunks (a line can be cut anywhere, even inside a
 * multi-byte character's escape), so the parser keeps the unfinished line until its newline.
 * Lines that are not Try-it events (a warning, a traceback, pip's noise) are kept as log text:
 * they are what the user needs when a side never answers.
 */

export type TryItSide = 'base' | 'trained';

export interface TryItSettings {
  temperature: number;
  top_p: number;
  max_new_tokens: number;
  seed: number;
}

export type TryItEvent =
  | { event: 'start'; base: string; trained: string; system: string; settings: TryItSettings; prompts: string[] }
  | { event: 'prompt'; prompt: number; text: string }
  | { event: 'side'; side: TryItSide; prompt: number }
  | { event: 'delta'; side: TryItSide; prompt: number; text: string }
  | { event: 'answer'; side: TryItSide; prompt: number; text: string; tokens: number; seconds: number }
  | { event: 'end'; prompts: number };

export type TryItLine = { kind: 'event'; event: TryItEvent } | { kind: 'log'; text: string };

const SIDES = new Set(['base', 'trained']);
/** A prompt index beyond this is not one of ours (a hostile or broken line must not allocate a huge board). */
const MAX_PROMPTS = 100;

const isIndex = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) < MAX_PROMPTS;
const isText = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** One Try-it event from a parsed JSON value, or undefined when it is not one (wrong shape, unknown kind). */
export function asTryItEvent(v: unknown): TryItEvent | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  switch (o.event) {
    case 'start': {
      const s = (o.settings ?? {}) as Record<string, unknown>;
      if (!isText(o.base) || !isText(o.trained) || !Array.isArray(o.prompts) || !o.prompts.every(isText)) return undefined;
      const settings = { temperature: isNum(s.temperature) ? s.temperature : 0, top_p: isNum(s.top_p) ? s.top_p : 1, max_new_tokens: isNum(s.max_new_tokens) ? s.max_new_tokens : 0, seed: isNum(s.seed) ? s.seed : 0 };
      return { event: 'start', base: o.base, trained: o.trained, system: isText(o.system) ? o.system : '', settings, prompts: o.prompts.slice(0, MAX_PROMPTS) };
    }
    case 'prompt':
      return isIndex(o.prompt) && isText(o.text) ? { event: 'prompt', prompt: o.prompt, text: o.text } : undefined;
    case 'side':
      return isIndex(o.prompt) && SIDES.has(o.side as string) ? { event: 'side', side: o.side as TryItSide, prompt: o.prompt } : undefined;
    case 'delta':
      return isIndex(o.prompt) && SIDES.has(o.side as string) && isText(o.text) ? { event: 'delta', side: o.side as TryItSide, prompt: o.prompt, text: o.text } : undefined;
    case 'answer':
      return isIndex(o.prompt) && SIDES.has(o.side as string) && isText(o.text)
        ? { event: 'answer', side: o.side as TryItSide, prompt: o.prompt, text: o.text, tokens: isNum(o.tokens) ? o.tokens : 0, seconds: isNum(o.seconds) ? o.seconds : 0 }
        : undefined;
    case 'end':
      return { event: 'end', prompts: isNum(o.prompts) ? o.prompts : 0 };
    default:
      return undefined;
  }
}

/** Splits process output into Try-it events and log lines, as it arrives. */
export class TryItStreamParser {
  private rest = '';

  push(chunk: string): TryItLine[] {
    this.rest += chunk;
    const lines = this.rest.split('\n');
    this.rest = lines.pop() ?? '';
    return lines.flatMap((l) => this.line(l));
  }

  /** The last line when the output ended without a newline. */
  end(): TryItLine[] {
    const last = this.rest;
    this.rest = '';
    return this.line(last);
  }

  private line(raw: string): TryItLine[] {
    const text = raw.replace(/\r$/, '');
    if (!text.trim()) return [];
    if (text.startsWith('{')) {
      try {
        const event = asTryItEvent(JSON.parse(text));
        if (event) return [{ kind: 'event', event }];
      } catch {
        // Not JSON after all: a log line that starts with a brace.
      }
    }
    return [{ kind: 'log', text }];
  }
}

export interface TryItColumn {
  text: string;
  /** The whole answer arrived ('answer' event). */
  done: boolean;
  /** Generation started for this side ('side' or a first delta). */
  started: boolean;
  tokens?: number;
  seconds?: number;
}

export interface TryItRow {
  prompt: string;
  base: TryItColumn;
  trained: TryItColumn;
}

export interface TryItBoardState {
  base: string;
  trained: string;
  system: string;
  settings?: TryItSettings;
  rows: TryItRow[];
  ended: boolean;
}

const emptyColumn = (): TryItColumn => ({ text: '', done: false, started: false });

/** The side-by-side view's content: one row per prompt, a base and a trained column each. */
export class TryItBoard {
  state: TryItBoardState = { base: '', trained: '', system: '', rows: [], ended: false };

  apply(e: TryItEvent): void {
    const s = this.state;
    switch (e.event) {
      case 'start':
        this.state = { base: e.base, trained: e.trained, system: e.system, settings: e.settings, rows: e.prompts.map((p) => ({ prompt: p, base: emptyColumn(), trained: emptyColumn() })), ended: false };
        return;
      case 'prompt':
        this.row(e.prompt).prompt = e.text;
        return;
      case 'side':
        this.row(e.prompt)[e.side].started = true;
        return;
      case 'delta': {
        const c = this.row(e.prompt)[e.side];
        c.started = true;
        c.text += e.text;
        return;
      }
      case 'answer': {
        // The whole answer replaces the pieces: decoding the tokens at once is what the transcript keeps.
        const c = this.row(e.prompt)[e.side];
        Object.assign(c, { text: e.text, done: true, started: true, tokens: e.tokens, seconds: e.seconds });
        return;
      }
      case 'end':
        s.ended = true;
        return;
    }
  }

  private row(i: number): TryItRow {
    while (this.state.rows.length <= i) this.state.rows.push({ prompt: '', base: emptyColumn(), trained: emptyColumn() });
    return this.state.rows[i];
  }
}

/** The transcript keeps whole answers: pieces and column headers are for the screen only (as try_it.py does). */
export function keptInTranscript(e: TryItEvent): boolean {
  return e.event !== 'delta' && e.event !== 'side';
}

/**
 * The last session of a transcript (try_it.py appends): each prompt with both whole answers.
 * Used by the agent's try_model tool to hand back what the two models said.
 */
export function lastTranscriptRows(text: string): TryItRow[] {
  const board = new TryItBoard();
  for (const line of new TryItStreamParser().push(`${lastTranscriptSession(text)}\n`)) if (line.kind === 'event') board.apply(line.event);
  return board.state.rows;
}

/** The lines of the last session of a transcript (from its last 'start' event on). */
export function lastTranscriptSession(text: string): string {
  const lines = text.split('\n');
  const parser = new TryItStreamParser();
  let from = 0;
  lines.forEach((l, i) => {
    const [x] = parser.push(`${l}\n`);
    if (x?.kind === 'event' && x.event.event === 'start') from = i;
  });
  return lines.slice(from).join('\n').trim();
}

/** An event as a terminal shows it: what `python try_it.py --text` prints (its show()), for the CLI's vLLM path. */
export function tryItEventText(e: TryItEvent, transcript: string): string {
  switch (e.event) {
    case 'delta':
      return e.text;
    case 'start':
      return `Base: ${e.base}\nTrained: ${e.trained}\nSettings: ${JSON.stringify(e.settings)}\n`;
    case 'prompt':
      return `\n=== Prompt ${e.prompt + 1}: ${e.text}\n`;
    case 'side':
      return `\n--- ${e.side} ---\n`;
    case 'answer':
      return `\n(${e.tokens} tokens, ${e.seconds} s)\n`;
    case 'end':
      return `\nTranscript: ${transcript}\n`;
  }
}
