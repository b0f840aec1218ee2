/**
 * write_recipe's GRPO arguments as a model writes them. trl's own GRPOConfig / GRPOTrainer names
 * (num_generations, max_completion_length, loss_type, reward_funcs, reward_weights) are aliases of
 * the spec's fields; reward_funcs in trl is a list of functions or names, so a reward may come as
 * a plain name ("exact_answer" or the function's "exact_answer_reward") as well as {name, weight}.
 * Anything that is not a built-in reward is refused by name, never dropped.
 */
import { GRPO_LOSS_TYPES, RecipeSpec } from '../../recipes';
import { REWARD_NAMES, RewardChoice, RewardName } from '../../recipes/templates/rewards';

/** trl's names for GRPO's fields (grpo_config.py) → the spec's. */
export const GRPO_ALIASES: Readonly<Record<string, string>> = {
  num_generations: 'numGenerations',
  max_completion_length: 'maxCompletionLength',
  loss_type: 'lossType',
  reward_funcs: 'rewards',
  reward_functions: 'rewards',
  reward_weights: 'rewardWeights',
};

/** The JSON schema of write_recipe's GRPO parameters. */
export const GRPO_PARAMETERS: Record<string, Record<string, unknown>> = {
  numGenerations: { type: 'integer', description: 'grpo: completions sampled per prompt, >= 2 (default 8); micro-batch x accumulation x GPUs must hold whole groups (the recipe fits the accumulation).' },
  maxCompletionLength: { type: 'integer', description: 'grpo: tokens per completion (default 512); longer ones are cut.' },
  lossType: { type: 'string', enum: GRPO_LOSS_TYPES, description: 'grpo: trl loss_type (default: the installed trl\'s).' },
  temperature: { type: 'number', description: 'grpo: sampling temperature (default 1.0).' },
  rewards: {
    type: 'array',
    items: {
      type: ['object', 'string'],
      properties: { name: { type: 'string', enum: REWARD_NAMES }, weight: { type: 'number' } },
      required: ['name'],
      additionalProperties: false,
    },
    description: `grpo: the built-in rewards of rewards.py, each {name, weight?} or a name: ${REWARD_NAMES.join(', ')} (default: exact_answer + format when the data has an answer column, else format + length). Own rewards: edit rewards.py after it is written.`,
  },
  rewardWeights: { type: 'array', items: { type: 'number' }, description: 'grpo: weights of `rewards`, same order and length (trl reward_weights).' },
};

/** The spec's GRPO fields write_recipe passes through. */
export const GRPO_SPEC_FIELDS = ['numGenerations', 'maxCompletionLength', 'lossType', 'temperature', 'rewards'] as const;

type RewardArg = RewardChoice | string;

/** A reward as the model named it → the built-in's name, or undefined when there is no such built-in. */
function rewardName(raw: string): RewardName | undefined {
  const name = raw.trim().replace(/_reward$/, '');
  return (REWARD_NAMES as string[]).includes(name) ? (name as RewardName) : undefined;
}

/**
 * The rewards as the spec takes them ({name, weight}), with reward_weights applied; or the
 * problem, naming the field and what to do.
 */
export function resolveRewardArgs(rewards: RewardArg[] | undefined, weights: number[] | undefined): { rewards?: RewardChoice[] } | { problem: string } {
  if (weights !== undefined && rewards === undefined) return { problem: 'rewardWeights (reward_weights) needs `rewards` (reward_funcs) in the same order: name the rewards too' };
  if (rewards === undefined) return {};
  const out: RewardChoice[] = [];
  for (const [i, r] of rewards.entries()) {
    const raw = typeof r === 'string' ? r : r.name;
    const name = rewardName(raw);
    if (!name) {
      return { problem: `rewards[${i}]: "${raw}" is not a built-in reward (${REWARD_NAMES.join(', ')}). For your own reward, write the recipe with the built-ins, then add a function to rewards.py (edit_file) and list it in REWARD_FUNCS with a weight` };
    }
    out.push(typeof r === 'string' || r.weight === undefined ? { name } : { name, weight: r.weight });
  }
  if (weights !== undefined) {
    if (weights.length !== out.length) return { problem: `rewardWeights: ${weights.length} weight(s) for ${out.length} reward(s): give one weight per reward, in the same order` };
    out.forEach((r, i) => (r.weight = weights[i]));
  }
  return { rewards: out };
}

/** CONFIG names of GRPO's fields in train.py, for the echo of what the script holds. */
export const GRPO_CONFIG_OF: ReadonlyArray<[keyof RecipeSpec, string, string]> = [
  ['numGenerations', 'NUM_GENERATIONS', 'generations per prompt'],
  ['maxCompletionLength', 'MAX_COMPLETION_LENGTH', 'max completion length'],
  ['temperature', 'TEMPERATURE', 'temperature'],
  ['lossType', 'LOSS_TYPE', 'loss type'],
];

/**
 * "Rewards in rewards.py: exact_answer_reward x 1.0, format_reward x 0.2" from the file as written
 * (the user may have edited it in the review), or a loud line when it cannot be read.
 */
export function rewardLines(rewardsPy: string | undefined): string[] {
  if (rewardsPy === undefined) return ['rewards.py was not written: GRPO cannot train without it. Call write_recipe again or ask the user.'];
  const funcs = /^REWARD_FUNCS\s*=\s*\[([^\]\n]*)\]/m.exec(rewardsPy)?.[1];
  const weightText = /^REWARD_WEIGHTS\s*=\s*\[([^\]\n]*)\]/m.exec(rewardsPy)?.[1];
  if (funcs === undefined) return ['rewards.py has no one-line REWARD_FUNCS = [...] list: check it before the run (ml-intern reward-test <folder>).'];
  const names = funcs.split(',').map((s) => s.trim()).filter(Boolean);
  const w = (weightText ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const shown = names.map((n, i) => `${n} x ${Number.isFinite(w[i]) ? w[i] : '?'}`);
  const lines = [`Rewards in rewards.py (REWARD_FUNCS x REWARD_WEIGHTS): ${shown.join(', ') || 'none'}.`];
  if (w.length !== names.length) lines.push(`rewards.py lists ${names.length} reward(s) but ${w.length} weight(s): train.py refuses to start until they match.`);
  return lines;
}
