/**
 * "The agent takes over": when the user gave free-text instructions in the
 * wizard and an LLM is configured, the recipe's script is adapted to them.
 * The recipe stays the starting point (first diff with no LLM, within a
 * second); the LLM only proposes a second, reviewable change on top of it.
 */
import { ChatMessage, LlmProvider } from '../llm/types';
import { FileStore, Logger, ProposedChange } from '../ports';
import { applyLlmAnswer } from '../recovery/llmFix';
import { RunContext } from '../run/runContext';

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

/** What adapting inside a fine-tune session uses: its LLM, the user's instructions, where it tells, how it proposes. */
export interface AdaptInSession {
  runId: string;
  /** What the run is (from describeRequest). */
  goal: string;
  instructions: string | undefined;
  llm: LlmProvider | undefined;
  files: Pick<FileStore, 'readIfExists'>;
  ctx: Pick<RunContext, 'record' | 'emit'>;
  propose(change: ProposedChange, signal: AbortSignal): Promise<unknown>;
  logger?: Logger;
  signal: AbortSignal;
}

/**
 * With free-text instructions and an LLM, the LLM adapts the accepted recipe script to
 * them, as a second reviewable change. Any failure here only means the recipe script
 * stays as it is: the run goes on.
 */
export async function proposeAdaptedScript(session: AdaptInSession, scriptPath: string): Promise<void> {
  const { runId, ctx, llm, signal } = session;
  const instructions = session.instructions?.trim();
  if (!instructions || !llm) return;
  const script = await session.files.readIfExists(scriptPath);
  if (script === undefined) return;
  try {
    const adapted = await adaptToInstructions({ llm, script, scriptPath, goal: session.goal, instructions, signal });
    await ctx.record({ kind: 'note', text: `adapting ${scriptPath} to the instructions: ${adapted.ok ? adapted.description : adapted.reason} (${adapted.calls} LLM call${adapted.calls === 1 ? '' : 's'})` });
    if (!adapted.ok) {
      ctx.emit({ type: 'notice', runId, level: 'warning', message: `The LLM could not adapt the script to your instructions (${adapted.reason}); the recipe's script is used as it is.` });
      return;
    }
    await session.propose({ path: scriptPath, original: script, proposed: adapted.script, description: `Adapted to your instructions: ${adapted.description}`, origin: 'agent', runId }, signal);
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).replace(/\.$/, '');
    session.logger?.warn(`Run ${runId}: adapting to the instructions failed: ${message}`);
    ctx.emit({ type: 'notice', runId, level: 'warning', message: `Adapting the script to your instructions failed: ${message}. The recipe's script is used as it is.` });
  }
}
