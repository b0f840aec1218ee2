/**
 * Smoke first: the recipe's train.py carries MAX_STEPS in its CONFIG (-1 = off) and switches to
 * plain-text logs when it is set; the agent's `run` result says when a smoke run finished. Through the
 * real OpenAI SDK against the fake wire-protocol server, the production registry and a detached run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { AgentSession } from '../../../src/core/agent/agentLoop';
import { LOOP_RULES } from '../../../src/core/agent/systemPrompt';
import { startDetached } from '../../../src/core/exec/detached';
import { OpenAiProvider } from '../../../src/core/llm/openaiProvider';
import { readConfig } from '../../../src/core/recipes/configBlock';
import { createAgentRegistry } from '../../../src/core/tools/domain';
import { FakeLlmServer, startFakeLlmServer } from '../../support/fakeLlmServer';
import { fakeGpuEnv } from '../tools/domain/context';
import { makeDeps, tempWorkspace } from './helpers';

const EXAMPLE = path.resolve(__dirname, '../../../examples/medical-qa');
const SFT = { method: 'sft', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/medical_qa.jsonl', columnMapping: { user: 'patient_query', assistant: 'doctor_response' } };
const call = (name: string, args: unknown) => ({ name, arguments: JSON.stringify(args) });

/** A stand-in trainer with a CONFIG block like the recipe's: it logs MAX_STEPS loss lines (or 3 without a limit). */
const trainer = (maxSteps: number) => `# --- CONFIG
MAX_STEPS = ${maxSteps}  # -1 = off
# --- END CONFIG
steps = MAX_STEPS if MAX_STEPS > 0 else 3
for step in range(1, steps + 1):
    print({"loss": round(2.0 - 0.1 * step, 3), "step": step}, flush=True)
`;

function lastToolResult(server: FakeLlmServer, i: number): string {
  const body = server.requests[i].body as { messages: Array<{ role: string; content: unknown }> };
  return String(body.messages.filter((m) => m.role === 'tool').at(-1)?.content ?? '');
}

async function runScript(maxSteps: number): Promise<string> {
  const server = await startFakeLlmServer();
  const root = tempWorkspace('mli-smoke-');
  writeFileSync(path.join(root, 'train.py'), trainer(maxSteps));
  server.script([{ toolCalls: [call('run', { command: ['python', 'train.py'], reason: 'smoke' })] }, { toolCalls: [call('finish', { summary: 'ok' })] }]);
  try {
    const deps = makeDeps(new OpenAiProvider({ apiKey: 'sk-test-000000000000000000000000', model: 'gpt-4.1', baseUrl: server.openaiBaseUrl }), {
      root,
      tools: createAgentRegistry(),
      settings: { autoApprove: 'all', pythonPath: 'python3' },
      detached: { launch: (spec, options) => startDetached(spec, { ...options, pollMs: 50 }) },
    });
    const { outcome } = await AgentSession.startRun(deps, { goal: 'Smoke-test train.py.' });
    assert.equal(outcome.state, 'succeeded', outcome.message);
    return lastToolResult(server, 1);
  } finally {
    await server.close();
  }
}

test('a run of a script whose CONFIG sets MAX_STEPS > 0 says the smoke run finished and what comes next', { timeout: 60_000 }, async () => {
  const result = await runScript(10);
  assert.match(result, /Smoke run finished: train\.py stopped after MAX_STEPS = 10 steps/);
  assert.match(result, /set MAX_STEPS = -1 in its CONFIG with edit_file and start the full run/);
});

test('the full run (MAX_STEPS = -1) carries no smoke note', { timeout: 60_000 }, async () => {
  const result = await runScript(-1);
  assert.doesNotMatch(result, /[Ss]moke run/);
});

test('write_recipe\'s train.py has MAX_STEPS = -1 in its CONFIG, passed as max_steps, with plain-text logs only when it is set; the rules tell how to smoke-run it', { timeout: 120_000 }, async () => {
  const server = await startFakeLlmServer();
  const root = tempWorkspace('mli-smoke-');
  cpSync(EXAMPLE, root, { recursive: true });
  server.script([{ toolCalls: [call('write_recipe', SFT)] }, { toolCalls: [call('finish', { summary: 'ok' })] }]);
  try {
    const deps = makeDeps(new OpenAiProvider({ apiKey: 'sk-test-000000000000000000000000', model: 'gpt-4.1', baseUrl: server.openaiBaseUrl }), {
      root,
      tools: createAgentRegistry(),
      settings: { autoApprove: 'all' },
      env: fakeGpuEnv(),
    });
    const { outcome } = await AgentSession.startRun(deps, { goal: 'Write an SFT recipe.' });
    assert.equal(outcome.state, 'succeeded', outcome.message);
    const script = readFileSync(path.join(root, 'ml-intern/sft-qwen2-5-0-5b-instruct', 'train.py'), 'utf8');
    assert.equal(readConfig(script).MAX_STEPS, -1);
    assert.match(script, /max_steps=MAX_STEPS/);
    assert.match(script, /disable_tqdm=\(MAX_STEPS > 0\) or None/);
    assert.match(script, /logging_first_step=MAX_STEPS > 0/);
    assert.match(LOOP_RULES, /MAX_STEPS = 10[\s\S]*`edit_file`[\s\S]*MAX_STEPS = -1/);
  } finally {
    await server.close();
  }
});
