/**
 * The Fine-tune wizard on the Slurm target proposes the node count: at the adapter step, when one
 * compute node (the GPUs the node check reported) cannot hold a full fine-tune of the chosen model,
 * a note row names the nodes it takes and the setting; the row's detail is the session's own note.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { notesFor } from '../../../src/ui/wizard/wizardNotes';
import { nodeAdvice } from '../../../src/core/session/launchNotes';
import { DEFAULT_SETTINGS, Settings } from '../../../src/core/settings';
import { gpuEnvReport } from '../../support/gpuEnvReport';

const slurm: Settings = { ...DEFAULT_SETTINGS, executionTarget: 'slurm', slurm: { ...DEFAULT_SETTINGS.slurm, gpus: 8, nodes: 1 } };

test('adapter step on Slurm: a 70B full fine-tune gets a row with the node count and mlIntern.slurm.nodes; a model one node holds gets none', () => {
  const fullNodes = nodeAdvice({ baseModel: 'meta-llama/Llama-3.1-70B-Instruct', adapter: 'full', method: 'sft' }, slurm, gpuEnvReport(8));
  assert.ok(fullNodes && fullNodes.nodes > 1);
  const rows = notesFor('adapter', { baseModel: 'meta-llama/Llama-3.1-70B-Instruct' }, { gpu: 'NVIDIA H100 80GB HBM3, 80 GiB on a compute node', fullNodes });
  const row = rows.find((r) => r.label.includes('Full fine-tuning on Slurm'));
  assert.ok(row, rows.map((r) => r.label).join('\n'));
  assert.equal(row.label, `$(warning) Full fine-tuning on Slurm: ${fullNodes.nodes} nodes (setting mlIntern.slurm.nodes)`);
  assert.equal(row.detail, fullNodes.note);
  assert.equal(row.action, 'note', 'a note row: Enter on it picks nothing');

  const small = nodeAdvice({ baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', adapter: 'full', method: 'sft' }, slurm, gpuEnvReport(8));
  assert.equal(small, undefined);
  assert.ok(!notesFor('adapter', {}, { gpu: 'x' }).some((r) => r.label.includes('Full fine-tuning on Slurm')));
});
