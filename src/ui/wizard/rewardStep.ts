/**
 * The Fine-tune wizard's GRPO rewards (no vscode): which built-in rewards fit the inspected data,
 * pre-picked from the inspection's proposal, and the weights box's text, read by the same parser as
 * the CLI's --rewards. src/vscode/wizard/rewardPicker.ts shows them inside the method step.
 */
import { REWARD_NAMES, REWARD_NEEDS_ANSWER, RewardChoice, RewardName } from '../../core/recipes/templates/rewards';
import { defaultRewards } from '../../core/recipes/templates/rewards';
import { weightOf } from '../../core/recipes/grpoData';
import { parseRewardList, RewardListError, rewardListText } from '../../core/recipes/rewardChoices';
import { grpoChoice, type InspectionLike, type StepItem } from './wizardSteps';

export const REWARD_DETAIL: Record<RewardName, string> = {
  exact_answer: 'The final answer (GSM8K\'s "#### 42", \\boxed{…}, the last number) equals the reference, normalised',
  choice_letter: 'The chosen letter (A, B, C…) is the right option',
  format: '<think>…</think> then an answer',
  length: 'Answers of a moderate length: neither cut short nor rambling',
  code_tests: 'The code passes the row\'s tests (run confined, with time and memory limits)',
};

/** The reward that reads each kind of reference the inspection finds (python/data_rl.py answerKind). */
const KIND_REWARD: Record<string, RewardName> = { final_answer: 'exact_answer', choice: 'choice_letter', code_tests: 'code_tests' };

function referenceOf(ins: InspectionLike | undefined): string | undefined {
  return grpoChoice(ins)?.columnMapping.answer;
}

/** What the data suggests: the proposal's rewards, else the defaults for data with or without a reference. */
export function suggestedRewards(ins: InspectionLike | undefined): RewardChoice[] {
  return grpoChoice(ins)?.rewards ?? defaultRewards(Boolean(referenceOf(ins)));
}

/** The built-ins that fit the data: form rewards always; an answer reward only for the kind of reference found (all of them when the kind is unknown). */
export function fittingRewards(ins: InspectionLike | undefined): RewardName[] {
  const answer = referenceOf(ins);
  const kind = ins?.grpo?.answerKind ?? undefined;
  const suggested = suggestedRewards(ins).map((r) => r.name);
  return REWARD_NAMES.filter((n) => suggested.includes(n) || !REWARD_NEEDS_ANSWER[n] || (answer !== undefined && (!kind || !KIND_REWARD[kind] || KIND_REWARD[kind] === n)));
}

/** The rows of the multi-select: each fitting reward, checked when chosen before (or suggested), with its weight. */
export function rewardItems(ins: InspectionLike | undefined, current?: RewardChoice[]): StepItem[] {
  const chosen = current ?? suggestedRewards(ins);
  const suggested = suggestedRewards(ins).map((r) => r.name);
  return fittingRewards(ins).map((name) => {
    const c = chosen.find((r) => r.name === name);
    const tags = [suggested.includes(name) ? 'suggested for this data' : undefined, c ? `weight ${c.weight ?? 1}` : undefined].filter(Boolean);
    return { label: name, value: name, description: tags.join(' · ') || undefined, detail: REWARD_DETAIL[name], picked: Boolean(c) };
  });
}

/** The weights box's first text for the rewards checked: the weight chosen before, else the data's suggestion, else the usual one. */
export function weightsText(picked: RewardName[], ins: InspectionLike | undefined, current?: RewardChoice[]): string {
  const known = [...(current ?? []), ...suggestedRewards(ins)];
  const withAnswer = picked.some((n) => REWARD_NEEDS_ANSWER[n]);
  return rewardListText(picked.map((name) => ({ name, weight: known.find((r) => r.name === name)?.weight ?? weightOf(name, withAnswer) })));
}

/** The weights box's text → the rewards, or what to fix (an unknown name, a bad weight, an answer reward on data without a reference). */
export function parseWeights(text: string, ins: InspectionLike | undefined): { rewards: RewardChoice[] } | { error: string } {
  try {
    return { rewards: parseRewardList(text, referenceOf(ins)) };
  } catch (err) {
    if (err instanceof RewardListError) return { error: err.message.charAt(0).toUpperCase() + err.message.slice(1) };
    throw err;
  }
}
