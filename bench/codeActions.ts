/**
 * JSON tools vs code actions (mlIntern.agent.actions) on the same scripted task: inspect a data set
 * with odd column names, look at its rows' lengths, write the recipe with the columns mapped, finish.
 * With JSON tools every tool result goes back through the model before the next call; with code
 * actions one Python step calls the tools as functions and keeps the values in its variables. The
 * production system prompt and registry, the real OpenAI SDK against the fake wire-protocol server,
 * the real interpreter (python/code_actions.py on python3). Figures: LLM calls, input tokens sent
 * (characters / 4 of the request bodies: a comparison between the two modes, not an invoice), output
 * tokens of the scripted answers, wall time of the whole run.
 */
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AgentSession } from '../src/core/agent/agentLoop';
import { withCodeActions } from '../src/core/codeActions/actionMode';
import { ChildProcessExecutor } from '../src/core/exec/childProcessExecutor';
import { OpenAiProvider } from '../src/core/llm/openaiProvider';
import { AgentActions, DEFAULT_SETTINGS } from '../src/core/settings';
import { RecordingEventSink, ScriptedReviewer } from '../src/core/testing/memoryPorts';
import { createAgentRegistry } from '../src/core/tools/domain';
import { NodeFileStore } from '../src/core/util/nodeFileStore';
import { FakeTurn, startFakeLlmServer } from '../test/support/fakeLlmServer';
import type { BenchResult } from './run';

const tokens = (value: unknown): number => Math.ceil((typeof value === 'string' ? value : JSON.stringify(value) ?? '').length / 4);
const c = (name: string, args: unknown, id: string) => ({ id, name, arguments: JSON.stringify(args) });

const RECIPE = { method: 'sft', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/odd.jsonl', columnMapping: { user: 'Frage', assistant: 'Antwort_des_Arztes' } };

/** Rows whose columns no name rule knows: the model must look before it maps them. */
function oddData(root: string): void {
  mkdirSync(path.join(root, 'data'), { recursive: true });
  const rows = Array.from({ length: 200 }, (_, i) => ({ Frage: `Frage ${i}: ${'Wie lange dauert die Genesung? '.repeat(1 + (i % 7))}`, Antwort_des_Arztes: `Antwort ${i}: ${'Meist zwei bis drei Wochen. '.repeat(2 + (i % 11))}`, quelle: 'forum' }));
  writeFileSync(path.join(root, 'data', 'odd.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

function jsonToolsScript(): FakeTurn[] {
  return [
    { toolCalls: [c('inspect_data', { dataset: 'data/odd.jsonl' }, 'j1')] },
    { text: 'The columns are German: Frage is the question, Antwort_des_Arztes the answer. Checking the lengths.', toolCalls: [c('read_file', { path: 'data/odd.jsonl', limit: 20 }, 'j2')] },
    { text: 'Rows are short: the default MAX_LENGTH fits.', toolCalls: [c('write_recipe', RECIPE, 'j3')] },
    { toolCalls: [c('finish', { summary: 'Recipe written with Frage -> user, Antwort_des_Arztes -> assistant.' }, 'j4')] },
  ];
}

function codeActionsScript(): FakeTurn[] {
  const code = [
    'info = inspect_data(dataset="data/odd.jsonl")',
    'import json',
    'rows = [json.loads(l) for l in open("data/odd.jsonl", encoding="utf-8") if l.strip()]',
    'longest = max(len(r["Frage"]) + len(r["Antwort_des_Arztes"]) for r in rows)',
    'print("rows:", len(rows), "longest row (chars):", longest)',
    `print(write_recipe(**${JSON.stringify(RECIPE)})[:300])`,
  ].join('\n');
  return [
    { text: 'One step: inspect, measure the rows, write the recipe with the columns mapped.', toolCalls: [c('python', { reason: 'inspect, measure and write the recipe', code }, 'k1')] },
    { toolCalls: [c('finish', { summary: 'Recipe written with Frage -> user, Antwort_des_Arztes -> assistant.' }, 'k2')] },
  ];
}

async function runTask(mode: AgentActions): Promise<{ calls: number; state: string; input: number; output: number; seconds: number }> {
  const server = await startFakeLlmServer();
  const turns = mode === 'code' ? codeActionsScript() : jsonToolsScript();
  server.script(turns);
  const root = mkdtempSync(path.join(tmpdir(), `mli-bench-actions-${mode}-`));
  oddData(root);
  const actions = withCodeActions(createAgentRegistry(), mode);
  const started = Date.now();
  try {
    const llm = new OpenAiProvider({ apiKey: 'sk-bench-000000000000000000000000', model: 'gpt-4.1', baseUrl: server.openaiBaseUrl });
    const { outcome } = await AgentSession.startRun(
      {
        llm,
        files: new NodeFileStore(root),
        reviewer: new ScriptedReviewer(),
        executor: new ChildProcessExecutor(),
        events: new RecordingEventSink(),
        settings: { ...DEFAULT_SETTINGS, autoApprove: 'all', pythonPath: 'python3', agentActions: mode },
        tools: actions.tools,
      },
      { goal: 'Fine-tune Qwen/Qwen2.5-0.5B-Instruct on data/odd.jsonl (SFT, LoRA).' },
    );
    const seconds = (Date.now() - started) / 1000;
    const bodies = server.requests.map((r) => r.body ?? {});
    const input = bodies.reduce((n, b) => n + tokens(b), 0);
    const output = turns.slice(0, bodies.length).reduce((n, t) => n + tokens(t.text ?? '') + (t.toolCalls ?? []).reduce((k, tc) => k + tokens(tc.arguments), 0), 0);
    return { calls: bodies.length, state: outcome.state, input, output, seconds };
  } finally {
    await actions.dispose();
    await server.close();
  }
}

export default async function codeActionsBench(): Promise<BenchResult> {
  const figures: Record<string, string> = {};
  let ok = true;
  const runs = { tools: await runTask('tools'), code: await runTask('code') };
  for (const [mode, r] of Object.entries(runs)) {
    ok &&= r.state === 'succeeded';
    const label = mode === 'code' ? 'code actions' : 'JSON tools';
    figures[`${label}: LLM calls`] = `${r.calls} (${r.state})`;
    figures[`${label}: input tokens sent (all calls)`] = String(r.input);
    figures[`${label}: output tokens`] = String(r.output);
    figures[`${label}: wall time`] = `${r.seconds.toFixed(2)} s`;
  }
  ok &&= runs.code.calls < runs.tools.calls;
  return { name: 'JSON tools vs code actions (inspect odd columns, measure rows, write the recipe, finish)', goal: 'both succeed; code actions need fewer LLM calls', ok, figures };
}
