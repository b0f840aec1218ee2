// The pipeline over every real log in ../shared/data/logs: the figures each file shows are parsed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readShared, runPipeline, SHARED_LOGS_SKIP, sharedLogFiles } from './helpers';

interface Expect {
  train: number;
  eval?: number;
  summary?: number;
  firstLoss?: number;
  lastLoss?: number;
  lastEvalLoss?: number;
  steps?: number[];
  total?: number;
  lastCurrent?: number;
  check?: (r: ReturnType<typeof runPipeline>) => void;
}

const EXPECTED: Record<string, Expect> = {
  '01_sft_trl_padded_loss_dicts.log': { train: 11, firstLoss: 1.0037, lastLoss: 0.5311, steps: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] },
  '02_sft_trl_token_accuracy_eval.log': {
    train: 2,
    eval: 2,
    firstLoss: 0.3771,
    lastLoss: 0.083,
    lastEvalLoss: 0.10530459135770798,
    check: (r) => {
      assert.equal(r.points[0].mean_token_accuracy, 0.8984374925494194);
      assert.equal(r.points[0].gradNorm, 0.6300405859947205);
      assert.equal(r.points[1].eval_mean_token_accuracy, 0.9613486798970323);
      assert.equal(r.points[1].step, r.points[0].step, 'an eval point takes the step of the train point before it');
    },
  },
  '03_sft_wandb_offline_grad_norm.log': {
    train: 5,
    firstLoss: 3.3713,
    lastLoss: 3.2499,
    check: (r) => {
      assert.equal(r.points[0].gradNorm, 54.204288482666016);
      assert.equal(r.points[0].learningRate, 0);
      assert.equal(r.points[4].learningRate, 6.153846153846155e-6);
    },
  },
  '04_sft_unsloth_notebook_step_table.log': {
    train: 6,
    firstLoss: 2.361331,
    lastLoss: 1.568208,
    lastEvalLoss: 1.399392,
    steps: [10, 20, 30, 40, 50, 60],
    total: 60,
    lastCurrent: 60,
  },
  '05_sft_unsloth_progress_inline_loss.log': {
    train: 9,
    firstLoss: 2.5521,
    lastLoss: 2.0887,
    steps: [0, 10, 20, 30, 40, 50, 60, 70, 80],
    total: 312,
    lastCurrent: 81,
  },
  '06_dpo_terminal_peft_eval_warnings.log': {
    train: 16,
    eval: 3,
    firstLoss: 0.6931,
    lastLoss: 0.2095,
    lastEvalLoss: 0.2060304582118988,
    total: 378,
    lastCurrent: 150,
    check: (r) => {
      const p = r.points.find((x) => x.loss === 0.5179);
      assert.equal(p?.['rewards/chosen'], -0.05317042022943497);
      assert.equal(p?.['rewards/margins'], 0.45663246512413025);
      // After the fused bar "| 50/378 [20:03<1:52:59, 20.67s/it/usr/…UserWarning", dicts are at step 50.
      assert.equal(r.points.find((x) => x.loss === 0.3612)?.step, 50);
      const bar = r.progress.find((x) => x.current === 50);
      assert.equal(bar?.etaSeconds, 1 * 3600 + 52 * 60 + 59);
    },
  },
  '07_dpo_terminal_end_train_runtime.log': {
    train: 7,
    eval: 1,
    summary: 1,
    firstLoss: 0.2022,
    lastLoss: 0.2017,
    lastEvalLoss: 0.20222586393356323,
    total: 378,
    lastCurrent: 378,
    check: (r) => {
      const s = r.points.find((x) => x.kind === 'summary');
      assert.equal(s?.train_runtime, 9117.7233);
      assert.equal(s?.train_loss, 0.26855763714149516);
      assert.equal(s?.epoch, 3);
      assert.equal(s?.step, 378);
    },
  },
  '08_dpo_llamafactory_windows_info_logs.log': {
    train: 17,
    firstLoss: 0.0017,
    lastLoss: 0,
    total: 170,
    lastCurrent: 170,
    check: (r) => {
      // The dict fused after two bars with no counts (" 65%|…  66%|… {'loss': 0.0, …}") is parsed.
      assert.ok(r.points.some((x) => x.gradNorm === 0.0002501589187886566 && x.epoch === 1.41));
    },
  },
  '09_grpo_vlm_ascii_tqdm_file_capture.log': {
    train: 3,
    firstLoss: -0.0447,
    lastLoss: 0,
    steps: [10, 20, 30],
    total: 43,
    lastCurrent: 37,
    check: (r) => {
      assert.equal(r.points[0]['rewards/mc_idx_reward/mean'], 0.575);
      assert.equal(r.points[0]['completions/mean_length'], 142.7390625);
    },
  },
  '10_grpo_trl_reward_dicts.log': {
    train: 4,
    firstLoss: 0,
    lastLoss: 0,
    check: (r) => {
      assert.equal(r.points[0]['rewards/hint_reward'], 0.7171093255281449);
      assert.equal(r.points[3].reward, 1.968537563085556);
      assert.equal(r.points[3].kl, 0.0005278794225887396);
    },
  },
  '11_ppo_trl_ppotrainer_dicts.log': {
    train: 4,
    check: (r) => {
      assert.equal(r.points[0]['objective/kl'], 10.948126792907715);
      assert.equal(r.points[0].episode, 240);
      assert.equal(r.points[0].learningRate, 7.77777777777778e-6);
      assert.equal(r.points[3].episode, 976);
    },
  },
  '12_deepspeed_trainer_tqdm_log_dist.log': {
    train: 6,
    firstLoss: 6.2645,
    lastLoss: 0,
    total: 24128,
    check: (r) => {
      const ds = r.points.find((x) => x.skippedSteps !== undefined);
      assert.deepEqual({ step: ds?.step, skipped: ds?.skippedSteps, lr: ds?.learningRate }, { step: 2000, skipped: 1995, lr: 0.001 });
      assert.ok(r.progress.some((p) => p.current === 1999 && p.total === 24128));
      assert.equal(r.points.filter((x) => x.loss !== undefined).length, 5);
    },
  },
  '13_deepspeed_notebook_ipython_html.log': {
    train: 3,
    steps: [40, 50, 60],
    check: (r) => {
      assert.ok(r.points.every((x) => x.skippedSteps === 2 && x.learningRate === 5e-5));
    },
  },
  '14_torchrun_rank0_prefix_torchtitan.log': {
    train: 8,
    firstLoss: 6.225,
    lastLoss: 6.1441,
    steps: [22, 23, 24, 25, 26, 27, 28, 29],
    check: (r) => {
      assert.equal(r.progress[r.progress.length - 1].gpuMemoryMiB, Math.round(1.41 * 1024));
    },
  },
  '15_torchrun_multirank_interleaved_startup.log': {
    train: 0,
    check: (r) => {
      assert.equal(r.tail.length, 12);
      assert.ok(r.tail.some((l) => l.startsWith('[rank4]:[titan]') && l.includes('CUDA capacity: NVIDIA H100')));
    },
  },
};

