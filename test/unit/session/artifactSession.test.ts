/**
 * Evaluate / Merge / Push end to end with real processes: recipe → reviewed
 * files → approved commands run detached in order (test/fixtures/eval stands in
 * for the GPU box: a fake interpreter and a fake `lighteval` next to it, the
 * recipe's own compare_results.py runs for real) → base-vs-trained table, or
 * the first failure with a diagnosis.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { RunStore } from '../../../src/core/runs/runStore';
import { DEFAULT_SETTINGS } from '../../../src/core/settings';
import { ArtifactDeps, ArtifactRequest, ArtifactSession, parseComparison, resolveProgram } from '../../../src/core/session/artifactSession';
import { startDetached } from '../../../src/core/exec/detached';
import { readConfig } from '../../../src/core/recipes/configBlock';
import { CommandApprovalRequest } from '../../../src/core/tools/types';
import { FullDiskStore, snapshotFiles } from '../../support/fullDiskStore';
import { ADAPTER, artifactWorkspace, BASE } from './artifactWorkspace';
import { ChatModel } from '../../../media/model';
import { replayRun } from '../../../src/ui/chat/runReplay';
import type { AgentEvent } from '../../../src/core/events';

const FAKE_PYTHON = resolve('test/fixtures/eval/fake-python');

const workspace = () => artifactWorkspace();

interface Harness {
  deps: ArtifactDeps;
  reviewer: ScriptedReviewer;
  events: RecordingEventSink;
  approvals: CommandApprovalRequest[];
  launched: string[][];
}

function harness(ws: string, o: { reviewer?: ScriptedReviewer; approve?: boolean; env?: Record<string, string>; python?: string } = {}): Harness {
  const files = new NodeFileStore(ws);
  const reviewer = o.reviewer ?? new ScriptedReviewer();
  const events = new RecordingEventSink();
  const approvals: CommandApprovalRequest[] = [];
  const launched: string[][] = [];
  const deps: ArtifactDeps = {
    files,
    reviewer,
    events,
    runs: new RunStore(files),
    settings: () => DEFAULT_SETTINGS,
    python: o.python ?? FAKE_PYTHON,
    launch: async (spec) => {
      launched.push(spec.argv);
      return startDetached(spec);
    },
    approveCommand: async (req) => {
      approvals.push(req);
      return o.approve === false ? { approved: false, reason: 'not now' } : { approved: true };
    },
    processEnv: async () => o.env ?? {},
  };
  return { deps, reviewer, events, approvals, launched };
}

async function run(ws: string, request: ArtifactRequest, h: Harness) {
  const session = await ArtifactSession.create(request, h.deps);
  const outcome = await session.execute();
  return { session, outcome, folder: join(ws, session.handle.folder) };
}

test('evaluate an adapter: files proposed, the plan approved once and run in order, eval_results emitted, succeeded', { timeout: 120_000 }, async () => {
  const ws = workspace();
  try {
    const h = harness(ws);
    const { outcome, folder, session } = await run(ws, { kind: 'eval', model: ADAPTER, tasks: ['gsm8k', 'hellaswag'], limit: 50 }, h);
    assert.equal(outcome.kind, 'succeeded', JSON.stringify(outcome));

    assert.deepEqual(h.reviewer.seen.map((c) => [c.path, c.origin]), [
      ['ml-intern/eval-run1/merge_adapter.py', 'recipe'],
      ['ml-intern/eval-run1/compare_results.py', 'recipe'],
    ]);
    const merge = readConfig(readFileSync(join(ws, 'ml-intern/eval-run1', 'merge_adapter.py'), 'utf8'));
    assert.deepEqual([merge.BASE_MODEL_ID, merge.ADAPTER_DIR, merge.MERGED_DIR], [BASE, '../sft-qwen/outputs/run1', '../sft-qwen/outputs/run1-merged']);

    // One approval before the first step started: it lists every step with the command that then ran,
    // with the chosen interpreter and the lighteval next to it.
    const lighteval = resolve('test/fixtures/eval/lighteval');
    assert.equal(h.approvals.length, 1, 'one dialog for the whole evaluation');
    const asked = h.approvals[0];
    assert.equal(asked.origin, 'recipe');
    assert.equal(asked.cwd, join(ws, 'ml-intern/eval-run1'));
    assert.match(asked.reason, /^4 steps, run in this order/);
    assert.deepEqual(h.launched.map((argv) => argv.slice(0, 2)), [
      [FAKE_PYTHON, 'merge_adapter.py'],
      [lighteval, 'accelerate'],
      [lighteval, 'accelerate'],
      [FAKE_PYTHON, 'compare_results.py'],
    ]);
    assert.deepEqual(asked.argv, h.launched[0]);
    for (const argv of h.launched) assert.ok((asked.detail ?? '').includes(argv.join(' ')), `the dialog shows ${argv.join(' ')}`);
    assert.deepEqual(h.launched[1].slice(-4), ['--output-dir', 'results/base', '--max-samples', '50']);
    assert.match(h.launched[1][2], /^model_name=Qwen\/Qwen2\.5-0\.5B-Instruct,dtype=/);
    assert.match(h.launched[2][2], /^model_name=\.\.\/sft-qwen\/outputs\/run1-merged,/);
    assert.match(readFileSync(join(folder, 'transcript.jsonl'), 'utf8'), /approved as one plan: .*merge_adapter\.py ; .*compare_results\.py/);

    // The recipe's compare_results.py ran for real on the fake LightEval output.
    const rows = parseComparison(readFileSync(join(ws, 'ml-intern/eval-run1', 'results', 'comparison.json'), 'utf8'));
    assert.deepEqual(rows, [
      { task: 'gsm8k (lighteval, 5-shot, em)', base: 0.312, trained: 0.355 },
      { task: 'hellaswag (lighteval, 0-shot, acc)', base: 0.492, trained: 0.501 },
    ]);
    const evalEvents = h.events.ofType('eval_results');
    assert.equal(evalEvents.length, 1);
    assert.deepEqual(evalEvents[0].rows, rows);
    assert.equal(evalEvents[0].runId, session.runId);
    assert.equal(evalEvents[0].model, ADAPTER, 'the card can offer Try it on the evaluated folder');
    assert.equal(h.events.ofType('process_started').length, 4);
    assert.ok(h.events.ofType('process_output').some((e) => /Task .*Metric/.test(e.text) || /Evaluating gsm8k/.test(e.text)), 'LightEval output reached the panel');
    // The table is the panel's card once; the end message does not repeat it (the outcome, read by the agent, keeps it).
    assert.match(outcome.summary, /\| gsm8k \(lighteval, 5-shot, em\) \| 0\.3120 \| 0\.3550 \| \+0\.0430 \|/);
    const endMessage = h.events.ofType('assistant_message').at(-1)?.text ?? '';
    assert.match(endMessage, /^Evaluation finished: .* against its base \(the table above\)/);
    assert.doesNotMatch(endMessage, /\| task \|/);
    for (const [when, events] of [['live', h.events.events], ['reopened', (await replayRun(h.deps.files, session.runId)) ?? []]] as const) {
      const model = new ChatModel();
      model.applyAll(events);
      const tables = model.entries.filter((e) => e.kind === 'eval' || (e.kind === 'assistant' && e.text.includes('| task |')));
      assert.deepEqual(tables.map((e) => e.kind), ['eval'], `${when}: one table`);
      assert.equal(timesSaid(events, 'Evaluation finished:'), 1, `${when}: the end said once`);
    }
    assert.equal(h.events.ofType('run_state').at(-1)?.state, 'succeeded');

    assert.ok(existsSync(join(ws, 'ml-intern/sft-qwen/outputs/run1-merged/config.json')), 'the adapter was merged first');
    for (const f of ['spec.json', 'status.json', 'transcript.jsonl', 'plan.json', 'results/comparison.json', 'logs/step-1.log', 'logs/step-4.log']) {
      assert.ok(existsSync(join(folder, f)), `${f} in the run folder`);
    }
    assert.match(readFileSync(join(folder, 'logs/step-2.log'), 'utf8'), /\|lighteval\|gsm8k\|5/);
    assert.equal(JSON.parse(readFileSync(join(folder, 'status.json'), 'utf8')).state, 'succeeded');
    assert.equal(JSON.parse(readFileSync(join(folder, 'spec.json'), 'utf8')).kind, 'eval');
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a failing command stops the sequence: state failed with the diagnosis', { timeout: 60_000 }, async () => {
  const ws = workspace();
  try {
    const h = harness(ws, { env: { FAKE_FAIL: 'merge_adapter.py' } });
    const { outcome, folder } = await run(ws, { kind: 'eval', model: ADAPTER, baseModel: BASE, tasks: ['gsm8k'] }, h);
    assert.equal(outcome.kind, 'failed');
    assert.equal(h.launched.length, 1, 'nothing after the failing step ran');
    const diagnosis = h.events.ofType('diagnosis');
    assert.equal(diagnosis.length, 1);
    assert.equal(diagnosis[0].category, 'module_not_found');
    const last = h.events.ofType('run_state').at(-1);
    assert.equal(last?.state, 'failed');
    assert.match(last?.message ?? '', /^Step 1 of 4 \(Merge the adapter .*\) failed with exit code 1: .*peft.* Fix: .*Log: \.ml-intern\/runs\/.*\/logs\/step-1\.log\.$/);
    assert.equal(h.events.ofType('eval_results').length, 0);
    assert.match(readFileSync(join(folder, 'logs/step-1.log'), 'utf8'), /ModuleNotFoundError: No module named 'peft'/);
    assert.equal(JSON.parse(readFileSync(join(folder, 'status.json'), 'utf8')).state, 'failed');
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('merge an adapter into its base: merge_adapter.py writes to the chosen output', { timeout: 60_000 }, async () => {
  const ws = workspace();
  try {
    const h = harness(ws);
    const { outcome } = await run(ws, { kind: 'merge-adapter', baseModel: BASE, adapter: ADAPTER, output: 'merged/qwen-medical' }, h);
    assert.equal(outcome.kind, 'succeeded', JSON.stringify(outcome));
    assert.deepEqual(h.reviewer.seen.map((c) => c.path), ['ml-intern/merge-run1/merge_adapter.py']);
    assert.equal(readConfig(h.reviewer.seen[0].proposed).MERGED_DIR, '../../merged/qwen-medical', 'the workspace folder merged/ as seen from ml-intern/merge-run1/');
    assert.deepEqual(h.approvals.map((a) => a.argv), [[FAKE_PYTHON, 'merge_adapter.py']]);
    assert.ok(existsSync(join(ws, 'merged/qwen-medical/config.json')));
    assert.match(outcome.summary, /the model is in `merged\/qwen-medical`/);

    const notAdapter = await run(ws, { kind: 'merge-adapter', baseModel: BASE, adapter: 'data', output: 'merged/x' }, harness(ws));
    assert.equal(notAdapter.outcome.kind, 'failed');
    assert.match(notAdapter.outcome.summary, /data has no adapter_config\.json/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('push a folder: push_to_hub.py and the model card proposed, upload run with the token env', { timeout: 60_000 }, async () => {
  const ws = workspace();
  try {
    const h = harness(ws, { env: { HF_TOKEN: 'hf_test' } });
    const { outcome } = await run(ws, { kind: 'push', folder: ADAPTER, repo: 'me/qwen-medical', private: true }, h);
    assert.equal(outcome.kind, 'succeeded', JSON.stringify(outcome));
    assert.deepEqual(h.reviewer.seen.map((c) => c.path), ['ml-intern/push-qwen-medical/push_to_hub.py', 'ml-intern/push-qwen-medical/README.md']);
    const cfg = readConfig(h.reviewer.seen[0].proposed);
    assert.deepEqual([cfg.MODEL_DIR, cfg.HUB_MODEL_ID, cfg.HUB_PRIVATE], ['../sft-qwen/outputs/run1', 'me/qwen-medical', true]);
    assert.match(h.reviewer.seen[1].proposed, /base_model: Qwen\/Qwen2\.5-0\.5B-Instruct/);
    assert.ok(h.events.ofType('process_output').some((e) => /Pushed to https:\/\/huggingface\.co\/me\/qwen-medical/.test(e.text)));
    assert.match(outcome.summary, /^Pushed ml-intern\/sft-qwen\/outputs\/run1 to https:\/\/huggingface\.co\/me\/qwen-medical \(private\)/);

    const missing = await run(ws, { kind: 'push', folder: 'nope', repo: 'me/x', private: true }, harness(ws));
    assert.equal(missing.outcome.kind, 'failed');
    assert.match(missing.outcome.summary, /nope does not exist in the workspace/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a rejected file or a refused command starts nothing', { timeout: 60_000 }, async () => {
  const ws = workspace();
  try {
    const rejected = harness(ws, { reviewer: new ScriptedReviewer([{ kind: 'rejected', reason: 'wrong base' }]) });
    const r1 = await run(ws, { kind: 'merge-adapter', baseModel: BASE, adapter: ADAPTER, output: 'merged/a' }, rejected);
    assert.equal(r1.outcome.kind, 'rejected');
    assert.equal(rejected.launched.length, 0);
    assert.equal(rejected.approvals.length, 0);
    assert.match(rejected.events.ofType('run_state').at(-1)?.message ?? '', /wrong base/);

    const refused = harness(ws, { approve: false });
    const r2 = await run(ws, { kind: 'eval', model: ADAPTER, tasks: ['gsm8k'] }, refused);
    assert.equal(r2.outcome.kind, 'stopped');
    assert.equal(refused.launched.length, 0);
    assert.equal(refused.approvals.length, 1, 'the first refusal ends the asking');
    assert.match(readFileSync(join(r2.folder, 'transcript.jsonl'), 'utf8'), /"decision":"refused"/);

    const noBase = await run(ws, { kind: 'eval', model: 'someone/finetuned-model', tasks: ['gsm8k'] }, harness(ws));
    assert.equal(noBase.outcome.kind, 'failed');
    assert.match(noBase.outcome.summary, /No base model to compare someone\/finetuned-model with/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a console script missing next to the interpreter fails with what to install', { timeout: 60_000 }, async () => {
  const ws = workspace();
  const bin = mkdtempSync(join(tmpdir(), 'ml-intern-bin-'));
  try {
    symlinkSync(FAKE_PYTHON, join(bin, 'python'));
    assert.equal(resolveProgram('lighteval', join(bin, 'python')), 'lighteval');
    assert.equal(resolveProgram('lighteval', FAKE_PYTHON), resolve('test/fixtures/eval/lighteval'));
    assert.equal(resolveProgram('python', 'python3'), 'python3');
    const h = harness(ws, { python: join(bin, 'python') });
    // A full model (no adapter): the first command is lighteval itself.
    const { outcome } = await run(ws, { kind: 'eval', model: 'someone/finetuned-model', baseModel: BASE, tasks: ['gsm8k'] }, { ...h, deps: { ...h.deps, launch: async (spec) => startDetached({ ...spec, env: { ...spec.env, PATH: '/usr/bin:/bin' } }) } });
    assert.equal(outcome.kind, 'failed');
    assert.match(outcome.summary, /Step 1 of 3 .*exit code 127: `lighteval` is not installed next to .*pip install lighteval/);
    assert.equal(h.events.ofType('diagnosis')[0]?.category, 'module_not_found');
    assert.equal(h.events.ofType('run_state').at(-1)?.state, 'failed');
  } finally {
    rmSync(ws, { recursive: true, force: true });
    rmSync(bin, { recursive: true, force: true });
  }
});

test('disk full while the accepted script is written: failed with what was not written and what to do; earlier files are whole', { timeout: 60_000 }, async () => {
  const ws = workspace();
  try {
    const h = harness(ws);
    // Writes 1-9: the run folder, plan.json, the transcript, scripts/001-proposed-…; the 10th is the accepted script itself.
    const store = new FullDiskStore(new NodeFileStore(ws), 10);
    let before = new Map<string, string>();
    let runFolder = '';
    store.onFull = () => (before = snapshotFiles(ws, [runFolder, 'ml-intern/merge-run1']));
    const request: ArtifactRequest = { kind: 'merge-adapter', baseModel: BASE, adapter: ADAPTER, output: 'merged' };
    const session = await ArtifactSession.create(request, { ...h.deps, files: store, runs: new RunStore(store) });
    runFolder = session.handle.folder;
    const outcome = await session.execute();

    assert.equal(outcome.kind, 'failed');
    assert.deepEqual(store.refused.slice(0, 1), ['ml-intern/merge-run1/merge_adapter.py']);
    assert.equal(
      outcome.summary,
      'The disk is full (no space left on device): ML Intern could not write ml-intern/merge-run1/merge_adapter.py. Free some disk space or move the workspace to a disk with room. ' +
        'Then run "ML Intern: Merge Models" again with the same choices: the scripts you accepted in ml-intern/merge-run1/ are kept, so only what differs is proposed again.',
    );
    assert.equal(h.events.ofType('run_state').at(-1)?.message, outcome.summary);
    assert.equal(h.launched.length, 0, 'nothing ran');
    const after = snapshotFiles(ws, [runFolder, 'ml-intern/merge-run1']);
    assert.ok(after.has(`${runFolder}/plan.json`) && after.has(`${runFolder}/scripts/001-proposed-merge_adapter.py`), [...after.keys()].join(', '));
    // The run's end is recorded over status.json's old bytes, so it does not stay "running".
    const status = JSON.parse(after.get(`${runFolder}/status.json`) ?? '') as { state: string; lastMessage: string };
    assert.deepEqual([status.state, status.lastMessage], ['failed', outcome.summary]);
    // status.json alone changes; the run's owner lock (held while it ran) goes with its end.
    assert.equal(after.has(`${runFolder}/owner.lock`), false, 'the lock released');
    for (const files of [after, before]) for (const name of ['status.json', 'owner.lock']) files.delete(`${runFolder}/${name}`);
    assert.deepEqual(after, before, 'nothing else written before the disk filled up changed, and no temp file is left');
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

/** The panel's entries (messages and notices) that say this text: a run's end must be said once. */
function timesSaid(events: readonly AgentEvent[], text: string): number {
  const model = new ChatModel();
  model.applyAll(events);
  return model.entries.filter((e) => (e.kind === 'assistant' && e.text.includes(text)) || (e.kind === 'notice' && e.message.includes(text))).length;
}

