// vLLM reaches the recipe from the machine's own report: env_report.py reads its version (without
// importing it), and a GRPO recipe planned from that report generates with vLLM — colocated on one
// GPU, through `trl vllm-serve` with several. Without the version in the report neither mode could
// ever be chosen outside tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfig, renderRecipe } from '../../../src/core/recipes';
import { recipeEnvironment } from '../../../src/core/session/envAdapters';
import type { EnvReport } from '../../../src/core/python/types';

const MATH = { method: 'grpo' as const, adapter: 'lora' as const, baseModel: 'Qwen/Qwen2.5-0.5B-Instruct', dataset: 'data/gsm8k.jsonl', columnMapping: { prompt: 'question', answer: 'answer' } };

/** The real env_report.py with trl and vllm "installed" as dist-info only (a package that must not be imported). */
function reportWithVllm(): EnvReport {
  const site = mkdtempSync(join(tmpdir(), 'mli-site-'));
  try {
    for (const [name, version] of [['trl', '1.9.0'], ['transformers', '5.2.0'], ['peft', '0.18.1'], ['vllm', '0.10.1']]) {
      mkdirSync(join(site, `${name}-${version}.dist-info`));
      writeFileSync(join(site, `${name}-${version}.dist-info`, 'METADATA'), `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`);
    }
    const r = spawnSync('python3', ['python/env_report.py'], { env: { ...process.env, PYTHONPATH: site, PATH: '/usr/bin:/bin' }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as EnvReport;
  } finally {
    rmSync(site, { recursive: true, force: true });
  }
}

test('a report that lists vLLM gives GRPO vLLM generation: colocated on one GPU, a server with two', () => {
  const report = reportWithVllm();
  assert.equal(report.libraries.vllm, '0.10.1');
  const h100 = { name: 'H100', memoryTotalMiB: 81559, memoryFreeMiB: 81000, computeCapability: '9.0', bf16: true, flashAttention: true };
  const one = recipeEnvironment({ ...report, gpus: [{ ...h100, index: 0 }] } as EnvReport)!;
  assert.equal(readConfig(renderRecipe(MATH, { env: one }).files[0].content).VLLM_GPU_MEMORY_UTILIZATION, 0.3);
  const two = recipeEnvironment({ ...report, gpus: [{ ...h100, index: 0 }, { ...h100, index: 1 }] } as EnvReport)!;
  assert.equal(readConfig(renderRecipe(MATH, { env: two }).files[0].content).VLLM_MODE, 'server');
});
