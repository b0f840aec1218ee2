// A workspace for the Evaluate / Merge / Push tests: the medical-qa example plus a trained LoRA
// adapter folder (its adapter_config.json names the base model).
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Where the Fine-tune command saves it: inside the work folder (mlIntern.workFolder, default ml-intern/), beside the scripts' folders.
export const ADAPTER = 'ml-intern/sft-qwen/outputs/run1';
export const BASE = 'Qwen/Qwen2.5-0.5B-Instruct';

export function artifactWorkspace(prefix = 'ml-intern-artifact-'): string {
  const ws = mkdtempSync(join(tmpdir(), prefix));
  cpSync('examples/medical-qa', ws, { recursive: true });
  mkdirSync(join(ws, ADAPTER), { recursive: true });
  writeFileSync(join(ws, ADAPTER, 'adapter_config.json'), JSON.stringify({ base_model_name_or_path: BASE, peft_type: 'LORA', r: 16 }));
  writeFileSync(join(ws, ADAPTER, 'adapter_model.safetensors'), 'weights');
  return ws;
}
