/** Import names whose pip distribution is named differently (or that people often mistype). */
const PIP_NAMES: Record<string, string> = {
  flash_attn: 'flash-attn',
  flash_attn_2_cuda: 'flash-attn',
  sklearn: 'scikit-learn',
  cv2: 'opencv-python',
  PIL: 'pillow',
  yaml: 'pyyaml',
  bs4: 'beautifulsoup4',
  google: 'protobuf',
  sentencepiece: 'sentencepiece',
  attr: 'attrs',
  dotenv: 'python-dotenv',
  huggingface_hub: 'huggingface_hub',
  llama_cpp: 'llama-cpp-python',
  Levenshtein: 'python-Levenshtein',
  skimage: 'scikit-image',
  jose: 'python-jose',
  wandb: 'wandb',
  deepspeed: 'deepspeed',
  unsloth: 'unsloth',
  liger_kernel: 'liger-kernel',
  auto_gptq: 'auto-gptq',
  awq: 'autoawq',
  lm_eval: 'lm-eval',
  mpi4py: 'mpi4py',
  tiktoken: 'tiktoken',
  einops: 'einops',
  triton: 'triton',
  xformers: 'xformers',
  peft: 'peft',
  trl: 'trl',
  bitsandbytes: 'bitsandbytes',
  accelerate: 'accelerate',
  datasets: 'datasets',
  transformers: 'transformers',
  evaluate: 'evaluate',
  torch: 'torch',
};

/**
 * Names a library only defines when an optional package imports (`if is_peft_available(): from
 * peft import PeftModel`): a `NameError` for one of them means the package is not installed.
 * A NameError for any other name is the script's own bug, not a missing package.
 */
export const NAME_TO_MODULE: Record<string, string> = {
  PeftModel: 'peft',
  PeftConfig: 'peft',
  PeftModelForCausalLM: 'peft',
  LoraConfig: 'peft',
  get_peft_model: 'peft',
  prepare_model_for_kbit_training: 'peft',
  bnb: 'bitsandbytes',
  Linear4bit: 'bitsandbytes',
  Linear8bitLt: 'bitsandbytes',
  deepspeed: 'deepspeed',
  wandb: 'wandb',
  flash_attn_func: 'flash_attn',
  flash_attn_varlen_func: 'flash_attn',
  LigerCrossEntropyLoss: 'liger_kernel',
  AutoLigerKernelForCausalLM: 'liger_kernel',
  LLM: 'vllm',
  SamplingParams: 'vllm',
  torch: 'torch',
};

/** The pip distribution for an import name (`flash_attn.bert_padding` → `flash-attn`). */
export function pipPackageFor(moduleName: string): string {
  const top = moduleName.split('.')[0];
  return PIP_NAMES[top] ?? top.replace(/_/g, '-');
}

/** Top-level import name. */
export function topModule(moduleName: string): string {
  return moduleName.split('.')[0];
}

/**
 * What to do when `python -m pip install …` failed, from pip's output: an OS-managed Python
 * (PEP 668: Debian/Ubuntu's python3 refuses system-wide installs) needs a virtual environment;
 * otherwise the index could not be reached or has no such version.
 */
export function pipFailureAdvice(pipOutput: string, python: string): string {
  if (/externally-managed-environment/.test(pipOutput)) {
    return `That Python is managed by the operating system: create a virtual environment (${python} -m venv .venv), select it in the Python extension or set mlIntern.pythonPath to .venv/bin/python.`;
  }
  return 'Without a package index on this machine, install them another way (a wheel, a mirror, or PIP_INDEX_URL), or choose an interpreter that has them (mlIntern.pythonPath).';
}
