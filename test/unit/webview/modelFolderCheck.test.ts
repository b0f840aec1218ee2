/**
 * Evaluate / Merge Models / Push to Hub check the folder at the picker (real folders in a temp
 * workspace): a typo like outputs/nope, a folder without an adapter or model, a full model given
 * to Merge, and a merge output that already holds files are said there, with what to do, instead of
 * failing as a run four steps later. The adapter's base model is read for Merge to prefill.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adapterBaseModel, checkMergeOutput, checkModelFolder } from '../../../src/ui/commands/modelFolderCheck';

function workspace(): string {
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-folders-'));
  mkdirSync(join(ws, 'outputs', 'final'), { recursive: true });
  writeFileSync(join(ws, 'outputs', 'final', 'adapter_config.json'), JSON.stringify({ base_model_name_or_path: 'Qwen/Qwen2.5-0.5B-Instruct', peft_type: 'LORA' }));
  mkdirSync(join(ws, 'outputs', 'merged'), { recursive: true });
  writeFileSync(join(ws, 'outputs', 'merged', 'config.json'), '{}');
  writeFileSync(join(ws, 'outputs', 'merged', 'model.safetensors'), '');
  mkdirSync(join(ws, 'outputs', 'empty'), { recursive: true });
  writeFileSync(join(ws, 'outputs', 'notes.txt'), 'x');
  return ws;
}

test('a typo in a workspace path is refused at the picker, even though outputs/nope is shaped like a Hub id', async () => {
  const ws = workspace();
  try {
    for (const use of ['evaluate', 'merge', 'push'] as const) {
      const c = await checkModelFolder(ws, 'outputs/nope', use);
      assert.equal(c.ok, false, use);
      assert.match(!c.ok ? c.message : '', /^outputs\/nope does not exist in the workspace\. Pick a listed folder/);
    }
    // owner/name whose owner is no workspace folder: a Hub id for Evaluate (the command then asks the Hub), not for Merge or Push.
    assert.deepEqual(await checkModelFolder(ws, 'someone/finetuned-model', 'evaluate'), { ok: true, kind: 'hub' });
    assert.equal((await checkModelFolder(ws, 'someone/finetuned-model', 'push')).ok, false);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('an adapter is read with its base; a full model is fine to evaluate or push but not to merge; an empty folder, a file and a path outside are refused', async () => {
  const ws = workspace();
  try {
    assert.deepEqual(await checkModelFolder(ws, 'outputs/final/', 'merge'), { ok: true, kind: 'adapter', base: 'Qwen/Qwen2.5-0.5B-Instruct' });
    assert.deepEqual(await checkModelFolder(ws, 'outputs/merged', 'evaluate'), { ok: true, kind: 'model' });
    assert.deepEqual(await checkModelFolder(ws, 'outputs/merged', 'push'), { ok: true, kind: 'model' });
    const mergeModel = await checkModelFolder(ws, 'outputs/merged', 'merge');
    assert.match(!mergeModel.ok ? mergeModel.message : '', /holds a full model \(config\.json\), not a LoRA adapter: there is nothing to merge/);
    const empty = await checkModelFolder(ws, 'outputs/empty', 'evaluate');
    assert.match(!empty.ok ? empty.message : '', /outputs\/empty holds no adapter_config\.json \(a LoRA adapter\) or config\.json \(a model\)/);
    const file = await checkModelFolder(ws, 'outputs/notes.txt', 'push');
    assert.match(!file.ok ? file.message : '', /is a file, not a folder/);
    const outside = await checkModelFolder(ws, '../elsewhere', 'evaluate');
    assert.match(!outside.ok ? outside.message : '', /outside the workspace/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test("the adapter's base model comes from adapter_config.json; a broken or silent config gives none", async () => {
  const ws = workspace();
  try {
    assert.deepEqual(await adapterBaseModel(join(ws, 'outputs', 'final')), { isAdapter: true, base: 'Qwen/Qwen2.5-0.5B-Instruct' });
    writeFileSync(join(ws, 'outputs', 'final', 'adapter_config.json'), '{not json');
    assert.deepEqual(await adapterBaseModel(join(ws, 'outputs', 'final')), { isAdapter: true });
    assert.deepEqual(await adapterBaseModel(join(ws, 'outputs', 'merged')), { isAdapter: false });
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a merge output that already holds files is counted (the command asks before writing over it); the adapter folder itself is refused', async () => {
  const ws = workspace();
  try {
    assert.deepEqual(await checkMergeOutput(ws, 'outputs/final', 'outputs/final-merged'), { existingEntries: 0 });
    assert.deepEqual(await checkMergeOutput(ws, 'outputs/final', 'outputs/merged'), { existingEntries: 2 });
    assert.deepEqual(await checkMergeOutput(ws, 'outputs/final', 'outputs/final/'), { error: 'That is the adapter folder: merging there would write over the adapter. Type another folder.' });
    assert.deepEqual(await checkMergeOutput(ws, 'outputs/final', '.'), { error: 'Use a folder inside the workspace (not the workspace itself).' });
    assert.deepEqual(await checkMergeOutput(ws, 'outputs/final', 'outputs/notes.txt'), { error: 'outputs/notes.txt is a file: type a folder.' });
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
