/**
 * The markdown the agent reads (prompts/*.md). Found by walking up from this file until a folder
 * holds prompts/persona.md, so it works from src/ (tests, tsx) and from the esbuild bundle in dist/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const PROMPT_NAMES = ['persona', 'sft', 'dpo', 'evaluation', 'merging', 'hub', 'renames', 'recovery'] as const;
export type PromptName = (typeof PROMPT_NAMES)[number];

let cached: string | undefined;

export function promptsDir(start: string = __dirname): string {
  if (cached && start === __dirname) return cached;
  let dir = start;
  for (;;) {
    const candidate = join(dir, 'prompts');
    if (existsSync(join(candidate, 'persona.md'))) {
      if (start === __dirname) cached = candidate;
      return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`ML Intern's prompts folder (prompts/persona.md) was not found above ${start}: reinstall the extension.`);
    dir = parent;
  }
}

export function loadPrompt(name: PromptName | string, start?: string): string {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`Invalid prompt name ${JSON.stringify(name)}`);
  const file = join(promptsDir(start), `${name}.md`);
  if (!existsSync(file)) throw new Error(`No prompt named ${name} (prompts/${name}.md)`);
  return readFileSync(file, 'utf8');
}
