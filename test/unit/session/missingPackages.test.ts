// The requirements a generated script needs that the environment report found missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { EnvReport } from '../../../src/core/python/types';
import { missingRequirements, pipInstallArgv, requirementName } from '../../../src/core/session/missingPackages';
import { renderRecipe } from '../../../src/core/recipes/render';

// The real report of the H200 machine: torch, transformers, peft, accelerate installed; no trl, datasets, bitsandbytes.
const h200 = JSON.parse(readFileSync(path.resolve(__dirname, '../../fixtures/real-gpu/env-report-h200.json'), 'utf8')) as EnvReport;

test('on the real H200 report, an SFT QLoRA script lacks trl, datasets and bitsandbytes, with their bounds', () => {
  const rendered = renderRecipe({ method: 'sft', baseModel: 'meta-llama/Llama-3.1-8B', dataset: 'data/train.jsonl', adapter: 'qlora', columnMapping: { text: 'text' }, env: { gpus: h200.gpus as never, packages: h200.libraries } });
  const requirements = rendered.files.find((f) => f.path === 'requirements.txt')!.content.split('\n');
  const missing = missingRequirements(requirements, h200);
  assert.deepEqual(missing.map(requirementName), ['trl', 'datasets', 'bitsandbytes']);
  assert.ok(missing[0].startsWith('trl>='), missing[0]);
  assert.deepEqual(pipInstallArgv('/home/user/.venv/bin/python3', missing).slice(0, 4), ['/home/user/.venv/bin/python3', '-m', 'pip', 'install']);
});

test('installed, unreported and commented lines are not proposed; names compare across - _ . and case', () => {
  const report = { libraries: { trl: '1.2.0', flash_attn: null, Huggingface_Hub: null, datasets: '4.0.0' } } as unknown as EnvReport;
  assert.deepEqual(missingRequirements(['trl>=1.0', 'flash-attn>=2.6  # optional', 'huggingface.hub', 'datasets', 'mergekit', '# note', ''], report), ['flash-attn>=2.6', 'huggingface.hub']);
  assert.deepEqual(missingRequirements(['trl'], undefined), []);
});
