/**
 * The user's plan is theirs: a write_recipe that would replace a training script in place with
 * another adapter (full → LoRA/QLoRA), another model or dataset, or a shorter MAX_LENGTH (their
 * examples truncated) is not written. The run asks the user instead (the ask_user mechanism), and
 * only a call made after that question, saying the user agreed, goes through — also when the
 * autoApprove policy would have let the recipe's files in without review.
 */
import { ConfigValue, readConfig } from '../../recipes/configBlock';
import { ToolContext, ToolResult } from '../types';

/** The scope changes from one train.py to the next, as the user would name them; [] when none. */
export function scopeChanges(before: string, after: string): string[] {
  const a = readConfig(before);
  const b = readConfig(after);
  if (!Object.keys(a).length || !Object.keys(b).length) return [];
  const out: string[] = [];
  const adapterOf = (c: Record<string, ConfigValue>) => (c.LOAD_IN_4BIT === true ? 'qlora' : 'LORA_R' in c ? 'lora' : 'full');
  if (adapterOf(a) !== adapterOf(b)) out.push(`adapter ${adapterOf(a)} → ${adapterOf(b)} (another training method and result)`);
  if (typeof a.MODEL_ID === 'string' && typeof b.MODEL_ID === 'string' && a.MODEL_ID !== b.MODEL_ID) out.push(`model ${a.MODEL_ID} → ${b.MODEL_ID}`);
  if (typeof a.DATASET === 'string' && typeof b.DATASET === 'string' && a.DATASET !== b.DATASET) out.push(`dataset ${a.DATASET} → ${b.DATASET}`);
  if (typeof a.MAX_LENGTH === 'number' && typeof b.MAX_LENGTH === 'number' && b.MAX_LENGTH < a.MAX_LENGTH) {
    out.push(`MAX_LENGTH ${a.MAX_LENGTH} → ${b.MAX_LENGTH} (longer examples get truncated)`);
  }
  return out;
}

/** The scope change each run asked about, per recipe folder (what a later "the user agreed" may refer to). */
const asked = new Map<string, string>();

/**
 * Undefined when the change may go ahead (the user was asked about exactly it and the call says
 * they agreed); else the answer that asks the user and writes nothing.
 */
export function scopeGate(ctx: ToolContext, folder: string, changes: string[], userAgreed: boolean): ToolResult | undefined {
  const key = `${ctx.runId}\0${folder}`;
  const what = changes.join('; ');
  if (userAgreed && asked.get(key) === what) {
    asked.delete(key);
    return undefined;
  }
  asked.set(key, what);
  const question = `May I change your training plan in ${folder}/train.py: ${what}? Answer yes to apply it, or say what to do instead.`;
  return {
    ok: false,
    output:
      `Not written: this recipe changes the user's plan (${what}). Such changes are the user's decision, so the run now asks them. ` +
      'If they agree, call write_recipe again with the same arguments and userAgreedToScopeChange: true; otherwise follow their answer.',
    data: { scopeChanges: changes, folder },
    control: { kind: 'ask_user', question },
  };
}
