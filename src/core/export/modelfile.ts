/**
 * An Ollama Modelfile derived from the training chat template: its TEMPLATE is built from the
 * pieces the template writes around each turn (turnShape.ts), its stop tokens from what ends an
 * assistant turn, and it is CHECKED before anything is written: the same conversations rendered
 * through the Jinja template (as transformers does) and through the TEMPLATE (as Ollama does:
 * Go text/template over {System, Messages}) must give the same text. A difference is reported
 * with where it is; nothing is exported then.
 */
import { ChatMessage, jinjaRenderer, TrainingTemplate, TemplateRenderError } from './chatTemplate';
import { compileGoTemplate, GoTemplateError, ollamaValues } from './goTemplate';
import { readTurnShape, ShapeError, TurnShape } from './turnShape';

export interface Sampling {
  temperature?: number;
  topP?: number;
  topK?: number;
  repetitionPenalty?: number;
  maxNewTokens?: number;
}

export interface ModelfileInput {
  template: TrainingTemplate;
  /** What FROM names: the GGUF file, relative to the Modelfile. */
  from: string;
  sampling?: Sampling;
  /** The context length the model was trained with (num_ctx). */
  contextLength?: number;
  system?: string;
}

export interface TemplateMismatch {
  conversation: string;
  offset: number;
  training: string;
  ollama: string;
}

export type ModelfileResult =
  | { ok: true; modelfile: string; goTemplate: string; stops: string[]; family: string; notes: string[]; checked: string[] }
  | { ok: false; message: string; family?: string; mismatch?: TemplateMismatch };

/** Text as a Go template writes it: as is, or as a string action when it holds "{{". */
function literal(text: string): string {
  if (!text) return '';
  return text.includes('{{') || text.includes('}}') ? `{{ ${JSON.stringify(text)} }}` : text;
}

/**
 * One line, no trim markers: every character outside the actions is the template's own text
 * (a `{{-` would eat the newline a turn ends with).
 */
export function goTemplateFor(s: TurnShape): string {
  const L = literal;
  const sys = s.systemMode;
  const head = sys === 'block' ? (s.head ? `{{ if not .System }}${L(s.head)}{{ end }}` : '') : L(s.head);
  const inUser = sys === 'first-user' ? '(eq $i 1)' : sys === 'last-user' ? '$last' : undefined;
  const userSystem = inUser ? `{{ if and $.System ${inUser} }}${L(s.systemPrefix)}{{ $.System }}${L(s.systemSuffix)}{{ end }}` : '';
  const systemTurn = sys === 'block' ? `{{ if eq .Role "system" }}${L(s.systemPrefix)}{{ .Content }}${L(s.systemSuffix)}{{ else if eq .Role "user" }}` : '{{ if eq .Role "user" }}';
  return [
    head,
    '{{ range $i, $_ := .Messages }}{{ $last := eq (len (slice $.Messages $i)) 1 }}',
    systemTurn,
    `${L(s.userPrefix)}${userSystem}{{ .Content }}${L(s.userSuffix)}${s.generationPrompt ? `{{ if $last }}${L(s.generationPrompt)}{{ end }}` : ''}`,
    `{{ else if eq .Role "assistant" }}${L(s.assistantPrefix)}{{ .Content }}${s.finalTail === s.assistantSuffix ? L(s.finalTail) : `{{ if $last }}${L(s.finalTail)}{{ else }}${L(s.assistantSuffix)}{{ end }}`}{{ end }}`,
    '{{ end }}',
  ].join('');
}

/** Special-token-shaped pieces: <|im_end|>, <end_of_turn>, </s>, [INST]. */
const SPECIAL = /<\|[^|<>\s]+\|>|<\/?[A-Za-z_][\w.-]*>|\[\/?[A-Z_]+\]/;

/** Where generation must stop: the token that ends an assistant turn, EOS, and the next user turn's opening token. */
export function stopsFor(s: TurnShape, eos: string): string[] {
  const stops: string[] = [];
  const end = SPECIAL.exec(s.finalTail)?.[0] ?? SPECIAL.exec(s.assistantSuffix)?.[0];
  if (end) stops.push(end);
  if (eos) stops.push(eos);
  const nextTurn = SPECIAL.exec(s.userPrefix)?.[0];
  if (nextTurn) stops.push(nextTurn);
  return [...new Set(stops)];
}

