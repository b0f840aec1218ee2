/**
 * Try it and Export through the Evaluate / Merge / Push session: the plan's files are proposed as
 * diffs, the commands approved, and try_it.py really runs (python3 with the stub torch /
 * transformers / peft of test/fixtures/stubs/tryit_fake), its transcript left in the script folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { RunStore } from '../../../src/core/runs/runStore';
import { DEFAULT_SETTINGS } from '../../../src/core/settings';
import { ArtifactDeps, ArtifactRequest, ArtifactSession } from '../../../src/core/session/artifactSession';
import { startDetached } from '../../../src/core/exec/detached';
import { readConfig } from '../../../src/core/recipes/configBlock';
import { CommandApprovalRequest } from '../../../src/core/tools/types';
import { ADAPTER, artifactWorkspace, BASE } from '../session/artifactWorkspace';
import { CHATML_QWEN } from './templates';

const STUBS = resolve('test/fixtures/stubs/tryit_fake');

/** The example workspace with a trained adapter that carries its tokenizer (chat template, EOS), as the trainer saves it. */
function workspace(withTokenizer = true): string {
  const ws = artifactWorkspace('ml-intern-export-');
  if (withTokenizer) writeFileSync(join(ws, ADAPTER, 'tokenizer_config.json'), JSON.stringify({ chat_template: CHATML_QWEN, eos_token: '<|im_end|>' }));
  return ws;
}

function harness(ws: string, o: { reviewer?: ScriptedReviewer; approve?: boolean } = {}) {
  const files = new NodeFileStore(ws);
  const reviewer = o.reviewer ?? new ScriptedReviewer();
  const events = new RecordingEventSink();
  const approvals: CommandApprovalRequest[] = [];
  const deps: ArtifactDeps = {
    files,
    reviewer,
    events,
    runs: new RunStore(files),
    settings: () => DEFAULT_SETTINGS,
    python: 'python3',
    launch: (spec) => startDetached(spec),
    approveCommand: async (req) => {
      approvals.push(req);
      return o.approve === false ? { approved: false, reason: 'not now' } : { approved: true };
    },
    processEnv: async () => ({ PYTHONPATH: STUBS }),
  };
  return { deps, reviewer, events, approvals };
}

async function run(request: ArtifactRequest, h: ReturnType<typeof harness>) {
  const session = await ArtifactSession.create(request, h.deps);
  return { session, outcome: await session.execute() };
}

test('Try it: try_it.py is proposed, approved, run; both answers stream and the transcript is in the script folder', { timeout: 60_000 }, async () => {
  const ws = workspace();
  try {
    const h = harness(ws);
    const { outcome, session } = await run({ kind: 'try-it', model: ADAPTER, prompts: ['What is a normal resting heart rate?'], system: 'Be careful.' }, h);
    assert.equal(outcome.kind, 'succeeded', JSON.stringify(outcome));
    assert.deepEqual(h.reviewer.seen.map((c) => c.path), ['ml-intern/try-run1/try_it.py']);
    const config = readConfig(readFileSync(join(ws, 'ml-intern/try-run1', 'try_it.py'), 'utf8'));
    // The base comes from adapter_config.json; the adapter is seen from the script's folder.
    assert.deepEqual([config.BASE_MODEL, config.TRAINED, config.SYSTEM_PROMPT], [BASE, '../sft-qwen/outputs/run1', 'Be careful.']);
    assert.deepEqual(h.approvals.map((a) => a.argv), [['python3', 'try_it.py', '--text']]);
    const output = h.events.ofType('process_output').map((e) => e.text).join('');
    assert.match(output, /--- base ---\s*I am not sure, please ask a doctor\./);
    assert.match(output, /--- trained ---\s*A resting rate of 60 to 100 beats per minute is normal\./);
    const transcript = readFileSync(join(ws, 'ml-intern/try-run1', 'transcript.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; side?: string });
    assert.deepEqual(transcript.filter((e) => e.event === 'answer').map((e) => e.side), ['base', 'trained']);
    assert.match(outcome.summary, /try-run1\/transcript\.jsonl/);
    // The run folder keeps this run's answers (the script folder's transcript gathers every run).
    const kept = readFileSync(join(ws, session.handle.folder, 'answers.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; text?: string });
    assert.deepEqual(kept.map((e) => e.event), ['start', 'prompt', 'answer', 'answer', 'end']);
    assert.equal(kept[3].text, 'A resting rate of 60 to 100 beats per minute is normal.');
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('Try it on a folder without the trained tokenizer fails before anything is proposed, saying why', async () => {
  const ws = workspace(false);
  try {
    const h = harness(ws);
    const { outcome } = await run({ kind: 'try-it', model: ADAPTER, prompts: ['hi'] }, h);
    assert.equal(outcome.kind, 'failed');
    assert.match(outcome.summary, /no chat template/);
    assert.equal(h.reviewer.seen.length, 0);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('Export: merge script, training template, checked Modelfile and vLLM smoke test are proposed; refusing the steps runs nothing', async () => {
  const ws = workspace();
  try {
    const h = harness(ws, { approve: false });
    const { outcome } = await run({ kind: 'export', model: ADAPTER, name: 'qwen-medical', quants: ['Q4_K_M'], llamaCpp: '/opt/llama.cpp', ollama: true, vllm: true }, h);
    assert.equal(outcome.kind, 'stopped', JSON.stringify(outcome));
    assert.deepEqual(h.reviewer.seen.map((c) => c.path), ['ml-intern/export-qwen-medical/merge_bf16.py', 'ml-intern/export-qwen-medical/chat_template.jinja', 'ml-intern/export-qwen-medical/Modelfile', 'ml-intern/export-qwen-medical/vllm_smoke.py']);
    const modelfile = readFileSync(join(ws, 'ml-intern/export-qwen-medical', 'Modelfile'), 'utf8');
    assert.match(modelfile, /^FROM \.\/model-q4_k_m\.gguf$/m);
    assert.match(modelfile, /PARAMETER stop "<\|im_end\|>"/);
    assert.equal(readFileSync(join(ws, 'ml-intern/export-qwen-medical', 'chat_template.jinja'), 'utf8'), CHATML_QWEN);
    // One approval for the whole plan, in order; refused, so no GGUF was made.
    assert.equal(h.approvals.length, 1);
    assert.match(h.approvals[0].detail ?? '', /1\. Merge[\s\S]*convert_hf_to_gguf\.py[\s\S]*llama-quantize model-bf16\.gguf model-q4_k_m\.gguf Q4_K_M[\s\S]*ollama create qwen-medical -f Modelfile[\s\S]*vllm_smoke\.py/);
    assert.ok(!existsSync(join(ws, 'ml-intern/export-qwen-medical', 'model-bf16.gguf')));
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('Export with a name Ollama refuses fails before anything is written', async () => {
  const ws = workspace();
  try {
    const h = harness(ws);
    const { outcome } = await run({ kind: 'export', model: ADAPTER, name: 'Qwen Medical', quants: [], ollama: true, vllm: false }, h);
    assert.equal(outcome.kind, 'failed');
    assert.match(outcome.summary, /not a valid Ollama model name/);
    assert.equal(h.reviewer.seen.length, 0);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
