/**
 * The session suggests --nodes: on the Slurm target, when one node of the GPUs a compute node
 * reported cannot hold a full fine-tune (planNodes), the session warns how many nodes it takes and
 * which setting asks for them (mlIntern.slurm.nodes; --nodes on the CLI, which prints notices)
 * before the batch script is proposed; when one node is enough for a job that asks for several, it
 * says so too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeAdvice } from '../../../src/core/session/launchNotes';
import { FineTuneSession, scriptFolder } from '../../../src/core/session/fineTuneSession';
import { RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { RunStore } from '../../../src/core/runs/runStore';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { DEFAULT_SETTINGS, Settings } from '../../../src/core/settings';
import { FineTuneRequest } from '../../../src/core/session/types';
import { ProposedChange } from '../../../src/core/ports';
import { printer } from '../../../src/cli/interaction';
import { gpuEnvReport } from '../../support/gpuEnvReport';
import { MEDICAL_QA_REQUEST } from '../../support/sampleRequest';

const big: FineTuneRequest = { ...MEDICAL_QA_REQUEST, baseModel: 'meta-llama/Llama-3.1-70B-Instruct', adapter: 'full' };
const slurm = (nodes: number, gpus = 8): Settings => ({ ...DEFAULT_SETTINGS, executionTarget: 'slurm', slurm: { partition: 'gpu', gpus, timeLimit: '24:00:00', extraDirectives: [], nodes } });
// 8 x H100 80 GB per compute node, as the node check reports them.
const node = gpuEnvReport(8);

test('70B full fine-tune on 8 x 80 GB per node: the node count it takes, the setting and the flag; nothing once the setting says it', () => {
  const advice = nodeAdvice(big, slurm(1), node);
  assert.ok(advice, 'a suggestion');
  // 70.6 B parameters x 16 bytes (fp32 master weights + AdamW) are ~1050 GiB: more than one node's 8 x 80 GB.
  assert.ok(advice.nodes >= 2, `nodes ${advice.nodes}`);
  assert.match(advice.note, new RegExp(`This job asks for 1 node, where it would run out of GPU memory\\. Set mlIntern\\.slurm\\.nodes to ${advice.nodes} \\(on the command line: --nodes ${advice.nodes}\\)`));
  assert.match(advice.note, new RegExp(`FSDP full-shard across ${advice.nodes} nodes \\(${advice.nodes * 8} GPUs`));
  assert.equal(nodeAdvice(big, slurm(advice.nodes), node), undefined, 'the setting already asks for them');
  assert.match(nodeAdvice(big, { ...slurm(1), sharding: 'deepspeed' }, node)!.note, /DeepSpeed ZeRO-3 across/);
  // Fewer GPUs per node: more nodes.
  assert.ok(nodeAdvice(big, slurm(1, 4), node)!.nodes > advice.nodes);
});

test('nothing to suggest: LoRA, the local target, no GPU reported or requested, a model of unknown size; one node is said to be enough', () => {
  assert.equal(nodeAdvice({ ...big, adapter: 'lora' }, slurm(1), node), undefined);
  assert.equal(nodeAdvice(big, { ...slurm(1), executionTarget: 'local' }, node), undefined);
  assert.equal(nodeAdvice(big, slurm(1), gpuEnvReport(0)), undefined, 'the login node\'s report without GPUs');
  assert.equal(nodeAdvice(big, slurm(1, 0), node), undefined, 'no GPU asked');
  assert.equal(nodeAdvice({ ...big, baseModel: 'someone/unknown-model' }, slurm(1), node), undefined);
  const small = nodeAdvice({ ...big, baseModel: 'Qwen/Qwen2.5-0.5B-Instruct' }, slurm(4), node);
  assert.equal(small?.nodes, 1);
  assert.match(small!.note, /One node of 8 GPUs holds this full fine-tune .* the job asks for 4 nodes.*Set mlIntern\.slurm\.nodes to 1/);
});

test('the fine-tune session on the Slurm target warns of the node count before it proposes the batch script; the CLI prints it', { timeout: 60_000 }, async () => {
  const ws = mkdtempSync(join(tmpdir(), 'mli-node-advice-'));
  cpSync('examples/medical-qa', ws, { recursive: true });
  try {
    const files = new NodeFileStore(ws);
    const events = new RecordingEventSink();
    const sbatch = `${scriptFolder(big)}/train.sbatch`;
    let saidBeforeReview: string[] = [];
    // The user rejects the batch script: nothing is submitted (no cluster here), the note was said before.
    const reviewer = new ScriptedReviewer();
    const decide = (change: ProposedChange) => {
      if (change.path !== sbatch) return { kind: 'accepted' as const, text: change.proposed, userPatch: '', auto: false };
      saidBeforeReview = events.ofType('notice').filter((e) => e.level === 'warning').map((e) => e.message);
      return { kind: 'rejected' as const, reason: 'checking the plan' };
    };
    reviewer.push(decide, decide, decide, decide, decide, decide);
    const session = await FineTuneSession.create(big, {
      files, reviewer, events, runs: new RunStore(files),
      settings: () => slurm(1),
      environment: node,
      python: 'python3',
      launch: async () => {
        throw new Error('nothing runs here');
      },
      approveCommand: async () => ({ approved: false }),
    });
    const outcome = await session.execute();
    assert.equal(outcome.kind, 'rejected', JSON.stringify(outcome));
    const advice = nodeAdvice(big, slurm(1), node)!;
    assert.ok(saidBeforeReview.includes(advice.note), `a warning before the batch script's review:\n${saidBeforeReview.join('\n')}`);
    // The CLI's printer (ml-intern fine-tune prints the session's events with it) shows it as a warning line.
    let printed = '';
    const print = printer({ out: (t) => (printed += t), err: () => undefined, cwd: ws, env: {} });
    for (const e of events.events) print(e);
    assert.ok(printed.includes(`warning: ${advice.note}\n`), printed);
    // Kept in the run's transcript (a reopened run shows it again).
    assert.ok(readFileSync(join(ws, session.handle.folder, 'transcript.jsonl'), 'utf8').includes(JSON.stringify(advice.note)));
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
