/**
 * The LLM's turn, for failures the playbook does not know: one compact prompt
 * (failure observation, diagnosis, script), one answer that must be either the
 * whole corrected script in a ```python block or SEARCH/REPLACE blocks. The
 * answer is validated; a malformed one gets one retry, then the caller asks
 * the user.
 */
import { buildFailureObservation } from '../logs/observation';
import { ChatMessage, LlmProvider } from '../llm/types';
import { redactor } from '../util/redact';
import { Diagnosis } from './types';

const MAX_OBSERVATION_CHARS = 8000;

export interface LlmFixInput {
  llm: LlmProvider;
  diagnosis: Diagnosis;
  script: string;
  scriptPath: string;
  logText: string;
  exitCode?: number;
  signal?: AbortSignal;
}

export type LlmFixResult =
  | { ok: true; script: string; description: string; calls: number }
  | { ok: false; reason: string; calls: number };

const SYSTEM = [
  'You repair failed LLM fine-tuning scripts (transformers, trl, peft, accelerate).',
  'Change as little as possible and keep the CONFIG block names. Never print or hard-code tokens or keys.',
  'Answer in exactly this shape:',
  'FIX: <one sentence saying what you changed and why>',
  'then EITHER the whole corrected script in one ```python fenced block,',
  'OR one or more blocks of the form',
  '<<<<<<< SEARCH',
  '<exact lines copied from the script>',
  '=======',
  '<replacement lines>',
  '>>>>>>> REPLACE',
  'No other code blocks. Do not abbreviate the script with "..." or "rest unchanged".',
].join('\n');

export function buildRepairPrompt(input: Omit<LlmFixInput, 'llm' | 'signal'>): ChatMessage[] {
  let observation = buildFailureObservation({ text: input.logText, exitCode: input.exitCode });
  if (observation.length > MAX_OBSERVATION_CHARS) observation = observation.slice(-MAX_OBSERVATION_CHARS);
  const d = input.diagnosis;
  const user = [
    `The training script ${input.scriptPath} failed.`,
    '',
    '## Failure observation',
    observation,
    '',
    '## Diagnosis',
    `category: ${d.category}`,
    `summary: ${d.summary}`,
    ...(d.evidence.length ? ['evidence:', ...d.evidence.map((e) => `  ${e}`)] : []),
    '',
    `## ${input.scriptPath}`,
    '```python',
    input.script,
    '```',
  ].join('\n');
  return [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: redactor.redact(user) },
  ];
}

/** Parse and apply an answer; a string is the reason it is unusable. */
export function applyLlmAnswer(original: string, answer: string): { script: string; description: string } | string {
  const description = /^\s*FIX:\s*(.+)$/m.exec(answer)?.[1].trim() ?? '';
  const blocks = [...answer.matchAll(/<<<<<<< SEARCH\r?\n([\s\S]*?)\r?\n=======\r?\n([\s\S]*?)\r?\n?>>>>>>> REPLACE/g)];
  let script: string;
  if (blocks.length) {
    script = original;
    for (const [, search, replace] of blocks) {
      const at = script.indexOf(search);
      if (!search.trim() || at < 0) return 'a SEARCH block does not match the script exactly';
      if (script.indexOf(search, at + 1) >= 0) return 'a SEARCH block matches more than one place; include more lines';
      script = script.slice(0, at) + replace + script.slice(at + search.length);
    }
  } else {
    const fences = [...answer.matchAll(/```(?:python|py)?[^\S\n]*\r?\n([\s\S]*?)```/g)].map((m) => m[1]);
    if (fences.length === 0) return 'no ```python block and no SEARCH/REPLACE block';
    if (fences.length > 1) return 'more than one code block';
    script = fences[0];
    if (original.endsWith('\n') && !script.endsWith('\n')) script += '\n';
    const origLines = original.split('\n').length;
    if (origLines > 20 && script.split('\n').length < origLines * 0.5) return 'the script is much shorter than the original: send the whole script';
    if (/^\s*#\s*\.\.\.|^\s*\.\.\.\s*$|rest of (?:the )?(?:script|code|file)|\(unchanged\)|remains? unchanged/im.test(script)) return 'the script is abbreviated: send it whole';
  }
  if (script.trim() === original.trim()) return 'the answer does not change the script';
  if (!script.trim()) return 'the answer is empty';
  return { script, description: description || 'LLM fix' };
}

export async function proposeLlmFix(input: LlmFixInput): Promise<LlmFixResult> {
  const messages = buildRepairPrompt(input);
  let calls = 0;
  for (let round = 0; round < 2; round++) {
    calls++;
    const res = await input.llm.chat({ messages, maxTokens: 16000, temperature: 0, signal: input.signal });
    const applied = applyLlmAnswer(input.script, res.text);
    if (typeof applied !== 'string') return { ok: true, ...applied, description: applied.description.split('\n')[0].slice(0, 300), calls };
    messages.push({ role: 'assistant', content: res.text });
    messages.push({ role: 'user', content: `Your answer could not be applied: ${applied}. Answer again in the required shape (FIX: line, then one \`\`\`python block with the whole script, or SEARCH/REPLACE blocks).` });
    if (round === 1) return { ok: false, reason: applied, calls };
  }
  return { ok: false, reason: 'no usable answer', calls };
}