/** Conversations both renders must agree on: single and multi-turn, with and without a system prompt, real-looking text. */
export function checkConversations(withSystem: boolean): { name: string; messages: ChatMessage[] }[] {
  const sys: ChatMessage = { role: 'system', content: 'You are a careful medical assistant.\nAnswer briefly.' };
  const turns: ChatMessage[] = [
    { role: 'user', content: 'What is the normal resting heart rate for adults?' },
    { role: 'assistant', content: 'Between 60 and 100 beats per minute.\n\nAthletes can be lower.' },
    { role: 'user', content: 'And for a child of 5 — "roughly"?' },
    { role: 'assistant', content: 'About 80–120 beats per minute.' },
    { role: 'user', content: 'Thanks! Summarise both in one line.' },
  ];
  const list = [
    { name: 'one user message', messages: turns.slice(0, 1) },
    { name: 'three user turns', messages: turns },
  ];
  if (withSystem) list.push({ name: 'a system prompt and one user message', messages: [sys, turns[0]] }, { name: 'a system prompt and three user turns', messages: [sys, ...turns] });
  return list;
}

function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** Render every check conversation both ways; the first difference, or undefined when all agree. */
export function compareRenders(t: TrainingTemplate, goTemplate: string, withSystem: boolean): { mismatch?: TemplateMismatch; checked: string[] } {
  const jinja = jinjaRenderer(t);
  const go = compileGoTemplate(goTemplate);
  const checked: string[] = [];
  for (const c of checkConversations(withSystem)) {
    const training = jinja.render(c.messages, true);
    const ollama = go(ollamaValues(c.messages));
    if (training !== ollama) {
      const at = firstDifference(training, ollama);
      return { mismatch: { conversation: c.name, offset: at, training: training.slice(Math.max(0, at - 30), at + 50), ollama: ollama.slice(Math.max(0, at - 30), at + 50) }, checked };
    }
    checked.push(c.name);
  }
  return { checked };
}

function quoted(value: string): string {
  return JSON.stringify(value);
}

/** The whole derivation: shape → TEMPLATE → check → Modelfile text. Never throws on a template's content. */
export function deriveModelfile(input: ModelfileInput): ModelfileResult {
  let shape: TurnShape;
  let goTemplate: string;
  try {
    shape = readTurnShape(jinjaRenderer(input.template), input.template.source);
    goTemplate = goTemplateFor(shape);
  } catch (err) {
    if (err instanceof ShapeError || err instanceof TemplateRenderError) return { ok: false, message: err.message };
    throw err;
  }
  const family = shape.family;
  let compared: ReturnType<typeof compareRenders>;
  try {
    compared = compareRenders(input.template, goTemplate, shape.systemMode !== 'none');
  } catch (err) {
    if (err instanceof GoTemplateError || err instanceof TemplateRenderError) return { ok: false, family, message: `the derived TEMPLATE could not be checked against the ${family} training template: ${err.message}` };
    throw err;
  }
  if (compared.mismatch) {
    const m = compared.mismatch;
    return {
      ok: false,
      family,
      mismatch: m,
      message: `the derived Ollama TEMPLATE renders "${m.conversation}" differently from the ${family} training template at character ${m.offset}: training ${quoted(m.training)}, Ollama ${quoted(m.ollama)}. Nothing was exported: a model served with it would see other text than it was trained on. Write the TEMPLATE by hand, or serve with vLLM and the Jinja template.`,
    };
  }
  if (goTemplate.includes('"""')) return { ok: false, family, message: 'the TEMPLATE would contain """, which ends a Modelfile string: write the Modelfile by hand.' };
  const stops = stopsFor(shape, input.template.eosToken);
  if (!stops.length) return { ok: false, family, message: `no stop token can be derived: the ${family} template ends an assistant turn with ${quoted(shape.finalTail)} and the tokenizer names no EOS. Ollama would not know where an answer ends.` };
  const lines = [
    `# Ollama Modelfile written by ML Intern from the training chat template (${family}).`,
    `# Checked: ${compared.checked.join('; ')} render the same through the training template and this TEMPLATE.`,
    `# Create the model: ollama create <name> -f Modelfile`,
    `FROM ${input.from}`,
    '',
    `TEMPLATE """${goTemplate}"""`,
    '',
    ...stops.map((s) => `PARAMETER stop ${quoted(s)}`),
    ...parameterLines(input),
  ];
  if (input.system && shape.systemMode !== 'none') lines.push('', `SYSTEM """${input.system.replace(/"""/g, '" " "')}"""`);
  return { ok: true, modelfile: lines.join('\n') + '\n', goTemplate, stops, family, notes: shape.notes, checked: compared.checked };
}

function parameterLines(input: ModelfileInput): string[] {
  const s = input.sampling ?? {};
  const out: string[] = [];
  const num = (name: string, v: number | undefined) => {
    if (v !== undefined && Number.isFinite(v)) out.push(`PARAMETER ${name} ${v}`);
  };
  num('temperature', s.temperature);
  num('top_p', s.topP);
  num('top_k', s.topK);
  num('repeat_penalty', s.repetitionPenalty);
  num('num_predict', s.maxNewTokens);
  num('num_ctx', input.contextLength);
  return out;
}
