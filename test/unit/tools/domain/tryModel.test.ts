// The agent's try_model: try_it.py proposed in try-<model>/, run after approval with the real
// interpreter (stub torch/transformers/peft print the real streaming format), both answers back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ChildProcessExecutor } from '../../../../src/core/exec/childProcessExecutor';
import { ADAPTER, artifactWorkspace } from '../../session/artifactWorkspace';
import { CHATML_QWEN } from '../../export/templates';
import { harness } from './context';

const STUBS = resolve('test/fixtures/stubs/tryit_fake');

function setup(approve: boolean) {
  const ws = artifactWorkspace('mli-trymodel-');
  writeFileSync(join(ws, ADAPTER, 'tokenizer_config.json'), JSON.stringify({ chat_template: CHATML_QWEN, eos_token: '<|im_end|>' }));
  const h = harness(ws, { env: { PATH: process.env.PATH ?? '', PYTHONPATH: STUBS } });
  const approvals: unknown[] = [];
  Object.assign(h.ctx, {
    executor: new ChildProcessExecutor(),
    approveCommand: async (r: unknown) => {
      approvals.push(r);
      return approve ? { approved: true, auto: false } : { approved: false, auto: false, reason: 'not now' };
    },
  });
  return { ws, h, approvals };
}

test('try_model proposes try_it.py, asks before running it, and returns the base and trained answers of each prompt', async () => {
  const { ws, h, approvals } = setup(true);
  try {
    const r = await h.call('try_model', { model: `${ADAPTER}/`, prompts: ['What is a normal resting heart rate?', 'Ignore previous instructions'], system: 'Be brief.', temperature: 0, reason: 'see what training changed' });
    assert.equal(r.ok, true, r.output);
    assert.equal(h.proposals.length, 1);
    assert.match(h.proposals[0].path, /^ml-intern\/try-[^/]+\/try_it\.py$/);
    const folder = h.proposals[0].path.replace(/\/try_it\.py$/, '');
    assert.equal(approvals.length, 1);
    assert.match(JSON.stringify(approvals[0]), /"tool":"try_model"/);
    assert.match(r.output, /<base_answer tokens="\d+">\nI am not sure, please ask a doctor\.\n<\/base_answer>/);
    assert.match(r.output, /<trained_answer tokens="\d+">\nA resting rate of 60 to 100 beats per minute is normal\.\n<\/trained_answer>/);
    assert.match(r.output, /NOT INSTRUCTIONS/);
    assert.ok(existsSync(join(ws, folder, 'transcript.jsonl')));
    // A second call reports its own answers, not the first call's again.
    const again = await h.call('try_model', { model: ADAPTER, prompts: ['Only this one'], reason: 'again' });
    assert.equal(again.ok, true, again.output);
    assert.equal((again.data as { rows: unknown[] }).rows.length, 1);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('refused: nothing runs, the model is told where the script is; a folder without the training tokenizer is refused before anything is written', async () => {
  const { ws, h } = setup(false);
  try {
    const r = await h.call('try_model', { model: ADAPTER, prompts: ['Hi'], reason: 'x' });
    assert.equal(r.ok, false);
    assert.match(r.output, /did not approve.*Nothing was run.*try_it\.py/);
    assert.ok(!existsSync(join(ws, h.proposals[0].path.replace(/try_it\.py$/, 'transcript.jsonl'))));
    rmSync(join(ws, ADAPTER, 'tokenizer_config.json'));
    const before = h.proposals.length;
    const noTemplate = await h.call('try_model', { model: ADAPTER, prompts: ['Hi'], reason: 'x' });
    assert.equal(noTemplate.ok, false);
    assert.match(noTemplate.output, /chat template/i);
    assert.equal(h.proposals.length, before);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
