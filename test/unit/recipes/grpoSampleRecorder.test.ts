/**
 * The recorder in GRPO's train.py (templates/grpoSamples.ts), run by Python as the script defines it:
 * trl still sees each reward under its own name with its own scores, recording never breaks a reward
 * call, only the main process writes, and reward models or async rewards pass through untouched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderRecipe } from '../../../src/core/recipes';

const MATH = { method: 'grpo' as const, baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/gsm8k.jsonl', columnMapping: { prompt: 'question', answer: 'answer' } };

const HARNESS = String.raw`
import functools, inspect, json, math, os, re, sys
text = open(sys.argv[1], encoding="utf-8").read()
section = re.search(r"^def sample_text\(.*?(?=^def main\(\):)", text, re.S | re.M).group(0)
class TrainerCallback: pass
ns = dict(functools=functools, inspect=inspect, json=json, math=math, os=os, TrainerCallback=TrainerCallback)
exec(section, ns)
class State:
    def __init__(self, step, main=True):
        self.global_step, self.is_world_process_zero = step, main
def exact_answer_reward(completions, answer, **kwargs):
    return [1.0 if c[0]["content"].endswith(a) else 0.0 for c, a in zip(completions, answer)]
def odd_reward(completions, **kwargs):
    return [None, float("nan")] + [0.5] * (len(completions) - 2)
async def async_reward(completions, **kwargs):
    return [0.0] * len(completions)
out = sys.argv[2]
rec = ns["SampleRecorder"](out, [1.0, 0.5, 2.0], 3)
funcs = rec.wrap([exact_answer_reward, odd_reward, async_reward])
prompts = [[{"role": "system", "content": "be brief"}, {"role": "user", "content": "2+2?"}]] * 4
completions = [[{"role": "assistant", "content": t}] for t in ["4", "5", "4", "x" * 5000]]
scores = [f(prompts=prompts, completions=completions, answer=["4"] * 4, trainer_state=None) for f in funcs[:2]]
rec.on_log(None, State(3, main=False), None, logs={})
rec.batch = None
for f in funcs[:2]:
    f(prompts=prompts, completions=completions, answer=["4"] * 4)
rec.on_log(None, State(5), None, logs={})
rec.on_log(None, State(6), None, logs={})  # an eval log with no new reward call: nothing written
broken = ns["SampleRecorder"](out, [1.0], 2)
bad = broken.wrap([lambda completions, **kw: 3])[0]  # not a list: recording fails, the reward still answers
print(json.dumps({"names": [f.__name__ for f in funcs], "async_untouched": funcs[2] is async_reward, "scores": scores[:1], "bad": bad(prompts=prompts, completions=completions)}))
`;

test('the recorder keeps names and scores for trl, writes the main process\'s newest batch with weighted totals, and never breaks a reward', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ml-intern-recorder-'));
  try {
    const train = renderRecipe(MATH).files.find((f) => f.path === 'train.py')!.content;
    assert.match(train, /callbacks=\[recorder\]/);
    assert.match(train, /reward_funcs=recorder\.wrap\(rewards\.REWARD_FUNCS\)/);
    writeFileSync(join(dir, 'train.py'), train);
    writeFileSync(join(dir, 'h.py'), HARNESS);
    const out = join(dir, 'nested', 'samples.jsonl');
    const r = JSON.parse(execFileSync('python3', [join(dir, 'h.py'), join(dir, 'train.py'), out], { encoding: 'utf8' }).trim().split('\n').pop()!);
    assert.deepEqual(r.names, ['exact_answer_reward', 'odd_reward', 'async_reward'], 'trl names its metrics after __name__');
    assert.equal(r.async_untouched, true);
    assert.deepEqual(r.scores[0], [1, 0, 1, 0], 'scores pass through unchanged');
    assert.equal(r.bad, 3, 'a reward whose result cannot be recorded still returns it');
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(lines.length, 1, 'only the main process writes, once per logging step with new completions');
    const { step, samples } = JSON.parse(lines[0]);
    assert.equal(step, 5);
    assert.equal(samples.length, 3, 'SampleRecorder keeps its first `keep` completions');
    assert.equal(samples[0].prompt, '2+2?', 'the last turn of a conversational prompt');
    assert.equal(samples[0].completion, '4');
    assert.deepEqual(samples[0].rewards, { exact_answer_reward: 1, odd_reward: null });
    assert.equal(samples[0].total, 1, 'a None score is left out of the total');
    assert.deepEqual(samples[2].rewards, { exact_answer_reward: 1, odd_reward: 0.5 });
    assert.equal(samples[2].total, 1 + 0.5 * 0.5, 'weights by position');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('trl before 0.16 (no reward_weights): the recorder wraps the already weighted rewards and counts them once', () => {
  const train = renderRecipe(MATH, { env: { packages: { trl: '0.15.2', transformers: '4.48.0', peft: '0.14.0' } } }).files.find((f) => f.path === 'train.py')!.content;
  assert.match(train, /reward_funcs=recorder\.wrap\(weighted_rewards\(\)\)/);
  assert.match(train, /SampleRecorder\(samples_file, \[1\.0\] \* len\(rewards\.REWARD_FUNCS\), SAMPLES_PER_LOG\)/);
});
