/**
 * The "# ---- model" part of train.py: in which dtype the weights load, where they go under
 * accelerate (one copy per GPU, or none under FSDP, which shards them), the 4-bit config of QLoRA,
 * the LoRA config and, for full DPO/KTO, the frozen reference model.
 */
import { TargetVersions, versionAtLeast } from '../libraryVersions';
import { ResolvedSpec, SupervisedMethod } from '../spec';
import { kbitUpcast } from '../shardPlan';
import { call } from './pyutil';
import { commentText } from './escape';

export interface ModelSection {
  /** Indented for main(). */
  code: string;
  /** The expression the trainer gets as ref_model (DPO/KTO only). */
  refModel?: string;
  notes: string[];
}

const COMMENTS = {
  qlora: '# QLoRA: the frozen base is stored in 4-bit NF4 with double quantization; matmuls run in the\n# compute dtype (bf16 where the GPU has it, else fp16). Only the small LoRA matrices train.',
  lora: '# LoRA: the base stays frozen in half precision; only small low-rank matrices train.',
  full: '# Full fine-tuning: fp32 master weights (and fp32 AdamW states) with BF16/FP16 autocast, as trl loads\n' +
    '# models since 0.27 (PR #4778): the matmuls run in 16-bit, and updates too small for a bf16 weight still land.\n' +
    '# Weights + gradients + AdamW: 16 bytes per parameter; when one GPU cannot hold that, FSDP shards it.',
};

export function modelSection(spec: ResolvedSpec, method: SupervisedMethod, t: TargetVersions): ModelSection {
  const adapter = spec.adapter;
  const qlora = adapter === 'qlora';
  const peft = adapter !== 'full';
  const notes: string[] = [];
  const dtypeKw = versionAtLeast(t.transformers, '4.56.0') ? 'dtype' : 'torch_dtype';
  const halfDtype = 'torch.bfloat16 if BF16 else torch.float16';
  const loadKwargs: [string, string, string?][] = [];
  if (qlora) loadKwargs.push(['quantization_config', 'quantization_config']);
  loadKwargs.push([dtypeKw, 'MODEL_DTYPE'], ['attn_implementation', 'ATTN_IMPLEMENTATION'], ['device_map', 'DEVICE_MAP']);
  const load = (kwargs: [string, string, string?][]): string =>
    call('AutoModelForCausalLM.from_pretrained', [['pretrained_model_name_or_path', 'MODEL_ID'], ...kwargs], '    ').replace('pretrained_model_name_or_path=MODEL_ID', 'MODEL_ID');

  const lines: string[] = [
    ...COMMENTS[adapter].split('\n').map((l) => '    ' + l),
    `    MODEL_DTYPE = ${adapter === 'full' ? 'torch.float32' : halfDtype}`,
    '    # One full copy per process: under accelerate/torchrun each process owns the GPU of its LOCAL_RANK.',
    '    # Under FSDP or DeepSpeed ZeRO-3 (accelerate launch with their config) the weights are sharded, not',
    '    # placed whole on one GPU: no device_map (transformers refuses one under ZeRO-3).',
    '    sharded = any(os.environ.get(v, "false").lower() in ("1", "true") for v in ("ACCELERATE_USE_FSDP", "ACCELERATE_USE_DEEPSPEED"))',
    '    DEVICE_MAP = {"": int(os.environ.get("LOCAL_RANK", 0))} if torch.cuda.is_available() and not sharded else None',
  ];
  if (qlora) {
    lines.push(`    quantization_config = ${call('BitsAndBytesConfig', [
      ['load_in_4bit', 'LOAD_IN_4BIT'],
      ['bnb_4bit_quant_type', '"nf4"', 'NormalFloat4: the QLoRA paper\'s data type for normal-distributed weights'],
      ['bnb_4bit_use_double_quant', 'True', 'quantize the quantization constants too (~0.4 bit/param saved)'],
      ['bnb_4bit_compute_dtype', halfDtype],
    ], '    ')}`);
  }
  lines.push(`    model = ${load(loadKwargs)}`, '    # The KV cache is useless in training and conflicts with gradient checkpointing.', '    model.config.use_cache = False');
  if (qlora) {
    // The trainer of the targeted trl prepares the 4-bit model itself, or (newer releases) no longer upcasts it.
    const upcasts = kbitUpcast(method, t.trl);
    // The version is what the user's machine reported: a comment, never code (newlines and all).
    const trlVersion = commentText(t.trl);
    lines.push(upcasts
      ? `    # trl ${trlVersion}'s ${method.toUpperCase()} trainer runs peft's prepare_model_for_kbit_training on this 4-bit model\n    # itself (embeddings, head and norms cast to fp32); calling it here as well would only repeat it.`
      : `    # trl ${trlVersion}'s ${method.toUpperCase()} trainer no longer runs prepare_model_for_kbit_training: embeddings, head and\n    # norms stay 16-bit (its fp32 upcast costs ~2 GiB on an 8B model), so this script does not call it either.`);
  }
  if (peft) {
    lines.push(`    peft_config = ${call('LoraConfig', [
      ['r', 'LORA_R'],
      ['lora_alpha', 'LORA_ALPHA'],
      ['lora_dropout', 'LORA_DROPOUT'],
      ['target_modules', 'LORA_TARGET_MODULES'],
      ['bias', '"none"'],
      ['task_type', '"CAUSAL_LM"'],
    ], '    ')}`);
  }
  let refModel: string | undefined;
  if (method === 'dpo' || method === 'kto') {
    if (peft) {
      refModel = 'None';
    } else {
      // Left to trl, the reference would be an fp32 copy (trl >= 0.27 loads models in fp32): it never trains, so 16-bit is enough.
      lines.push('    # The frozen reference of full DPO/KTO never trains: 16-bit is enough (trl would load it in fp32).');
      lines.push(`    ref_model = ${load([[dtypeKw, halfDtype], ['attn_implementation', 'ATTN_IMPLEMENTATION'], ['device_map', 'DEVICE_MAP']])}`);
      refModel = 'ref_model';
      notes.push(`Full ${method.toUpperCase()} keeps a second, frozen 16-bit copy of the model as reference: plan memory for it (or use LoRA, whose reference is the base with the adapter off).`);
    }
  }
  return { code: lines.join('\n'), refModel, notes };
}
