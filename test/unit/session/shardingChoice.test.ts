/**
 * FSDP or DeepSpeed ZeRO-3 when the user did not choose (mlIntern.sharding unset, no --sharding): the
 * launch plan reads the environment report's torch and deepspeed. accelerate refuses FSDP under torch
 * older than 2.1.0 (its FSDP_PYTORCH_VERSION), so there an installed deepspeed is proposed instead;
 * everywhere else FSDP stays, and an installed deepspeed is named in the config's description.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planLaunch } from '../../../src/core/session/launchPlan';
import { DEFAULT_SETTINGS, Settings } from '../../../src/core/settings';
import { FineTuneRequest } from '../../../src/core/session/types';
import { EnvReport } from '../../../src/core/python/types';
import { gpuEnvReport } from '../../support/gpuEnvReport';

const PY = '/opt/venv/bin/python';
const common = { python: PY, script: 'train.py', folder: 'sft-x', folderAbs: '/ws/sft-x', runId: 'r1', runDirAbs: '/ws/.ml-intern/runs/r1' };
const full: FineTuneRequest = { baseModel: 'meta-llama/Llama-3.1-8B-Instruct', dataset: 'data/medical_qa.jsonl', method: 'sft', adapter: 'full', evalSplit: 0.05 };
const unset: Settings = { ...DEFAULT_SETTINGS };
delete unset.sharding;

function env(torch: string | null, deepspeed: string | null): EnvReport {
  const r = gpuEnvReport(4);
  return { ...r, libraries: { ...r.libraries, torch, deepspeed } };
}

function launch(settings: Settings, environment: EnvReport) {
  const { plan, files } = planLaunch({ ...common, request: full, settings, environment });
  return { argv: plan.argv, file: files[0] };
}

test('torch 2.0 (below accelerate\'s FSDP minimum) with deepspeed installed and nothing chosen: ZeRO-3 is proposed and the description says why', () => {
  const { argv, file } = launch(unset, env('2.0.1+cu118', '0.14.4'));
  assert.equal(file.name, 'ds_zero3.json');
  assert.equal(JSON.parse(file.content).zero_optimization.stage, 3);
  assert.deepEqual(argv.slice(5, 8), ['--use_deepspeed', '--deepspeed_config_file', 'ds_zero3.json']);
  assert.match(file.description, /torch 2\.0\.1\+cu118 is older than 2\.1\.0, below which accelerate refuses FSDP, and deepspeed 0\.14\.4 is installed/);
});

test('the user\'s choice wins over the environment: fsdp asked on torch 2.0 stays FSDP', () => {
  const { file } = launch({ ...DEFAULT_SETTINGS, sharding: 'fsdp' }, env('2.0.1', '0.14.4'));
  assert.equal(file.name, 'accelerate_fsdp.yaml');
  assert.doesNotMatch(file.description, /deepspeed/);
});

test('torch new enough for FSDP with deepspeed installed: FSDP stays, the description says deepspeed is installed and how to use it', () => {
  const { argv, file } = launch(unset, env('2.4.0', '0.16.4'));
  assert.equal(file.name, 'accelerate_fsdp.yaml');
  assert.ok(argv.includes('--config_file') && !argv.includes('--use_deepspeed'));
  assert.match(file.description, /deepspeed 0\.16\.4 is installed: mlIntern\.sharding = "deepspeed" \(or --sharding deepspeed\) uses ZeRO-3 instead/);
});

test('no deepspeed installed (or a report from before it was read): FSDP, with no note, whatever torch is', () => {
  for (const environment of [env('2.0.1', null), env('2.4.0', null), gpuEnvReport(4)]) {
    const { file } = launch(unset, environment);
    assert.equal(file.name, 'accelerate_fsdp.yaml');
    assert.doesNotMatch(file.description, /deepspeed/);
  }
});
