/**
 * The pieces of text a chat template puts around each turn, read off the template's own renders:
 * conversations with marker contents are rendered and the text between the markers is what the
 * template wrote. Nothing is taken from a table of known families, so a family nobody listed
 * still exports when its template has the per-turn shape, and one without it is refused with
 * what differs. modelfile.ts turns the pieces into an Ollama TEMPLATE and checks it.
 */
import { ChatMessage, JinjaRenderer, TemplateRenderError } from './chatTemplate';

export type SystemMode =
  /** Its own block before the first user turn (ChatML, Llama 3, Phi-3). */
  | 'block'
  /** Inside the first user turn (Gemma 3). */
  | 'first-user'
  /** Inside the last user turn (Mistral's newer templates). */
  | 'last-user'
  /** The template raises on a system message or drops it: the model never saw one. */
  | 'none';

export interface TurnShape {
  family: string;
  /** Written before the first message when there is no system message (a default system block, a date header…). */
  head: string;
  systemMode: SystemMode;
  systemPrefix: string;
  systemSuffix: string;
  userPrefix: string;
  userSuffix: string;
  /** add_generation_prompt's text, after the last user turn. */
  generationPrompt: string;
  /** What starts an answer already in the conversation (usually the generation prompt; sometimes with a space, or without a reasoning opener). */
  assistantPrefix: string;
  /** What ends an answer when another turn follows (its end-of-turn token…). */
  assistantSuffix: string;
  /** What ends the conversation's last answer: where generation must stop. */
  finalTail: string;
  trimsContent: boolean;
  usesBos: boolean;
  notes: string[];
}

export class ShapeError extends Error {}

const S = 'SYSTEMMARKERqz';
const U1 = 'USERMARKERONEqz';
const A1 = 'ASSISTANTMARKERONEqz';
const U2 = 'USERMARKERTWOqz';

/** A name for messages: the markers of the well-known families (only for what the user reads). */
export function familyOf(source: string): string {
  if (source.includes('<|start_header_id|>')) return 'Llama 3';
  if (source.includes('<|im_start|>')) return 'ChatML (Qwen, SmolLM…)';
  if (source.includes('<start_of_turn>')) return 'Gemma';
  if (source.includes('[INST]')) return 'Mistral [INST]';
  if (source.includes('<|user|>') && source.includes('<|end|>')) return 'Phi-3';
  return 'an unrecognised family';
}

/** Split `text` at the markers, in order; undefined when one is missing or repeated. */
function splitAt(text: string, markers: string[]): string[] | undefined {
  const parts: string[] = [];
  let rest = text;
  for (const m of markers) {
    const i = rest.indexOf(m);
    if (i < 0 || rest.indexOf(m, i + 1) >= 0) return undefined;
    parts.push(rest.slice(0, i));
    rest = rest.slice(i + m.length);
  }
  parts.push(rest);
  return parts;
}

/** The longest common prefix of a and b, cut back so it does not end inside a special token ("<|end|>\n<|" would). */
function tokenSafePrefix(a: string, b: string): string {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  const p = a.slice(0, n);
  const open = Math.max(p.lastIndexOf('<'), p.lastIndexOf('['));
  return open >= 0 && !/[>\]]/.test(p.slice(open)) && n < a.length ? p.slice(0, open) : p;
}

function commonSuffix(a: string, b: string): string {
  let n = 0;
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
  return a.slice(a.length - n);
}

