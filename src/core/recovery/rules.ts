/**
 * The diagnosis rules: one entry per failure category, in ROOT-CAUSE order.
 *
 * When several categories match, the first one in {@link RULES} wins, so the
 * order encodes what causes what: a full disk makes a checkpoint write fail;
 * an OOM on rank 1 makes torchrun print ChildFailedError and the other ranks
 * time out in NCCL (so `nccl_or_distributed` comes last); a NaN only matters
 * when nothing fatal happened.
 *
 * `strong` patterns are fatal messages; `weak` ones are symptoms that are also
 * printed by runs that go on (a Hub retry warning, a `'loss': nan` dict). A
 * category with a strong match always beats one with only weak matches.
 *
 * Hub errors: an auth failure (401/403, "Repository Not Found") is `hub_push`
 * when the log shows an upload (push_to_hub, create_repo, upload_folder,
 * preupload, api/repos/create), else `gated_or_auth` (download of a gated or
 * private model). Connection failures and time-outs are `network_timeout` in
 * both phases: the fix (longer time-outs, retry) is the same.
 *
 * flash-attn: transformers' "FlashAttention2 has been toggled on, but it
 * cannot be used" (the script asked for it) is `flash_attn_missing` (fix: sdpa);
 * a bare `No module named 'flash_attn'` from the user's own import is
 * `module_not_found` (fix: install flash-attn).
 */
import { NAME_TO_MODULE } from './packages';
import { FailureCategory } from './types';

/** `NameError: name 'PeftModel' is not defined`: only for names an optional package defines. */
export const MISSING_NAME_RE = new RegExp(`NameError: name '(${Object.keys(NAME_TO_MODULE).join('|')})' is not defined`);

export interface Rule {
  category: FailureCategory;
  strong: RegExp[];
  weak?: RegExp[];
}

const AUTH_RE = [
  /\b40[13] Client Error\b/,
  /HTTPError: 40[13]\b/,
  /\b40[13] Forbidden\b/,
  /\b401 Unauthorized\b/,
  /RepositoryNotFoundError/,
  /Repository Not Found for url/i,
  /Invalid (?:user )?token|Invalid credentials in Authorization header|token is (?:invalid|expired)/i,
  /\bnot authorized\b|authentication (?:failed|required)/i,
];

/** Lines that show the run was uploading to the Hub. */
export const UPLOAD_CONTEXT_RE =
  /push_to_hub|upload_folder|upload_file|upload_large_folder|create_commit|create_repo|preupload|api\/repos\/create|Uploading (?:the )?(?:model|checkpoint|files?|adapter)|hub_model_id|\/commit\/|write token|Pushing to hub/i;

