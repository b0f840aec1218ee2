/**
 * The agent's token bill for one scripted ML task, as a real model would be billed: the production
 * system prompt and tool registry, the real OpenAI and Anthropic SDKs against the fake wire-protocol
 * server, the same scripted answers every time. From the request bodies the SDKs really sent:
 *
 * - LLM calls;
 * - fixed tokens per call: the system prompt plus the tool list (what every call re-sends);
 * - input tokens, split into cached (the prefix this request shares with the previous one, which a
 *   provider's prompt cache serves: Anthropic through the cache_control breakpoints on system, tools
 *   and the last message; OpenAI automatically) and uncached (the rest: new spend);
 * - output tokens: the scripted answers (text and tool-call arguments).
 *
 * Tokens are estimated as characters / 4 of the serialised JSON (no tokenizer is installed here), so
 * the figures compare runs of this bench, before and after a change, not a provider's invoice.
 * Self-contained on purpose: the same file runs against an older checkout for the "before" figures.
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AgentSession } from '../src/core/agent/agentLoop';
import { AnthropicProvider } from '../src/core/llm/anthropicProvider';
import { OpenAiProvider } from '../src/core/llm/openaiProvider';
import { LlmProvider } from '../src/core/llm/types';
import { DEFAULT_SETTINGS } from '../src/core/settings';
import { RecordingEventSink, ScriptedReviewer } from '../src/core/testing/memoryPorts';
import { createAgentRegistry } from '../src/core/tools/domain';
import { NodeFileStore } from '../src/core/util/nodeFileStore';
import { FakeLlmServer, FakeTurn, startFakeLlmServer } from '../test/support/fakeLlmServer';
import type { BenchResult } from './run';

const ROOT = path.resolve(__dirname, '..');
const tokens = (value: unknown): number => Math.ceil((typeof value === 'string' ? value : JSON.stringify(value) ?? '').length / 4);
const c = (name: string, args: unknown, id: string) => ({ id, name, arguments: JSON.stringify(args) });

/** The task: plan, look at the workspace and the data (one answer), write the recipe, finish. */
function script(): FakeTurn[] {
  return [
    { text: 'Planning the fine-tune.', toolCalls: [c('plan', { items: [{ text: 'inspect the data', status: 'in_progress' }, { text: 'write the recipe', status: 'pending' }] }, 't1')] },
    { toolCalls: [c('list_files', {}, 't2a'), c('read_file', { path: 'data/medical_qa.jsonl', limit: 3 }, 't2b')] },
    {
      text: 'The rows are patient_query / doctor_response pairs: an SFT recipe with LoRA.',
      toolCalls: [c('write_recipe', { method: 'sft', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/medical_qa.jsonl', columnMapping: { user: 'patient_query', assistant: 'doctor_response' } }, 't3')],
    },
    { toolCalls: [c('finish', { summary: 'Recipe written: sft-qwen2-5-0-5b-instruct/train.py.', artefacts: ['sft-qwen2-5-0-5b-instruct/train.py'] }, 't4')] },
  ];
}

interface Bill {
  calls: number;
  state: string;
  fixedPerCall: number;
  cached: number;
  uncached: number;
  output: number;
}

/** The parts of a request body in the order a prompt cache reads them: system, tools, messages. */
function promptParts(body: Record<string, unknown>): string[] {
  const messages = (body.messages as unknown[]) ?? [];
  // A breakpoint marks where the cache is written; it is not part of the cached content.
  const text = (v: unknown) => JSON.stringify(v, (key, value: unknown) => (key === 'cache_control' ? undefined : value));
  return [text(body.system ?? ''), text(body.tools ?? []), ...messages.map(text)];
}

function commonPrefixChars(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

function bill(server: FakeLlmServer, turns: FakeTurn[], state: string, protocol: 'openai' | 'anthropic'): Bill {
  let cached = 0;
  let uncached = 0;
  let previous = '';
  const bodies = server.requests.filter((r) => r.protocol === protocol).map((r) => r.body ?? {});
  for (const body of bodies) {
    const prompt = promptParts(body).join('\n');
    // A cache serves whole prefixes it has seen; the previous request's prompt is the one it holds.
    const hit = previous ? commonPrefixChars(previous, prompt) : 0;
    cached += tokens(prompt.slice(0, hit));
    uncached += tokens(prompt.slice(hit));
    previous = prompt;
  }
  const first = bodies[0] ?? {};
  const systemOf = protocol === 'anthropic' ? first.system : ((first.messages as Array<{ role: string }>) ?? []).find((m) => m.role === 'system');
  const output = turns.slice(0, bodies.length).reduce((n, t) => n + tokens(t.text ?? '') + (t.toolCalls ?? []).reduce((k, tc) => k + tokens(tc.arguments), 0), 0);
  return { calls: bodies.length, state, fixedPerCall: tokens(systemOf) + tokens(first.tools ?? []), cached, uncached, output };
}

async function runTask(provider: 'openai' | 'anthropic'): Promise<Bill> {
  const server = await startFakeLlmServer();
  const turns = script();
  server.script(turns);
  try {
    const root = mkdtempSync(path.join(tmpdir(), 'mli-bench-tokens-'));
    cpSync(path.join(ROOT, 'examples/medical-qa'), root, { recursive: true });
    const llm: LlmProvider =
      provider === 'openai'
        ? new OpenAiProvider({ apiKey: 'sk-bench-000000000000000000000000', model: 'gpt-4.1', baseUrl: server.openaiBaseUrl })
        : new AnthropicProvider({ apiKey: ['sk', 'ant', 'bench', '0'.repeat(20)].join('-'), model: 'claude-haiku-4-5', baseUrl: server.anthropicBaseUrl });
    const { outcome } = await AgentSession.startRun(
      {
        llm,
        files: new NodeFileStore(root),
        reviewer: new ScriptedReviewer(),
        executor: { start: () => Promise.reject(new Error('no process in this bench')) },
        events: new RecordingEventSink(),
        settings: { ...DEFAULT_SETTINGS, autoApprove: 'all', pythonPath: 'python3' },
        tools: createAgentRegistry(),
      },
      { goal: 'Fine-tune Qwen/Qwen2.5-0.5B-Instruct on data/medical_qa.jsonl (SFT, LoRA).' },
    );
    return bill(server, turns, outcome.state, provider);
  } finally {
    await server.close();
  }
}

export default async function agentTokensBench(): Promise<BenchResult> {
  const figures: Record<string, string> = {};
  let ok = true;
  for (const provider of ['openai', 'anthropic'] as const) {
    const b = await runTask(provider);
    ok &&= b.state === 'succeeded';
    const p = provider === 'openai' ? 'OpenAI (gpt-4.1)' : 'Anthropic (claude-haiku-4-5)';
    figures[`${p}: LLM calls`] = `${b.calls} (${b.state})`;
    figures[`${p}: fixed tokens per call (system + tools)`] = String(b.fixedPerCall);
    figures[`${p}: input tokens cached / uncached`] = `${b.cached} / ${b.uncached}`;
    figures[`${p}: output tokens`] = String(b.output);
    figures[`${p}: new spend (uncached + output)`] = String(b.uncached + b.output);
  }
  return { name: 'agent tokens (scripted task: plan, list+read, write_recipe, finish; production prompt and tools)', goal: 'the task succeeds; figures compared before/after', ok, figures };
}
