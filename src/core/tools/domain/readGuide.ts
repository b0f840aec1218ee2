/**
 * read_guide: the extension's own guides (prompts/*.md: SFT, DPO, evaluation, merging, the Hub,
 * the renames table, failure recovery) for the agent. They live with the extension, not in the
 * workspace, so read_file cannot reach them; only names of files in that folder are accepted.
 */
import { readdirSync } from 'node:fs';
import { loadPrompt, promptsDir } from '../../recipes/prompts';
import { errorMessage } from '../text';
import { ToolDefinition } from '../types';

/** The guides there are (file names without .md); the persona is already the system prompt. */
export function guideNames(dir: string = promptsDir()): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md') && f !== 'persona.md')
    .map((f) => f.slice(0, -3))
    .sort();
}

export const readGuideTool: ToolDefinition<{ name: string }> = {
  name: 'read_guide',
  description:
    "Read one of ML Intern's guides (not in the workspace): recovery (trainer failures and their fixes), renames (library keywords renamed per version), " +
    'sft, dpo (and ORPO/KTO), evaluation, merging, hub. Reads only; needs no approval.',
  parameters: {
    type: 'object',
    properties: { name: { type: 'string', description: 'The guide: recovery, renames, sft, dpo, evaluation, merging or hub.' } },
    required: ['name'],
  },
  approval: 'free',
  async handler(args) {
    let names: string[];
    try {
      names = guideNames();
    } catch (err) {
      return { ok: false, output: `The guides cannot be read: ${errorMessage(err)}` };
    }
    const name = args.name.trim().replace(/\.md$/i, '').toLowerCase();
    if (!names.includes(name)) return { ok: false, output: `No guide named ${JSON.stringify(args.name)}. The guides are: ${names.join(', ')}.` };
    return { ok: true, output: loadPrompt(name), data: { name } };
  },
};
