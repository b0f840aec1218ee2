import { renderRecipe } from '../../../src/core/recipes';

/** A real recipe train.py (CONFIG block) for the playbook and loop tests. */
export function recipeScript(overrides: Record<string, unknown> = {}): string {
  const r = renderRecipe({ method: 'sft', baseModel: 'Qwen/Qwen2.5-0.5B', dataset: 'data/train.jsonl', adapter: 'lora', columnMapping: { messages: 'messages' }, perDeviceTrainBatchSize: 4, gradientCheckpointing: false, ...overrides } as never);
  return r.files.find((f) => f.path === 'train.py')!.content;
}
