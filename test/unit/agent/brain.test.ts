/**
 * The agent's brain with a real model's wire traffic: the real OpenAI and Anthropic SDKs against the
 * fake wire-protocol server, the PRODUCTION tool registry (createAgentRegistry) and, where runs are
 * concerned, commands started DETACHED (as in VS Code and `ml-intern run`) running the fixture trainer.
 * What the model reads back is taken from the request bodies the SDKs really sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { AgentSession } from '../../../src/core/agent/agentLoop';
import { OBSERVATION_CAP } from '../../../src/core/agent/observation';
import { startDetached } from '../../../src/core/exec/detached';
import { AnthropicProvider } from '../../../src/core/llm/anthropicProvider';
import { OpenAiProvider } from '../../../src/core/llm/openaiProvider';
import { LlmProvider } from '../../../src/core/llm/types';
import { readConfig } from '../../../src/core/recipes/configBlock';
import { parseTranscript } from '../../../src/core/runs/transcript';
import { createAgentRegistry } from '../../../src/core/tools/domain';
import { FakeLlmServer, FakeTurn, startFakeLlmServer } from '../../support/fakeLlmServer';
import { FAKE_TRAINER } from '../exec/helpers';
import { fakeGpuEnv } from '../tools/domain/context';
import { makeDeps, tempWorkspace } from './helpers';
import { FAKE_ANTHROPIC_KEY } from '../../support/fakeKeys';

const EXAMPLE = path.resolve(__dirname, '../../../examples/medical-qa');
const SFT = { method: 'sft', baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/medical_qa.jsonl', columnMapping: { user: 'patient_query', assistant: 'doctor_response' } };
const FOLDER = 'ml-intern/sft-qwen2-5-0-5b-instruct';

const call = (name: string, args: unknown) => ({ name, arguments: JSON.stringify(args) });

function openai(server: FakeLlmServer): LlmProvider {
  return new OpenAiProvider({ apiKey: 'sk-test-000000000000000000000000', model: 'gpt-4.1', baseUrl: server.openaiBaseUrl });
}
function anthropic(server: FakeLlmServer): LlmProvider {
  return new AnthropicProvider({ apiKey: FAKE_ANTHROPIC_KEY, model: 'claude-haiku-4-5', baseUrl: server.anthropicBaseUrl });
}

/** The text of every tool result / user message in request i, as the model received it (either wire format). */
function toolResults(server: FakeLlmServer, i: number): string[] {
  const body = server.requests[i].body as { messages: Array<{ role: string; content: unknown }> };
  const out: string[] = [];
  for (const m of body.messages) {
    if (m.role === 'tool' && typeof m.content === 'string') out.push(m.content);
    if (m.role === 'user' && Array.isArray(m.content)) {
      for (const b of m.content as Array<{ type: string; content?: unknown }>) if (b.type === 'tool_result') out.push(String(b.content));
    }
  }
  return out;
}
function userTexts(server: FakeLlmServer, i: number): string[] {
  const body = server.requests[i].body as { messages: Array<{ role: string; content: unknown }> };
  const out: string[] = [];
  for (const m of body.messages) {
    if (m.role !== 'user') continue;
    if (typeof m.content === 'string') out.push(m.content);
    else for (const b of m.content as Array<{ type: string; text?: string }>) if (b.type === 'text' && b.text) out.push(b.text);
  }
  return out;
}
const lastResult = (server: FakeLlmServer, i: number) => toolResults(server, i).at(-1) ?? '';

function workspace(): string {
  const root = tempWorkspace('mli-brain-');
  cpSync(EXAMPLE, root, { recursive: true });
  return root;
}

function agentDeps(llm: LlmProvider, root: string, autoApprove: 'never' | 'recipe' | 'all' = 'all') {
  return makeDeps(llm, {
    root,
    costOf: () => 0,
    tools: createAgentRegistry(),
    settings: { autoApprove },
    env: fakeGpuEnv(),
    detached: { launch: (spec, options) => startDetached(spec, { ...options, pollMs: 50 }) },
  });
}

