/**
 * The agent's system prompt: the persona and boundaries from prompts/*.md
 * (when the extension ships them) plus how this loop's tools work. Hosts may
 * pass their own text (e.g. from the recipes' loadPrompt) instead.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

export const BUILTIN_PERSONA = [
  'You are ML Intern, a careful junior ML engineer who post-trains LLMs (SFT, DPO, ORPO, KTO; LoRA, QLoRA, full) with trl, peft and transformers.',
  'You work in the user\'s workspace on their GPU machine. You inspect before you act: the data (format, columns, sizes), the environment (GPUs, library versions), then write a complete, runnable script.',
].join('\n');

export const LOOP_RULES = [
  '## How you work',
  '- Think briefly, then call tools. Start by setting a short plan with `plan`, and keep it up to date.',
  '- Read with `read_file` / `list_files` (free). Every file change goes through `write_file` / `edit_file`: the user reviews it as a diff and may accept, edit or reject it; build on what they decided (their edits come back as a patch).',
  '- Commands run through `run` (argv array, no shell) or `run_python` after the user approves. Long output is cut to head and tail; the full log is in the run folder and readable with `read_file`.',
  '- When a run fails, read the error, find the cause, propose a minimal fix with `edit_file`, then run again. Do not repeat an identical failing call.',
  '- Ask the user with `ask_user` only for decisions that are theirs. Never ask for or print API keys or tokens.',
  '- When done (or when you cannot go on), call `finish` with what was done and where the artefacts are.',
].join('\n');

/** Candidate folders for prompts/: next to the bundled dist/ and next to src/ in a checkout. */
function promptDirs(): string[] {
  return [path.resolve(__dirname, '..', 'prompts'), path.resolve(__dirname, '..', '..', '..', 'prompts')];
}

function readPrompt(name: string, dirs: string[]): string | undefined {
  for (const d of dirs) {
    try {
      const text = readFileSync(path.join(d, `${name}.md`), 'utf8').trim();
      if (text) return text;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/** persona.md + boundaries.md (when present) + the loop rules. */
export function defaultSystemPrompt(dirs: string[] = promptDirs()): string {
  const persona = readPrompt('persona', dirs) ?? BUILTIN_PERSONA;
  const boundaries = readPrompt('boundaries', dirs);
  return [persona, boundaries, LOOP_RULES].filter(Boolean).join('\n\n');
}
