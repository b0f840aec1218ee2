/**
 * Sessions: (1) recipe mode — time from the wizard's last answer to the first
 * diff (FineTuneSession.create + renderRecipe + preflight + the first
 * reviewer.propose call, timed by a reviewer double); goal < 1 s.
 * (2) the scripted agent scenario — LLM calls and tokens for a scripted
 * session against the fake server (real OpenAI SDK over HTTP);
 * (3) the playbook path — the fine-tune session with the fixture trainer
 * (CUDA OOM → playbook fix → success) makes zero LLM calls.
 */
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AgentSession } from '../src/core/agent/agentLoop';
import { startDetached } from '../src/core/exec/detached';
import { OpenAiProvider } from '../src/core/llm/openaiProvider';
import { LlmProvider } from '../src/core/llm/types';
import { ProposedChange, ReviewDecision } from '../src/core/ports';
import { RunStore } from '../src/core/runs/runStore';
import { DEFAULT_SETTINGS } from '../src/core/settings';
import { FineTuneSession } from '../src/core/session/fineTuneSession';
import { FineTuneRequest } from '../src/core/session/types';
import { RecordingEventSink, ScriptedReviewer } from '../src/core/testing/memoryPorts';
import { NodeFileStore } from '../src/core/util/nodeFileStore';
import { startFakeLlmServer } from '../test/support/fakeLlmServer';
import type { BenchResult } from './run';

const ROOT = path.resolve(__dirname, '..');
const REQUEST: FineTuneRequest = {
  baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/medical_qa.jsonl', method: 'sft', adapter: 'lora', evalSplit: 0.05,
  columnMapping: { user: 'patient_query', assistant: 'doctor_response' }, datasetFormat: 'custom_qa',
};

function workspace(): string {
  const ws = mkdtempSync(path.join(tmpdir(), 'mli-bench-session-'));
  cpSync(path.join(ROOT, 'examples/medical-qa'), ws, { recursive: true });
  return ws;
}

async function recipeToFirstDiff(): Promise<number> {
  const files = new NodeFileStore(workspace());
  let tFirst = 0;
  const reviewer = {
    async propose(change: ProposedChange): Promise<ReviewDecision> {
      if (!tFirst) tFirst = performance.now();
      void change;
      return { kind: 'rejected', reason: 'bench' };
    },
  };
  const t0 = performance.now();
  const session = await FineTuneSession.create(REQUEST, {
    files, reviewer, events: new RecordingEventSink(), runs: new RunStore(files), settings: () => DEFAULT_SETTINGS,
    python: 'python3', launch: () => Promise.reject(new Error('not in this bench')),
  });
  await session.execute();
  return tFirst - t0;
}

async function scriptedAgent(): Promise<{ calls: number; input: number; output: number; state: string }> {
  const server = await startFakeLlmServer();
  try {
    const root = mkdtempSync(path.join(tmpdir(), 'mli-bench-agent-'));
    mkdirSync(path.join(root, 'data'));
    cpSync(path.join(ROOT, 'examples/medical-qa/data/medical_qa.jsonl'), path.join(root, 'data', 'medical_qa.jsonl'));
    writeFileSync(path.join(root, 'README.md'), '# project\n');
    const c = (name: string, args: unknown) => ({ name, arguments: JSON.stringify(args) });
    server.script([
      { text: 'Looking at the workspace.', toolCalls: [c('list_files', {})], usage: { inputTokens: 1800, outputTokens: 40 } },
      { toolCalls: [c('read_file', { path: 'data/medical_qa.jsonl', limit: 3 })], usage: { inputTokens: 2100, outputTokens: 35 } },
      { text: 'Writing the script.', toolCalls: [c('write_file', { path: 'train.py', content: 'print("train")\n', description: 'SFT script' })], usage: { inputTokens: 2900, outputTokens: 400 } },
      { toolCalls: [c('run', { command: ['python', 'train.py'], reason: 'train' })], usage: { inputTokens: 3400, outputTokens: 30 } },
      { toolCalls: [c('finish', { summary: 'Trained.', artefacts: ['train.py'] })], usage: { inputTokens: 3600, outputTokens: 25 } },
    ]);
    const llm = new OpenAiProvider({ apiKey: 'sk-bench-000000000000000000000000', model: 'gpt-4.1', baseUrl: server.openaiBaseUrl });
    const files = new NodeFileStore(root);
    const { outcome, session } = await AgentSession.startRun(
      { llm, files, reviewer: new ScriptedReviewer(), executor: { start: () => Promise.reject(new Error('no exec')) }, events: new RecordingEventSink(), settings: { ...DEFAULT_SETTINGS, autoApprove: 'all', pythonPath: 'python3' } },
      { goal: 'Fine-tune a small model on data/medical_qa.jsonl' },
    );
    const totals = (await session.run.readStatus()).usage;
    return { calls: server.requests.length, input: totals.inputTokens + totals.cachedInputTokens, output: totals.outputTokens, state: outcome.state };
  } finally {
    await server.close();
  }
}

async function playbookPath(): Promise<{ llmCalls: number; kind: string; seconds: number }> {
  let llmCalls = 0;
  const counting: LlmProvider = { id: 'count', model: 'none', contextWindow: 1000, chat: async () => { llmCalls++; throw new Error('no LLM on the playbook path'); } };
  const files = new NodeFileStore(workspace());
  const t0 = performance.now();
  const session = await FineTuneSession.create(REQUEST, {
    files, reviewer: new ScriptedReviewer(), events: new RecordingEventSink(), runs: new RunStore(files), settings: () => DEFAULT_SETTINGS,
    python: path.join(ROOT, 'test/fixtures/trainer/fake-python'), llm: counting,
    launch: (spec) => startDetached(spec), approveCommand: async () => ({ approved: true }),
  });
  const outcome = await session.execute();
  return { llmCalls, kind: outcome.kind, seconds: (performance.now() - t0) / 1000 };
}

export default async function sessionsBench(): Promise<BenchResult> {
  await recipeToFirstDiff(); // warm the module caches, as a second wizard run would be
  const times: number[] = [];
  for (let i = 0; i < 5; i++) times.push(await recipeToFirstDiff());
  const median = [...times].sort((a, b) => a - b)[2];
  const agent = await scriptedAgent();
  const pb = await playbookPath();
  return {
    name: 'sessions (recipe mode to first diff; scripted agent; playbook path)',
    goal: 'first diff < 1 s; zero LLM calls on the playbook path',
    ok: median < 1000 && pb.llmCalls === 0 && pb.kind === 'succeeded',
    figures: {
      'recipe mode: last answer → first diff (median of 5)': `${median.toFixed(0)} ms (max ${Math.max(...times).toFixed(0)} ms)`,
      'scripted agent: LLM calls': `${agent.calls} (${agent.state})`,
      'scripted agent: tokens in / out': `${agent.input} / ${agent.output}`,
      'playbook path (OOM → fix → success): LLM calls': `${pb.llmCalls} (${pb.kind}, ${pb.seconds.toFixed(1)} s with the fixture trainer)`,
    },
  };
}
