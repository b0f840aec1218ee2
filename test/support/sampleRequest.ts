/** The fine-tune request the session tests share: SFT LoRA of a small Qwen on examples/medical-qa. */
import { FineTuneRequest } from '../../src/core/session/types';

export const MEDICAL_QA_REQUEST = {
  baseModel: 'Qwen/Qwen2.5-0.5B-Instruct',
  dataset: 'data/medical_qa.jsonl',
  method: 'sft' as const,
  adapter: 'lora' as const,
  evalSplit: 0.05,
  columnMapping: { user: 'patient_query', assistant: 'doctor_response' },
  datasetFormat: 'custom_qa',
} satisfies FineTuneRequest;

/** GRPO LoRA on the gsm8k fixture (copied to data/gsm8k.jsonl): the question, the reference answer, exact-answer + format rewards. */
export const GSM8K_GRPO_REQUEST: FineTuneRequest = {
  baseModel: 'Qwen/Qwen2.5-0.5B-Instruct',
  dataset: 'data/gsm8k.jsonl',
  method: 'grpo',
  adapter: 'lora',
  evalSplit: 0,
  columnMapping: { prompt: 'question', answer: 'answer' },
  rewards: [{ name: 'exact_answer', weight: 1 }, { name: 'format', weight: 0.2 }],
};