test('every shared log has expectations (a new file needs a row here)', { skip: SHARED_LOGS_SKIP }, () => {
  assert.deepEqual(sharedLogFiles(), Object.keys(EXPECTED).sort());
});

for (const file of sharedLogFiles()) {
  test(`parses ${file}`, () => {
    const e = EXPECTED[file];
    assert.ok(e, `no expectations for ${file}`);
    const r = runPipeline([readShared(file)]);
    const count = (k: string) => r.points.filter((p) => p.kind === k).length;
    assert.equal(count('train'), e.train, 'train points');
    assert.equal(count('eval'), e.eval ?? 0, 'eval points');
    assert.equal(count('summary'), e.summary ?? 0, 'summary points');
    const losses = r.points.filter((p) => p.kind === 'train' && p.loss !== undefined).map((p) => p.loss);
    if (e.firstLoss !== undefined) assert.equal(losses[0], e.firstLoss, 'first loss');
    if (e.lastLoss !== undefined) assert.equal(losses[losses.length - 1], e.lastLoss, 'last loss');
    if (e.lastEvalLoss !== undefined) assert.equal(r.pipeline.stats.lastEvalLoss, e.lastEvalLoss, 'last eval loss');
    if (e.steps) assert.deepEqual(r.points.map((p) => p.step), e.steps, 'steps');
    if (e.total !== undefined) assert.equal(r.pipeline.stats.totalSteps, e.total, 'total steps');
    if (e.lastCurrent !== undefined) {
      const train = r.progress.filter((p) => p.phase === 'train');
      assert.equal(train[train.length - 1]?.current, e.lastCurrent, 'last progress');
    }
    for (const p of r.points) assert.ok(Number.isFinite(p.step), 'every point has a step');
    e.check?.(r);
  });
}
