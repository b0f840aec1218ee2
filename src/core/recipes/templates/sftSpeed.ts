/**
 * SFT speed switches the environment supports (issue 18, finding 13), each turned on only when the package it needs
 * is in the environment report and the installed trl handles it without changing what trains:
 * - `use_liger_kernel` (TrainingArguments since transformers 4.45, PR #32860): fused RMSNorm/RoPE/SwiGLU and a
 *   fused linear cross-entropy that never materializes the logits. Only from trl 0.22: before, SFTTrainer kept
 *   only input_ids (0.16-0.19) or dropped assistant_masks (0.20/0.21) under Liger (`_prepare_dataset` at each
 *   tag), which would silently undo the loss masking; plain text rows have no mask to lose (trl >= 0.16, the first
 *   SFTTrainer to read use_liger_kernel). trl's DPO/KTO refuse Liger with a PEFT model: SFT only.
 * - `padding_free` (SFTConfig since trl 0.16): the batch is one concatenated row, so no compute goes to pad tokens.
 *   It needs FlashAttention (trl warns otherwise). trl 0.16-0.18 swap in transformers' DataCollatorWithFlattening,
 *   which drops the completion/assistant masks; trl >= 1.0 refuses padding_free without packing while max_length
 *   truncates ("max_length is not enforced"): so trl 0.19 to 0.29 only.
 * - packing stays off for chat data: examples would share rows (and, without padding-free FlashAttention, attend
 *   to each other) and long conversations would be cut at row boundaries; the loss per example stays exact.
 */
import { TargetVersions, versionAtLeast } from '../libraryVersions';
import { ResolvedSpec } from '../spec';
import { ConfigLine } from './pyutil';
import { Keyword } from './sftLoss';

export interface SftSpeedPlan {
  config: ConfigLine[];
  configKwargs: Keyword[];
  notes: string[];
}

/** The installed version of a reported package, under either of its spellings. */
function installed(spec: ResolvedSpec, ...names: string[]): string | undefined {
  const packages = spec.env?.packages ?? {};
  for (const name of names) {
    const v = packages[name];
    if (v) return v;
  }
  return undefined;
}

/** `masked`: the loss is masked (answers only), which Liger must not undo. */
export function sftSpeedPlan(spec: ResolvedSpec, t: TargetVersions, masked: boolean): SftSpeedPlan {
  const trl = (v: string): boolean => versionAtLeast(t.trl, v);
  const plan: SftSpeedPlan = { config: [], configKwargs: [], notes: [] };

  const liger = installed(spec, 'liger_kernel', 'liger-kernel');
  if (liger && trl(masked ? '0.22.0' : '0.16.0') && versionAtLeast(t.transformers, '4.45.0')) {
    plan.config.push({ name: 'USE_LIGER_KERNEL', value: true, comment: `on because liger-kernel ${liger} is installed: fused Triton kernels, logits never materialized (less memory, faster)` });
    plan.configKwargs.push(['use_liger_kernel', 'USE_LIGER_KERNEL']);
  } else if (liger) {
    plan.notes.push(masked
      ? `liger-kernel is installed, but trl ${t.trl} drops the loss masks when it is on (fixed in trl 0.22): left off.`
      : `liger-kernel is installed, but trl ${t.trl}'s SFTTrainer does not read use_liger_kernel (trl 0.16): left off.`);
  }

  const flash = installed(spec, 'flash_attn', 'flash-attn');
  if (flash && spec.attnImplementation === 'flash_attention_2') {
    if (trl('0.19.0') && !trl('1.0.0') && spec.perDeviceTrainBatchSize > 1) {
      plan.config.push({ name: 'PADDING_FREE', value: true, comment: `on because flash-attn ${flash} is installed: the micro-batch is one concatenated row, no compute on padding (needs ATTN_IMPLEMENTATION = "flash_attention_2")` });
      plan.configKwargs.push(['padding_free', 'PADDING_FREE']);
    } else if (trl('1.0.0')) {
      plan.notes.push(`flash-attn is installed, but trl ${t.trl} allows padding_free only with packing (it refuses it while MAX_LENGTH truncates): padding stays; FlashAttention 2 is on.`);
    }
  }
  plan.configKwargs.push(['packing', 'False', 'off for chat: packed examples would share rows and long conversations be cut at row ends']);
  return plan;
}
