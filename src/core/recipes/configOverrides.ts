/**
 * Settings the user gives up front (`ml-intern fine-tune --set NUM_TRAIN_EPOCHS=1`) written into the
 * recipe script's CONFIG block before the diff is shown, so the reviewed script is the one that runs.
 * A name must be in the block and keep its kind of value: a typo or a string where a number belongs
 * stops before anything is written, naming what is there.
 */
import { ConfigValue, parsePythonLiteral, readConfig, setConfig } from './configBlock';

export class ConfigOverrideError extends Error {}

/** "NAME=value": a Python literal (1, 2e-4, True, None, "text", ["a", "b"]), true/false/none in any case, or bare text. */
export function parseOverride(text: string): [string, ConfigValue] {
  const m = /^\s*([A-Za-z][A-Za-z0-9_]*)\s*=(.*)$/s.exec(text);
  if (!m) throw new ConfigOverrideError(`'${text}' is not NAME=value (e.g. NUM_TRAIN_EPOCHS=1)`);
  const raw = m[2].trim();
  const word = raw.toLowerCase();
  const value: ConfigValue = word === 'true' ? true : word === 'false' ? false : word === 'none' || word === 'null' ? null : parsePythonLiteral(raw) ?? raw;
  return [m[1].toUpperCase(), value];
}

function kind(v: ConfigValue): string {
  return v === null ? 'None' : Array.isArray(v) ? 'list' : typeof v;
}

/** The script with each override written into its CONFIG block; throws ConfigOverrideError naming what is wrong. */
export function applyOverrides(script: string, overrides: Record<string, ConfigValue>): string {
  const current = readConfig(script);
  const problems: string[] = [];
  for (const [name, value] of Object.entries(overrides)) {
    if (!(name in current)) {
      problems.push(`${name} is not in the script's CONFIG block (it has ${Object.keys(current).join(', ')})`);
      continue;
    }
    const was = current[name];
    // None can be set or replaced by anything (HUB_MODEL_ID, SYSTEM_PROMPT); otherwise the kind stays.
    if (was !== null && value !== null && kind(was) !== kind(value)) {
      problems.push(`${name} takes a ${kind(was)} (it is ${JSON.stringify(was)}), not ${JSON.stringify(value)}`);
      continue;
    }
    script = setConfig(script, name, value);
  }
  if (problems.length) throw new ConfigOverrideError(problems.join('; '));
  return script;
}
