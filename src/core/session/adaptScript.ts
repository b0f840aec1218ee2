/**
 * "The agent takes over": when the user gave free-text instructions in the
 * wizard and an LLM is configured, the recipe's script is adapted to them.
 * The recipe stays the starting point (first diff with no LLM, within a
 * second); the LLM only proposes a second, reviewable change on top of it.
 */
import { ChatMessage, LlmProvider } from '../llm/types';
import { applyLlmAnswer } from '../recovery/llmFix';

export interface AdaptInput {
  llm: LlmProvider;
  script: string;
  scriptPath: string;
  /** What the run is (from describeRequest). */
  goal: string;
  instructions: string;
  signal?: AbortSignal;
}

export type AdaptResult = { ok: true; script: string; description: string; calls: number } | { ok: false; reason: string; calls: number };

const SYSTEM = [
  'You are ML Intern, a careful junior ML engineer. You adapt a training script that a recipe engine wrote to the',
  "user's instructions. Change only what the instructions require; keep the CONFIG block's one-assignment-per-line",
  'shape; keep keyword names valid for the libraries the header names; never put tokens or keys in the script.',
  'Answer with one line `FIX: <what you changed>`, then either SEARCH/REPLACE blocks',
  '(<<<<<<< SEARCH / ======= / >>>>>>> REPLACE, each SEARCH copied exactly from the script) or the whole script in one ```python block.',
].join('\n');

export function buildAdaptPrompt(input: Omit<AdaptInput, 'llm' | 'signal'>): ChatMessage[] {
  return [
    { role: 'system', content: SYSTEM },
    {
      role: 'user',
      content: [
        `Run: ${input.goal}`,
        '',
        "## The user's instructions (text the user typed)",
        input.instructions.trim(),
        '',
        `## ${input.scriptPath}`,
        '```python',
        input.script,
        '```',
      ].join('\n'),
    },
  ];
}

export async function adaptToInstructions(input: AdaptInput): Promise<AdaptResult> {
  const messages = buildAdaptPrompt(input);
  let calls = 0;
  let reason = 'no usable answer';
  for (let round = 0; round < 2; round++) {
    calls++;
    const res = await input.llm.chat({ messages, maxTokens: 16000, temperature: 0, signal: input.signal });
    const applied = applyLlmAnswer(input.script, res.text);
    if (typeof applied !== 'string') return { ok: true, script: applied.script, description: applied.description.split('\n')[0].slice(0, 300), calls };
    reason = applied;
    messages.push({ role: 'assistant', content: res.text });
    messages.push({ role: 'user', content: `Your answer could not be applied: ${applied}. Answer again in the required shape.` });
  }
  return { ok: false, reason, calls };
}