test('the end of a run is said once in the panel, live and after a reload, though the state carries it too', { timeout: 60_000 }, async () => {
  const ws = workspace();
  try {
    const h = harness(ws);
    const { outcome, session } = await run(ws, { kind: 'merge-adapter', baseModel: BASE, adapter: ADAPTER, output: 'merged/qwen-medical' }, h);
    assert.equal(outcome.kind, 'succeeded', JSON.stringify(outcome));
    const end = 'the model is in `merged/qwen-medical`';
    // The session says its summary and sets the state with it (status.json and the runs list need it)...
    assert.equal(h.events.ofType('assistant_message').filter((e) => e.text.includes(end)).length, 1);
    assert.ok(h.events.ofType('run_state').some((e) => e.state === 'succeeded' && e.message?.includes(end)));
    // ...and the panel shows it once, not as a message and again as a notice.
    assert.equal(timesSaid(h.events.events, end), 1);
    const replayed = await replayRun(h.deps.files, session.runId);
    assert.ok(replayed);
    assert.equal(timesSaid(replayed, end), 1);

    // A failure that was not said before still gets its notice.
    const failed = harness(ws);
    const notAdapter = await run(ws, { kind: 'merge-adapter', baseModel: BASE, adapter: 'data', output: 'merged/x' }, failed);
    assert.equal(notAdapter.outcome.kind, 'failed');
    assert.equal(timesSaid(failed.events.events, 'data has no adapter_config.json'), 1);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
