/**
 * What the "Fine-tune" wizard (or the chat panel) hands to the session that
 * runs it: recipe → review → run → monitor → recover.
 */
import type { RewardChoice } from '../recipes/templates/rewards';

export interface FineTuneRequest {
  baseModel: string;
  /** Workspace-relative path or Hub id. */
  dataset: string;
  method: 'sft' | 'dpo' | 'orpo' | 'kto' | 'grpo';
  adapter: 'lora' | 'qlora' | 'full';
  /** Fraction held out for evaluation, 0 for none. */
  evalSplit: number;
  hubRepo?: string;
  instructions?: string;
  /** Role → column mapping from the dataset inspection (for GRPO: its grpo proposal, recipes/grpoData.ts). */
  columnMapping?: Record<string, string>;
  /** GRPO only: the built-in rewards of rewards.py and their weights (default: what fits the reference, recipes/templates/rewards.ts). */
  rewards?: RewardChoice[];
  /** Detected dataset format from the inspection. */
  datasetFormat?: string;
  /** The dataset is one JSON document with its rows under this key ({"data": [...]}). */
  jsonField?: string;
  /** Rows in the dataset, from the inspection: the recipe scales how often the run logs and evaluates. */
  datasetRows?: number;
  /** CONFIG values the user set up front (NAME → value), written into train.py before it is reviewed. */
  config?: Record<string, string | number | boolean | null | string[]>;
  maxLength?: number;
  /** Before the full run, this many real steps (smokeStage.ts): step time, peak memory, ETA, a fitted batch plan. */
  smokeSteps?: number;
  /** Before the full run (and the smoke run), the token preview of the accepted script as a chat card. */
  previewTokens?: boolean;
}

// How a run ends is the run runtime's (run/outcome.ts); the hosts import it from here too.
export type { SessionOutcome } from '../run/outcome';