function show(s: string): string {
  return JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}…` : s);
}

/** Read the shape; a template whose turns are not written the same way each time throws ShapeError saying where. */
export function readTurnShape(j: JinjaRenderer, source: string): TurnShape {
  const family = familyOf(source);
  const render = (msgs: ChatMessage[], agp: boolean, what: string) => {
    try {
      return j.render(msgs, agp);
    } catch (err) {
      throw new ShapeError(`the ${family} chat template fails on ${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const u = (content: string): ChatMessage => ({ role: 'user', content });
  const a = (content: string): ChatMessage => ({ role: 'assistant', content });
  const refuse = (what: string) => new ShapeError(`the ${family} chat template ${what}, so no Ollama TEMPLATE is derived (a guessed one would answer differently from training). Write the Modelfile's TEMPLATE by hand, or export for vLLM, which uses the Jinja template itself.`);

  const one = splitAt(render([u(U1)], false, 'one user message'), [U1]);
  const prompted = splitAt(render([u(U1)], true, 'add_generation_prompt'), [U1]);
  if (!one || !prompted || one[0] !== prompted[0]) throw refuse('does not write a user message\'s text once, as given');
  const q0 = one[0];
  // What follows the user's text: its suffix, then the generation prompt (or, without one, whatever the template closes with).
  const userSuffix = tokenSafePrefix(one[1], prompted[1]);
  const generationPrompt = prompted[1].slice(userSuffix.length);

  const answered = splitAt(render([u(U1), a(A1)], false, 'a user and an assistant message'), [U1, A1]);
  if (!answered || answered[0] !== q0 || !answered[1].startsWith(userSuffix)) throw refuse('does not write an assistant answer after the user\'s turn');
  const assistantPrefix = answered[1].slice(userSuffix.length);
  const finalTail = answered[2];

  const rendered = render([u(U1), a(A1), u(U2)], true, 'two user turns');
  const two = splitAt(rendered, [U1, A1, U2]);
  if (!two || two[0] !== q0 || two[1] !== userSuffix + assistantPrefix || two[3] !== userSuffix + generationPrompt) {
    throw refuse(`writes a user or assistant turn differently depending on where it is in the conversation (rendered: ${show(rendered)})`);
  }
  // Between an answer and the next user text: the answer's end, then the user turn's opening.
  const between = two[2];
  const split = between.startsWith(finalTail) && q0.endsWith(between.slice(finalTail.length)) ? finalTail.length : between.length - commonSuffix(between, q0).length;
  const assistantSuffix = between.slice(0, split);
  const userPrefix = between.slice(split);
  if (!q0.endsWith(userPrefix)) throw refuse(`starts the first user turn differently from later ones (${show(q0)} vs ${show(userPrefix)})`);
  const head = q0.slice(0, q0.length - userPrefix.length);

  const notes: string[] = [];
  const trimmed = render([u(` ${U1} `)], false, 'a message with spaces around it');
  const trimsContent = !trimmed.includes(` ${U1} `);
  if (trimsContent) notes.push('The training template strips spaces and newlines around each message; Ollama passes messages as they are sent (the check uses stripped messages).');
  if (j.usesBos) notes.push('The training template starts with bos_token: llama.cpp and Ollama add BOS from the GGUF tokenizer (tokenizer.ggml.add_bos_token), so the TEMPLATE leaves it out.');

  const shape: TurnShape = { family, head, systemMode: 'none', systemPrefix: '', systemSuffix: '', userPrefix, userSuffix, generationPrompt, assistantPrefix, assistantSuffix, finalTail, trimsContent, usesBos: j.usesBos, notes };
  readSystem(j, shape, notes);
  return shape;
}

/** Where the template writes a system message, and what around it. */
function readSystem(j: JinjaRenderer, shape: TurnShape, notes: string[]): void {
  let withSystem: string;
  try {
    withSystem = j.render([{ role: 'system', content: S }, { role: 'user', content: U1 }, { role: 'assistant', content: A1 }, { role: 'user', content: U2 }], true);
  } catch (err) {
    if (!(err instanceof TemplateRenderError)) throw err;
    // raise_exception's text is a literal of the template: a refusal by design, not a render failure.
    const refused = err.message.length > 3 && j.source.includes(err.message);
    notes.push(refused
      ? `The training template refuses a system message (${err.message}): the model never saw one, so the TEMPLATE leaves a system prompt out and the Modelfile sets no SYSTEM.`
      : `The training template fails on a system message given as text (${err.message}): the TEMPLATE leaves system prompts out and the Modelfile sets no SYSTEM. If the model was trained with system prompts, write the TEMPLATE's system part by hand.`);
    return;
  }
  if (!withSystem.includes(S)) {
    notes.push('The training template drops system messages: the TEMPLATE leaves them out too.');
    return;
  }
  const { head, userPrefix, userSuffix, assistantPrefix: answerStart, assistantSuffix } = shape;
  const parts = splitAt(withSystem, [S, U1, A1, U2]);
  const before = parts?.[0] ?? '';
  const between = parts?.[1] ?? '';
  const fail = () => new ShapeError(`the ${shape.family} chat template writes the system message in a way the TEMPLATE cannot follow (rendered: ${show(withSystem)}), so no Ollama TEMPLATE is derived. Write it by hand, or export for vLLM, which uses the Jinja template itself.`);
  if (parts && userPrefix && between.endsWith(userPrefix) && parts[2] === userSuffix + answerStart && parts[3] === assistantSuffix + userPrefix) {
    shape.systemMode = 'block';
    shape.systemPrefix = before;
    shape.systemSuffix = between.slice(0, between.length - userPrefix.length);
    return;
  }
  if (parts && before.startsWith(head + userPrefix) && parts[2] === userSuffix + answerStart && parts[3] === assistantSuffix + userPrefix) {
    shape.systemMode = 'first-user';
    shape.systemPrefix = before.slice((head + userPrefix).length);
    shape.systemSuffix = between;
    return;
  }
  // In the last user turn: U1 A1 come first, then the system text inside the second user turn.
  const last = splitAt(withSystem, [U1, A1, S, U2]);
  const lead = head + userPrefix;
  if (last && last[0] === lead && last[1] === userSuffix + answerStart && last[2].startsWith(assistantSuffix + userPrefix)) {
    shape.systemMode = 'last-user';
    shape.systemPrefix = last[2].slice((assistantSuffix + userPrefix).length);
    shape.systemSuffix = last[3];
    return;
  }
  throw fail();
}