async function withServer(turns: FakeTurn[], body: (server: FakeLlmServer) => Promise<void>): Promise<void> {
  const server = await startFakeLlmServer();
  server.script(turns);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

test('write_recipe through the OpenAI SDK: an unknown key is refused with the allowed names; the libraries\' snake_case names are honoured and echoed from train.py', { timeout: 120_000 }, async () => {
  await withServer(
    [
      { toolCalls: [call('write_recipe', { ...SFT, lora_rank: 64 })] },
      { toolCalls: [call('write_recipe', { ...SFT, learning_rate: 1e-5, num_train_epochs: 1, max_length: 4096, lora_r: 64 })] },
      { toolCalls: [call('finish', { summary: 'Recipe written.' })] },
    ],
    async (server) => {
      const root = workspace();
      const deps = agentDeps(openai(server), root, 'recipe');
      const { outcome } = await AgentSession.startRun(deps, { goal: 'Write an SFT recipe.' });
      assert.equal(outcome.state, 'succeeded', outcome.message);

      const refused = lastResult(server, 1);
      assert.match(refused, /Invalid arguments for 'write_recipe': arguments\.lora_rank is not a known parameter \(allowed: method, baseModel, dataset,[^)]*loraR/);
      assert.match(refused, /Nothing was done/);
      assert.match(refused, /Also accepted: .*lora_r = loraR/);
      assert.ok(refused.length < OBSERVATION_CAP, `the refusal fits an observation (${refused.length})`);

      const written = lastResult(server, 2);
      assert.match(written, /^\(Read learning_rate as learningRate, num_train_epochs as epochs, max_length as maxLength, lora_r as loraR\.\)/);
      assert.match(written, /Hyper-parameters in train\.py \(its CONFIG block\): learning rate 0\.00001, epochs 1, max length 4096, .*LoRA r 64/);
      assert.doesNotMatch(written, /NOT AS ASKED/);
      const config = readConfig(readFileSync(path.join(root, FOLDER, 'train.py'), 'utf8'));
      assert.deepEqual([config.LEARNING_RATE, config.NUM_TRAIN_EPOCHS, config.MAX_LENGTH, config.LORA_R], [1e-5, 1, 4096, 64]);
      // Every tool the model is offered refuses unknown arguments.
      const tools = (server.requests[0].body as { tools: Array<{ function: { name: string; parameters: { additionalProperties?: boolean } } }> }).tools;
      assert.ok(tools.length >= 15);
      for (const t of tools) assert.equal(t.function.parameters.additionalProperties, false, t.function.name);
    },
  );
});

test('five identical failing detached runs (Anthropic SDK): each result holds the exception and the diagnosis within the cap, and the loop guard fires', { timeout: 180_000 }, async () => {
  const failing = ['python', FAKE_TRAINER, '--steps', '6', '--delay-ms', '5', '--logging-steps', '1', '--fail', 'oom', '--fail-at', '4'];
  const runCall = call('run', { command: failing, reason: 'train' });
  await withServer(
    [...Array.from({ length: 5 }, () => ({ toolCalls: [runCall] })), { text: 'I keep hitting the same OOM.' }],
    async (server) => {
      const root = workspace();
      const deps = agentDeps(anthropic(server), root);
      const { session, outcome } = await AgentSession.startRun(deps, { goal: 'Train.' });
      assert.equal(outcome.state, 'waiting', outcome.message);
      for (let n = 1; n <= 5; n++) assert.ok(existsSync(path.join(root, session.folder, 'logs', `cmd-${n}`, 'train.log')), `run ${n} was detached`);

      const first = lastResult(server, 1);
      assert.match(first, /exit code 1 after/);
      assert.match(first, /Diagnosis: cuda_oom\./);
      assert.match(first, /Fix \(known fix\): /);
      assert.match(first, /torch\.OutOfMemoryError: CUDA out of memory/);
      assert.match(first, /logs\/cmd-1\/train\.log/);
      assert.ok(first.length < OBSERVATION_CAP, `within the cap (${first.length})`);
      assert.doesNotMatch(first, /omitted/, 'nothing of it was cut');

      // The guard warns after the third identical failure, although each run logs to its own cmd-N/.
      const guardNote = /\[loop guard\] You are repeating yourself: the same run call with the same arguments returned the same result 3 times in a row/;
      assert.ok(!userTexts(server, 2).some((t) => guardNote.test(t)));
      assert.ok(userTexts(server, 3).some((t) => guardNote.test(t)), 'warned after the third failure');
      const { entries } = parseTranscript(readFileSync(path.join(root, session.folder, 'transcript.jsonl'), 'utf8'));
      assert.deepEqual(entries.filter((e) => e.kind === 'guard').map((e) => (e as { level: string }).level), ['warn']);
    },
  );
});

test('a training that succeeds gives the loss trajectory; tqdm redraws are not the result', { timeout: 120_000 }, async () => {
  await withServer(
    [{ toolCalls: [call('run', { command: ['python', FAKE_TRAINER, '--steps', '40', '--delay-ms', '2', '--logging-steps', '5'], reason: 'train' })] }, { toolCalls: [call('finish', { summary: 'ok' })] }],
    async (server) => {
      const root = workspace();
      const { outcome } = await AgentSession.startRun(agentDeps(openai(server), root), { goal: 'Train.' });
      assert.equal(outcome.state, 'succeeded', outcome.message);
      const result = lastResult(server, 1);
      assert.match(result, /exit code 0 after/);
      assert.match(result, /Training loss \(8 logged\): step 5 [\d.]+ → step 10 [\d.]+ → .* → step 40 [\d.]+/);
      const redraws = result.split('\n').filter((l) => /\d+%\|/.test(l)).length;
      assert.ok(redraws <= 3, `one line per bar, not every redraw (${redraws})`);
      assert.ok(result.length < OBSERVATION_CAP);
    },
  );
});

test('a text-only reply with open plan items gets one nudge, then the run waits for the user', { timeout: 60_000 }, async () => {
  await withServer(
    [
      { toolCalls: [call('plan', { items: [{ text: 'Inspect the data', status: 'in_progress' }, { text: 'Train', status: 'pending' }] })] },
      { text: "Next I'll inspect the data." },
      { text: 'Which split should I use?' },
    ],
    async (server) => {
      const deps = agentDeps(openai(server), workspace());
      const { session, outcome } = await AgentSession.startRun(deps, { goal: 'Fine-tune on data/medical_qa.jsonl' });
      assert.equal(outcome.state, 'waiting');
      assert.equal(outcome.question, 'Which split should I use?');
      assert.equal(server.requests.length, 3);
      const nudge = userTexts(server, 2).at(-1) ?? '';
      assert.match(nudge, /You replied without calling a tool, and your plan still has open items: "Inspect the data", "Train"\. A reply without a tool call ends the run/);
      const nudges = session.conversation.filter((m) => m.role === 'user' && /replied without calling a tool/.test(m.content));
      assert.equal(nudges.length, 1, 'nudged once');
    },
  );
});

const CUT_LIMITS: Array<[string, (server: FakeLlmServer) => LlmProvider, string]> = [['Anthropic max_tokens', anthropic, 'max_tokens'], ['OpenAI finish_reason length', openai, 'length']];
for (const [wire, provider, stop] of CUT_LIMITS) test(`an answer cut at the output limit (${wire}) mid tool call: the call is not run and the model is told not to resend the same content`, { timeout: 60_000 }, async () => {
  const big = 'x'.repeat(3000);
  await withServer(
    [
      { toolCalls: [{ name: 'write_file', arguments: `{"path": "train.py", "content": "${big}` }], stopReason: stop },
      { text: 'I was cut off mid-sentence', stopReason: stop },
      { toolCalls: [call('finish', { summary: 'stopped' })] },
    ],
    async (server) => {
      const root = workspace();
      const deps = agentDeps(provider(server), root);
      const { outcome } = await AgentSession.startRun(deps, { goal: 'Write train.py.' });
      assert.equal(outcome.state, 'succeeded', outcome.message);
      const result = lastResult(server, 1);
      assert.match(result, /Not run: your answer hit the output-token limit while writing the arguments of 'write_file'/);
      assert.match(result, /Do NOT send the same large content again/);
      assert.ok(!existsSync(path.join(root, 'train.py')));
      assert.match(userTexts(server, 2).at(-1) ?? '', /\[output limit\] Your answer was cut off at the output-token limit\. Do not repeat it/);
    },
  );
});

test('a scope change is asked, never applied: write_recipe replacing a full fine-tuning by QLoRA waits for the user, even under autoApprove "recipe"', { timeout: 120_000 }, async () => {
  await withServer(
    [
      { toolCalls: [call('write_recipe', { ...SFT, adapter: 'full' })] },
      { text: 'Full fine-tuning will not fit; switching to QLoRA.', toolCalls: [call('write_recipe', { ...SFT, adapter: 'qlora' })] },
      { toolCalls: [call('write_recipe', { ...SFT, adapter: 'qlora', userAgreedToScopeChange: true })] },
      { toolCalls: [call('finish', { summary: 'QLoRA recipe written, as agreed.' })] },
    ],
    async (server) => {
      const root = workspace();
      const deps = agentDeps(openai(server), root, 'recipe');
      const { session, outcome } = await AgentSession.startRun(deps, { goal: 'Fully fine-tune Qwen2.5-0.5B on data/medical_qa.jsonl' });
      const script = () => readFileSync(path.join(root, FOLDER, 'train.py'), 'utf8');
      assert.equal(outcome.state, 'waiting', outcome.message);
      assert.match(outcome.question ?? '', /May I change your training plan in ml-intern\/sft-qwen2-5-0-5b-instruct\/train\.py: adapter full → qlora/);
      assert.equal(readConfig(script()).LOAD_IN_4BIT, undefined, 'the full fine-tuning script is untouched');
      const refusal = session.conversation.filter((m) => m.role === 'tool').at(-1);
      assert.match(refusal?.role === 'tool' ? refusal.content : '', /Not written: this recipe changes the user's plan/);
      assert.equal(deps.events.ofType('ask_user').length, 1);

      const after = await session.continueRun('yes, use QLoRA');
      assert.equal(after.state, 'succeeded', after.message);
      assert.equal(readConfig(script()).LOAD_IN_4BIT, true);
      assert.match(userTexts(server, 3).at(-1) ?? '', /^Answer to "May I change your training plan.*": yes, use QLoRA$/);
    },
  );
});

test('the first user message carries the machine (versions, GPUs); the system prompt and tools are the same for every run', { timeout: 120_000 }, async () => {
  await withServer([{ toolCalls: [call('finish', { summary: 'a' })] }, { toolCalls: [call('finish', { summary: 'b' })] }], async (server) => {
    const { environmentBriefing } = await import('../../../src/core/agent/briefing');
    const { defaultSystemPrompt } = await import('../../../src/core/agent/systemPrompt');
    for (const goal of ['First goal.', 'Second goal.']) {
      const deps = { ...agentDeps(anthropic(server), workspace()), systemPrompt: defaultSystemPrompt(), briefing: environmentBriefing };
      await AgentSession.startRun(deps, { goal });
    }
    const [a, b] = server.requests.map((r) => r.body as { system: unknown; tools: unknown; messages: Array<{ content: Array<{ text?: string }> }> });
    assert.deepEqual(a.system, b.system);
    assert.deepEqual(a.tools, b.tools);
    const first = a.messages[0].content[0].text ?? '';
    assert.match(first, /^First goal\.\n\n## This machine/);
    assert.match(first, /Tesla T4/, 'the GPUs from nvidia-smi');
    assert.match(first, /Python 3\.\d+/);
    assert.match(first, /These installed versions rule over what you remember/);
  });
});

test('read_guide opens the extension\'s guides by name and lists them for a wrong one', async () => {
  const { readGuideTool, guideNames } = await import('../../../src/core/tools/domain/readGuide');
  const names = guideNames();
  assert.ok(names.includes('recovery') && names.includes('renames') && !names.includes('persona'), names.join(','));
  const ok = await readGuideTool.handler({ name: 'recovery' }, undefined as never);
  assert.match(ok.output, /Reading a trainer failure/);
  const wrong = await readGuideTool.handler({ name: '../../package.json' }, undefined as never);
  assert.equal(wrong.ok, false);
  assert.match(wrong.output, /No guide named "\.\.\/\.\.\/package\.json"\. The guides are: .*recovery.*renames/);
});
