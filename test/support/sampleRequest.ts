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