export const RULES: Rule[] = [
  {
    // First: nothing ran, so nothing after this line is the training's. The node sandbox's own line
    // (sandbox/slurmNode.ts), and bubblewrap's errors when it cannot build its namespaces.
    category: 'sandbox_unavailable',
    strong: [
      /ML Intern: stopped before the command: compute node \S+ has no working bubblewrap/,
      /^(?:\d+: )?bwrap: (?:No permissions to create new namespace|Creating new namespace failed|setting up uid map: Permission denied)/,
    ],
  },
  {
    category: 'disk_full',
    strong: [
      /No space left on device/i,
      /\[Errno 28\]/,
      /StorageFull/,
      /Not enough disk space/i,
      /PytorchStreamWriter failed writing file/i,
      /\bfile write failed\b/i,
      /inline_container\.cc.*unexpected pos \d+ vs \d+/,
      /Disk quota exceeded|\[Errno 122\]/i,
    ],
  },
  {
    category: 'cuda_driver',
    strong: [
      /Found no NVIDIA driver/i,
      /NVIDIA driver on your system is too old/i,
      /CUDA driver version is insufficient/i,
      /No CUDA GPUs are available/i,
      /Torch not compiled with CUDA enabled/i,
      /no kernel image is available for execution on the device/i,
      /NVIDIA-SMI has failed/i,
      /couldn't communicate with the NVIDIA driver/i,
      /cudaErrorNoDevice|cudaErrorInsufficientDriver|CUDA_ERROR_NO_DEVICE|CUDA_ERROR_NOT_INITIALIZED/,
      /no CUDA-capable device is detected/i,
      /forward compatibility was attempted on non supported HW/i,
      /CUDA unknown error - this may be due to an incorrectly set up environment/i,
      /is not compatible with the current PyTorch installation/i,
    ],
  },
  {
    category: 'bf16_unsupported',
    strong: [
      /doesn't support bf16/i,
      /bf16 mixed precision requires/i,
      /(?:bf16|bfloat16)\b.{0,100}\b(?:only supported|requires?|not supported|is not available)\b.{0,80}(?:Ampere|compute capability|8\.0|architecture|device|GPU)/i,
      /(?:does not|doesn't) support (?:bf16|bfloat16)/i,
      /(?:bf16|bfloat16) is not supported on/i,
    ],
  },
  {
    category: 'flash_attn_missing',
    strong: [
      /Flash ?Attention ?2? has been toggled on, but it cannot be used/i,
      /flash_attn seems to be not installed/i,
      /Flash ?Attention ?2? is not (?:available|installed)/i,
      /FlashAttention only supports Ampere GPUs or newer/i,
      /flash_attn_2_cuda.*(?:undefined symbol|cannot open shared object)/i,
      /flash_attention_2.{0,80}(?:not supported|requires)/i,
    ],
  },
  {
    category: 'bitsandbytes_setup',
    strong: [
      /bitsandbytes was compiled without GPU support/i,
      /CUDA Setup failed despite GPU being available/i,
      /requires the latest version of bitsandbytes/i,
      /Using `bitsandbytes` \d-bit quantization requires/i,
      /libbitsandbytes_\w+\.so.{0,80}(?:undefined symbol|cannot open|not found)/i,
      /Could not find the bitsandbytes CUDA binary/i,
      /The installed version of bitsandbytes/i,
      /bitsandbytes.{0,60}(?:CUDA SETUP|cextension).{0,80}(?:error|fail|not)/i,
      /\bbnb\b.{0,40}(?:not compiled|no GPU support)/i,
      /(?:4|8)-bit quantization (?:is not|isn't) supported.{0,80}bitsandbytes/i,
    ],
    weak: [/bitsandbytes.{0,80}(?:error|failed|not supported)/i],
  },
  {
    // GRPO's batch of generations must hold whole groups of num_generations completions. Texts of
    // trl's GRPOConfig.__post_init__ (v0.18-v1.9) and GRPOTrainer.__init__ (v0.14-v0.17).
    category: 'grpo_generation_batch',
    strong: [
      /generation_batch_size \(\d+\) must be divisible by num_generations \(\d+\)/,
      /effective train batch size \([^)]*\) must be evenly divisible by the number of generations per prompt \(\d+\)/,
      /global train batch size \([^)]*\) must be evenly divisible by the number of generations per prompt \(\d+\)/,
      /global eval batch size \([^)]*\) must be (?:evenly )?divisible by the number of generations/,
    ],
  },
  {
    category: 'unexpected_kwarg',
    strong: [/got an unexpected keyword argument ['"]\w+['"]/],
  },
  {
    category: 'missing_chat_template',
    strong: [
      /chat_template is not set/i,
      /Cannot use (?:chat template functions|apply_chat_template\(\))/i,
      /No chat template is (?:set|defined)/i,
      /(?:does not|doesn't) have a chat template/i,
      /chat_template.{0,40}(?:is None|missing)/i,
    ],
  },
  {
    category: 'missing_pad_token',
    strong: [
      /Asking to pad but the tokenizer does not have a padding token/i,
      // The pad id None reaching torch deep in a collator (trl's DPO/SFT collators, custom ones).
      /argument 'padding_value' \(position \d\) must be \w+, not NoneType/,
      /full\(\) received an invalid combination of arguments - got \(\w+, NoneType\b/,
      /You are attempting to pad samples but the tokenizer you are using \(\w+\) does not have/i,
      /Padding is enabled, but the tokenizer is not configured with a padding token/i,
      /The specified `?pad_token`? \(.{1,60}\) is not found in the vocabulary/i,
      /Cannot handle batch sizes > 1 if no padding token is defined/i,
      /tokenizer (?:does not|doesn't) have a pad(?:ding)?[ _]token/i,
      /pad_token(?:_id)? (?:is|was) (?:not set|None)/i,
    ],
  },
  {
    category: 'hub_push',
    strong: [
      /You don't have the rights to create/i,
      /api\/repos\/create/,
      /(?:you must use a )?write token to (?:upload|push|create)/i,
      /(?:Failed to|Cannot|could not) (?:push|upload)\b.{0,80}(?:hub|huggingface|repo)/i,
      /push_to_hub.{0,80}(?:failed|error)/i,
      /Error while uploading/i,
      /LFS upload failed/i,
    ],
  },
  {
    category: 'gated_or_auth',
    strong: [
      /GatedRepoError/,
      /Cannot access gated repo/i,
      /Access to model \S+ is restricted/i,
      /You are trying to access a gated repo/i,
      /not in the authorized list/i,
      /is not a local folder and is not a valid model identifier/i,
      /Please log in\b|huggingface-cli login|hf auth login/i,
      ...AUTH_RE,
    ],
  },
  {
    category: 'network_timeout',
    strong: [
      /We couldn't connect to ['"]?https?:\/\/(?:huggingface\.co|hf\.co)/i,
      /(?:ReadTimeout|ConnectTimeout|ReadTimeoutError|ConnectTimeoutError|MaxRetryError|NameResolutionError|ConnectionError|ProxyError|SSLError)\b.{0,300}(?:huggingface|hf\.co|HTTPSConnectionPool|Max retries|timed out)/i,
      /Temporary failure in name resolution/i,
      /Failed to establish a new connection/i,
      /HTTPSConnectionPool\(host='[\w.-]*(?:huggingface|hf)\.co'.{0,300}(?:timed out|Max retries)/i,
      /outgoing traffic has been disabled/i,
      /LocalEntryNotFoundError/,
      /Couldn't reach ['"][^'"]+['"] on the Hub/i,
    ],
    weak: [/Connection (?:to \S+ )?timed out/i, /Retrying in \d+s \[Retry \d+\/\d+\]/i, /\bRead timed out\b/i],
  },
  {
    category: 'cuda_oom',
    strong: [
      /CUDA out of memory/i,
      /\bOutOfMemoryError\b/,
      /CUDA error: out of memory/i,
      /CUBLAS_STATUS_ALLOC_FAILED/,
      /HIP out of memory|MPS backend out of memory/i,
      /\bout of memory\b.{0,60}(?:GPU|GiB|MiB|device)/i,
      /cudaErrorMemoryAllocation|CUDA_ERROR_OUT_OF_MEMORY/,
    ],
  },
  {
    category: 'module_not_found',
    strong: [
      /No module named ['"][\w.]+['"]/,
      /cannot import name ['"]\w+['"] from ['"][\w.]+['"]/,
      /requires the following packages that were not found in your environment/i,
      /ImportError: .{0,200}\brequires? `?[A-Za-z][\w-]*(?:[<>=]=?[\d.]+)?`?.{0,120}pip install/i,
      /PackageNotFoundError: No package metadata was found for/i,
      MISSING_NAME_RE,
    ],
  },
  {
    category: 'shape_or_dtype',
    strong: [
      /size mismatch/i,
      /mat1 and mat2 shapes cannot be multiplied/,
      /expected scalar type \w+ but found \w+/i,
      /must match the size of tensor/i,
      /Expected input batch_size \(\d+\) to match target batch_size/,
      /Expected all tensors to be on the same device/,
      /(?:dtype|type) mismatch/i,
      /type \([^)]*\) and \w+ type \([^)]*\) should be the same|must have the same dtype/i,
      /not implemented for '(?:Half|BFloat16|Float|Long|Int|Bool)'/,
      /Unable to create tensor, you should probably activate truncation/i,
      /shape '\[[\d, -]*\]' is invalid for input of size/,
      /Attempting to unscale FP16 gradients/,
      /Index put requires the source and destination dtypes match/,
      /device-side assert triggered/i,
      /(?:Input|Target) size \(.*\) must be the same as/i,
      /dimension(?:s)? out of range|Dimension out of range/i,
      /index out of range in self/i,
    ],
  },
  {
    category: 'dataset_schema',
    strong: [
      /^(?:[\w.]+\.)?KeyError: ['"][^'"]{1,80}['"]/,
      /Column(?:s)? .{0,80}(?:not in the dataset|doesn't exist|does not exist|not found)/i,
      /Unable to find ['"][^'"]+['"]/i,
      /DatasetGenerationError|DatasetGenerationCastError/,
      /ArrowInvalid|ArrowTypeError|JSON parse error/i,
      /Couldn't cast|CastError/,
      /You should supply an encoding or a list of encodings/,
      /Conversation roles must alternate/i,
      /jinja2\.exceptions\.\w+: .{0,120}(?:role|content|message)/i,
      /missing (?:required )?(?:column|field|key)s?\b/i,
      /dataset_text_field/,
      /(?:does not|doesn't) (?:have|contain) (?:the )?(?:required )?(?:column|field|key)/i,
      /Invalid role|unknown role|expected (?:a )?(?:'role'|role and content)/i,
      /Could not (?:find|infer) (?:the )?(?:format|columns?)/i,
      /string indices must be integers/,
      /Unsupported dataset format|unrecognized (?:dataset )?format/i,
    ],
  },
  {
    category: 'nan_loss',
    strong: [
      /Loss is NaN|loss is nan\b|NaN loss|nan loss detected|Detected NaN|non-finite loss|Loss became (?:NaN|inf)/i,
      /FloatingPointError/,
      /returned nan values in its \d+\w* output/i,
      // Sampling from NaN/inf logits (generation during training or evaluation).
      /probability tensor contains either `?inf`?, `?nan`? or element < 0/i,
    ],
    weak: [
      // transformers 5 quotes the values: {'loss': 'nan', 'grad_norm': 'inf'}
      /['"]loss['"]: ['"]?(?:nan|-?inf)\b/i,
      /['"](?:grad_norm|train_loss)['"]: ['"]?(?:nan|-?inf)\b/i,
      // DPO/ORPO/KTO: rewards, log-probs and logits turn NaN while the loss can read 0.0.
      /['"](?:rewards|logps|logits)\/\w+['"]: ['"]?(?:nan|-?inf)\b/i,
      /['"](?:kl|nll_loss|log_odds_ratio|log_odds_chosen)['"]: ['"]?(?:nan|-?inf)\b/i,
      /\bloss[=:]\s*(?:nan|-?inf)\b/i,
      /\bgrad[_ ]norm[=:]\s*(?:nan|-?inf)\b/i,
      /^\|?\s*\d+\s*\|?\s+nan\b/i,
    ],
  },
  {
    category: 'nccl_or_distributed',
    strong: [
      /\bNCCL (?:error|Error)\b|ncclInternalError|ncclSystemError|ncclUnhandledCudaError|ncclRemoteError|ncclInvalidUsage/,
      /Watchdog caught collective operation timeout/i,
      /ProcessGroupNCCL.{0,80}(?:timeout|timed out|error|abort)/i,
      /DistBackendError|DistNetworkError|DistStoreError/,
      /RendezvousTimeoutError|RendezvousConnectionError|RendezvousClosedError/,
      /EADDRINUSE|address already in use/i,
      /ChildFailedError/,
      /Timed out initializing process group/i,
      /The server socket has failed to (?:listen|bind)/i,
      /(?:barrier|all_?reduce|all_?gather|broadcast|collective).{0,60}tim(?:ed|e) ?out/i,
      /NCCL communicator was aborted/i,
    ],
    weak: [/NCCL WARN/, /Connection reset by peer/i, /failed \(exitcode: -?\d+\) local_rank/],
  },
];

/** Warnings are symptoms of runs that may go on: their matches count as weak. */
export const WARNING_LINE_RE = /\bWARNING\b|\bWARN\b|UserWarning|FutureWarning|DeprecationWarning|warnings\.warn|consider installing/;

export const ERROR_LINE_RE = /^(?:[\w.]+\.)?[A-Z]\w*(?:Error|Exception|Interrupt)\b/;
