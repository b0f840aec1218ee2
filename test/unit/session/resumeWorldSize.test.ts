/**
 * Resuming on another number of training processes (a multi-node job submitted again on another
 * node count): the session says, before the launch files are proposed, whether the checkpoint it
 * would go on from supports that, read from the files the libraries write into checkpoint-N
 * (transformers' rng_state_<rank>.pth, accelerate's FSDP state-dict layouts, DeepSpeed's
 * global_step<N>/zero_pp_rank_* files). Never silently.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointLayout, readCheckpointLayout, resumeAcrossWorldSize } from '../../../src/core/run/checkpointWorldSize';
import { resumeNote } from '../../../src/core/session/launchNotes';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';

const ranks = (n: number) => Array.from({ length: n }, (_, r) => `rng_state_${r}.pth`);

test('the saved format decides: FSDP sharded and full reshard, FSDP local and DeepSpeed ZeRO do not; the same count says nothing', () => {
  // accelerate SHARDED_STATE_DICT on 2 nodes x 4 GPUs: torch.distributed.checkpoint folders.
  const sharded = checkpointLayout(['config.json', 'pytorch_model_fsdp_0', 'optimizer_0', 'scheduler.pt', 'trainer_state.json', ...ranks(8)]);
  assert.deepEqual(sharded, { format: 'fsdp-sharded', worldSize: 8 });
  const v = resumeAcrossWorldSize(sharded, 16, 'checkpoint-400')!;
  assert.equal(v.supported, true);
  assert.match(v.note, /^checkpoint-400 was saved by 8 training processes; this launch has 16\. Supported: .*SHARDED_STATE_DICT.*reshards .* for 16 processes/);
  assert.match(v.note, /data position is counted in steps/);
  assert.equal(resumeAcrossWorldSize(sharded, 8, 'checkpoint-400'), undefined, 'same count: nothing to say');

  const whole = checkpointLayout(['pytorch_model_fsdp.bin', 'optimizer.bin', 'trainer_state.json', ...ranks(4)]);
  assert.deepEqual(whole, { format: 'fsdp-full', worldSize: 4 });
  assert.equal(resumeAcrossWorldSize(whole, 8, 'c')!.supported, true);

  const local = checkpointLayout(['pytorch_model_fsdp_rank0.bin', 'pytorch_model_fsdp_rank1.bin', ...ranks(2)]);
  assert.equal(local.format, 'fsdp-local');
  const l = resumeAcrossWorldSize(local, 4, 'checkpoint-10')!;
  assert.equal(l.supported, false);
  assert.match(l.note, /Not supported: .*LOCAL_STATE_DICT.*only 2 processes can load.*SHARDED_STATE_DICT/);

  // DeepSpeed: the DP world size is the count of ZeRO partitions in global_step<N>/.
  const ds = checkpointLayout(['global_step200', 'latest', 'zero_to_fp32.py', 'trainer_state.json', ...ranks(8)],
    Array.from({ length: 8 }, (_, r) => `zero_pp_rank_${r}_mp_rank_00_optim_states.pt`).concat(['zero_pp_rank_0_mp_rank_00_model_states.pt']));
  assert.deepEqual(ds, { format: 'deepspeed', worldSize: 8 });
  const d = resumeAcrossWorldSize(ds, 4, 'checkpoint-200')!;
  assert.equal(d.supported, false);
  assert.match(d.note, /Automatic adjustment of ZeRO's optimizer state partitioning with a new world size is not currently supported/);
  assert.match(d.note, /Keep 8 processes .*ds_to_universal/);

  // One process (rng_state.pth): whole weights and optimizer, any count can go on from them.
  assert.deepEqual(checkpointLayout(['adapter_model.safetensors', 'optimizer.pt', 'rng_state.pth', 'trainer_state.json']), { format: 'whole', worldSize: 1 });
  // No random states: the count is unknown, and nothing is claimed.
  assert.equal(resumeAcrossWorldSize(checkpointLayout(['model.safetensors']), 4, 'c'), undefined);
});

const SCRIPT = [
  'import os',
  '# --- CONFIG (edit these) ---',
  'DATASET = "org/medical-qa"',
  'OUTPUT_DIR = "outputs/run-1"',
  'RESUME_FROM_CHECKPOINT = "auto"',
  'PER_DEVICE_TRAIN_BATCH_SIZE = 2',
  'GRADIENT_ACCUMULATION_STEPS = 4',
  '# --- END CONFIG ---',
  '',
].join('\n');

test('the session\'s note: the checkpoint the script would go on from, against the launch\'s processes (GPUs, or nodes without GPUs)', async () => {
  const ws = mkdtempSync(join(tmpdir(), 'mli-resume-ws-'));
  try {
    mkdirSync(join(ws, 'sft'), { recursive: true });
    writeFileSync(join(ws, 'sft', 'train.py'), SCRIPT);
    const files = new NodeFileStore(ws);
    assert.equal(await resumeNote(files, 'sft/train.py', { gpus: 8, nodes: 2 }), undefined, 'no checkpoint yet');
    // What a 2-node x 4-GPU FSDP run left: the Trainer's state, its run record, the sharded model.
    const ckpt = join(ws, 'sft', 'outputs', 'run-1', 'checkpoint-300');
    mkdirSync(join(ckpt, 'pytorch_model_fsdp_0'), { recursive: true });
    writeFileSync(join(ckpt, 'trainer_state.json'), JSON.stringify({ global_step: 300, max_steps: 1000 }));
    // Trained with micro-batch 2 x accumulation 4 x 8 processes.
    writeFileSync(join(ckpt, 'ml_intern_run.json'), JSON.stringify({ config: { DATASET: 'org/medical-qa', EFFECTIVE_BATCH: 64 }, data_sha256: 'hub:org/medical-qa' }));
    for (const f of ranks(8)) writeFileSync(join(ckpt, f), '');
    assert.deepEqual(await readCheckpointLayout(ckpt), { format: 'fsdp-sharded', worldSize: 8 });
    assert.equal(await resumeNote(files, 'sft/train.py', { gpus: 8, nodes: 2 }), undefined, 'the same 8 processes');
    const half = (await resumeNote(files, 'sft/train.py', { gpus: 4, nodes: 1 }))!;
    assert.match(half, /^checkpoint-300 was saved by 8 training processes; this launch has 4\. Supported/);
    // train.py would start over with another effective batch: the note says the accumulation that keeps 64.
    assert.match(half, /effective batch the checkpoint was trained with \(64\); on 4 processes it is 32 .* set GRADIENT_ACCUMULATION_STEPS to 8 in train\.py's CONFIG to keep it\.$/);
    assert.match((await resumeNote(files, 'sft/train.py', { gpus: 16, nodes: 2 }))!, /set GRADIENT_ACCUMULATION_STEPS to 2 /);
    assert.match((await resumeNote(files, 'sft/train.py', { gpus: 24, nodes: 3 }))!, /no whole accumulation keeps it with micro-batch 2 on 24 processes/);
    // CPU test clusters: one torchrun process per node.
    assert.match((await resumeNote(files, 'sft/train.py', { gpus: 0, nodes: 3 }))!, /this launch has 3\./);
    // The script starts over (RESUME_FROM_CHECKPOINT = None): no resume, nothing said.
    writeFileSync(join(ws, 'sft', 'train.py'), SCRIPT.replace('"auto"', 'None'));
    assert.equal(await resumeNote(files, 'sft/train.py', { gpus: 4, nodes: 1 }), undefined);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
