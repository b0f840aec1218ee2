/**
 * From the data inspection's GRPO proposal (python/data_rl.py) to what a GRPO recipe asks for: the
 * column mapping (prompt, the reference under its own column name, the choices) and the built-in
 * rewards that fit the reference, with weights. The CLI and the wizard both start from it, so a
 * multiple-choice set gets the letter reward and a math set the final-answer one, never a reward
 * that cannot read the reference.
 */
import { defaultRewards, REWARD_NAMES, REWARD_NEEDS_ANSWER, RewardChoice, RewardName } from './templates/rewards';

/** The inspection's `grpo` field, in the loose shape the recipes read (src/core/python/types.ts GrpoProposal). */
export interface GrpoProposalLike {
  mapping?: Partial<Record<string, string | null>>;
  answerKind?: string | null;
  rewards?: string[];
  notes?: string[];
  reason?: string;
  trainable?: boolean;
}

export interface GrpoDataChoice {
  columnMapping: Record<string, string>;
  rewards: RewardChoice[];
  /** One line for the user: what is the prompt, what the reference, which rewards. */
  summary: string;
  notes: string[];
}

/** Weights: the reward that checks the answer counts fully, the form (format) is a light nudge beside it. */
export function weightOf(name: RewardName, withAnswer: boolean): number {
  if (name === 'format') return withAnswer ? 0.2 : 1;
  if (name === 'length') return 0.5;
  return 1;
}

const KIND_TEXT: Record<string, string> = { final_answer: 'final answer', choice: 'index or letter of the right choice', code_tests: 'tests' };

export function grpoDataChoice(proposal: GrpoProposalLike | undefined): GrpoDataChoice | undefined {
  const mapping = Object.fromEntries(Object.entries(proposal?.mapping ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
  if (!proposal || !(mapping.prompt || mapping.messages || mapping.user)) return undefined;
  const names = (proposal.rewards ?? []).filter((n): n is RewardName => (REWARD_NAMES as string[]).includes(n));
  const withAnswer = Boolean(mapping.answer);
  const rewards = names.length ? names.map((name) => ({ name, weight: weightOf(name, names.some((n) => REWARD_NEEDS_ANSWER[n])) })) : defaultRewards(withAnswer);
  const prompt = mapping.prompt ?? mapping.messages ?? mapping.user;
  const parts = [`prompt ← ${prompt}`];
  if (mapping.choices) parts.push(`choices ← ${mapping.choices}`);
  const kind = proposal.answerKind ? KIND_TEXT[proposal.answerKind] ?? proposal.answerKind : undefined;
  if (mapping.answer) parts.push(`reference ← ${mapping.answer}${kind ? ` (${kind})` : ''}`);
  const summary = `GRPO: ${parts.join(', ')}; rewards ${rewards.map((r) => `${r.name} x${r.weight}`).join(', ')}`;
  return { columnMapping: mapping, rewards, summary, notes: proposal.notes ?? [] };
}
