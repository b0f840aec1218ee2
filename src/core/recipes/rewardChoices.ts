/**
 * GRPO rewards as text, both ways: "exact_answer, format:0.2" → the built-in rewards with their weights
 * (1 when not given), and back. The CLI's --rewards and the wizard's weights box read the same text,
 * so a choice typed in one is accepted by the other.
 */
import { REWARD_NAMES, REWARD_NEEDS_ANSWER, RewardChoice, RewardName } from './templates/rewards';

/** What is wrong with a reward list, said for the user (the CLI puts "--rewards: " before it). */
export class RewardListError extends Error {}

export function parseRewardList(text: string, answerColumn: string | undefined): RewardChoice[] {
  const rewards = text.split(',').map((part) => part.trim()).filter(Boolean).map((part): RewardChoice => {
    const [name, weight, extra] = part.split(':').map((x) => x.trim());
    if (!(REWARD_NAMES as string[]).includes(name)) throw new RewardListError(`'${name}' is not a built-in reward (built-in: ${REWARD_NAMES.join(', ')}); write your own in rewards.py after the recipe`);
    const w = weight === undefined ? 1 : Number(weight);
    if (extra !== undefined || weight === '' || !Number.isFinite(w)) throw new RewardListError(`'${part}' is not name or name:weight (e.g. format:0.2)`);
    if (REWARD_NEEDS_ANSWER[name as RewardName] && !answerColumn) throw new RewardListError(`'${name}' compares with a reference answer and the data has none (prompts only): choose format or length`);
    return { name: name as RewardName, weight: w };
  });
  if (!rewards.length) throw new RewardListError(`at least one reward is needed (built-in: ${REWARD_NAMES.join(', ')})`);
  const twice = rewards.find((r, i) => rewards.findIndex((o) => o.name === r.name) !== i);
  if (twice) throw new RewardListError(`'${twice.name}' is listed twice: give it once, with one weight`);
  return rewards;
}

/** The rewards as the text parseRewardList reads: "exact_answer:1, format:0.2". */
export function rewardListText(rewards: RewardChoice[]): string {
  return rewards.map((r) => `${r.name}:${r.weight ?? 1}`).join(', ');
}
