/**
 * Observations: a 100k-line failed training log (tqdm redraws, loss dicts,
 * warnings, then a CUDA OOM traceback) → the failure observation the agent
 * gets. Size in tokens (chars / 4) and whether it holds the exception.
 * Goal: ≤ 2,000 tokens, always with the exception.
 */
import { buildFailureObservation } from '../src/core/logs/observation';
import type { BenchResult } from './run';

function failedLog(lines: number, exception: string): string {
  const out: string[] = [];
  for (let i = 1; i < lines - 12; i++) {
    if (i % 10 === 0) out.push(`{'loss': ${(2 - i / lines).toFixed(4)}, 'grad_norm': 0.81, 'learning_rate': 1.9e-05, 'epoch': ${(i / lines).toFixed(2)}}`);
    else if (i % 97 === 0) out.push('/usr/local/lib/python3.11/dist-packages/transformers/trainer.py:1234: UserWarning: gradient checkpointing is on');
    else out.push(` ${Math.floor((100 * i) / lines)}%|███▌      | ${i}/${lines} [01:02<02:03,  2.41it/s]`);
  }
  out.push('Traceback (most recent call last):', '  File "/ws/sft-qwen/train.py", line 88, in <module>', '    trainer.train()',
    '  File "/usr/local/lib/python3.11/dist-packages/transformers/trainer.py", line 2245, in train', '    return inner_training_loop(',
    '  File "/usr/local/lib/python3.11/dist-packages/torch/nn/modules/module.py", line 1736, in _call_impl', '    return forward_call(*args, **kwargs)',
    exception, 'wandb: Waiting for W&B process to finish...');
  return out.join('\n') + '\n';
}

export default async function observationBench(): Promise<BenchResult> {
  const cases = [
    'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 79.15 GiB of which 1.06 GiB is free.',
    "TypeError: SFTTrainer.__init__() got an unexpected keyword argument 'tokenizer'",
    'ValueError: Cannot use chat template functions because tokenizer.chat_template is not set',
  ];
  const figures: Record<string, string> = {};
  let ok = true;
  let worst = 0;
  let ms = 0;
  for (const exc of cases) {
    const log = failedLog(100_000, exc);
    const t0 = process.hrtime.bigint();
    const obs = buildFailureObservation({ text: log, exitCode: 1, logPath: '/ws/.ml-intern/runs/x/logs/train.log' });
    ms = Math.max(ms, Number(process.hrtime.bigint() - t0) / 1e6);
    const tokens = Math.ceil(obs.length / 4);
    const holds = obs.includes(exc);
    worst = Math.max(worst, tokens);
    ok = ok && tokens <= 2000 && holds;
    figures[exc.split(':')[0]] = `${tokens} tokens, exception ${holds ? 'kept' : 'MISSING'} (log ${(log.length / 1024 / 1024).toFixed(1)} MiB)`;
  }
  figures['largest observation'] = `${worst} tokens`;
  figures['slowest build'] = `${ms.toFixed(0)} ms`;
  return { name: 'failure observation (100k-line failed log)', goal: '≤ 2,000 tokens, always with the exception', ok, figures };
}
