/**
 * What the Fine-tune wizard found out, as rows of the picker rather than its placeholder: a
 * placeholder is cut at about 580 px and vanishes as soon as the user types, which hid "torch is
 * not installed", "NOT trainable as is", "3 invalid JSON lines" and the column mapping. Notes are
 * listed under the choices (the choices stay first, so Enter and typed filters land on a choice)
 * and Enter on a note does nothing. No vscode import: src/vscode/wizard/fineTuneWizard.ts shows them.
 */
import { grpoChoice, type StepContext, type StepId, type StepItem, type WizardAnswers } from './wizardSteps';

/** Problems listed one per row; the rest are counted in a last row. */
const MAX_PROBLEM_ROWS = 4;

function note(label: string, detail?: string): StepItem {
  return { label, ...(detail ? { detail } : {}), action: 'note' };
}

/** The heading over a step's notes (a separator in the picker). */
export function notesHeading(step: StepId): string {
  return step === 'adapter' ? 'This machine' : 'Your data';
}

/** The notes of a step, in the order shown; empty when there is nothing to say. */
export function notesFor(step: StepId, a: WizardAnswers, ctx: StepContext): StepItem[] {
  if (step === 'method') return dataNotes(a);
  if (step === 'adapter') return machineNotes(a, ctx);
  return [];
}

function dataNotes(a: WizardAnswers): StepItem[] {
  if (a.inspectionError) return [note(`$(warning) Could not inspect ${a.dataset ?? 'the dataset'}`, `${a.inspectionError}. The recipe will map the columns by their names.`)];
  const ins = a.inspection;
  if (!ins) return [];
  const facts = [ins.format ? `format ${ins.format}` : '', ins.task ? `task ${ins.task}` : '', typeof ins.rows === 'number' ? `${ins.rows.toLocaleString('en-US')} rows${ins.rowsSampled ? ' (sampled)' : ''}` : ''].filter(Boolean);
  const mapping = Object.entries(ins.mapping ?? {}).filter((e): e is [string, string] => !!e[1]);
  const notes = [note(`$(database) ${a.dataset ?? 'Dataset'}: ${facts.join(' · ') || 'nothing detected'}`, mapping.length ? `Columns used: ${mapping.map(([role, column]) => `${role} ← ${column}`).join(', ')}` : 'No column mapping detected.')];
  const grpo = grpoChoice(ins);
  if (ins.trainable === false) {
    notes.push(grpo ? note('$(warning) Only GRPO can train on it as is', 'Its columns match no supervised format (SFT, DPO, ORPO, KTO); GRPO trains on its prompts.') : note('$(warning) NOT trainable as is', 'Its columns match no format a recipe knows; fix the file or go back and pick another.'));
  }
  // What GRPO would need to know (no reference: only form rewards; how code with tests is run…).
  if (grpo) for (const n of grpo.notes) notes.push(note(`$(info) GRPO: ${n}`));
  const problems = (ins.problems ?? []).filter(Boolean);
  for (const p of problems.slice(0, MAX_PROBLEM_ROWS)) notes.push(note(`$(warning) ${p}`));
  if (problems.length > MAX_PROBLEM_ROWS) notes.push(note(`$(warning) ${problems.length - MAX_PROBLEM_ROWS} more problem${problems.length - MAX_PROBLEM_ROWS > 1 ? 's' : ''}`, 'Fix the ones above in the file, then go back and pick it again to see the rest.'));
  return notes;
}

function machineNotes(a: WizardAnswers, ctx: StepContext): StepItem[] {
  const notes = [ctx.gpu ? note(`$(server) GPU: ${ctx.gpu}`) : note('$(server) GPU: not detected', 'The memory estimates assume batch 1; the recipe plans for the GPU the run finds.')];
  if (!ctx.estimates || !Object.keys(ctx.estimates).length) notes.push(note(`$(info) Memory for ${a.baseModel ?? 'this model'} unknown`, 'Its size is not in the model table, so no estimate per adapter.'));
  // torch is not in the recipe's requirements.txt: its build depends on the CUDA version, so the user installs it.
  if (ctx.missing?.includes('torch')) notes.push(note('$(warning) torch is not installed', 'Install the build for your CUDA version (pytorch.org): the recipe does not install it for you.'));
  const missing = (ctx.missing ?? []).filter((p) => p !== 'bitsandbytes' && p !== 'torch');
  if (missing.length) notes.push(note(`$(package) Not installed: ${missing.join(', ')}`, 'You will be asked to install them before the run.'));
  // Said here, before the adapter is picked: the run says it again before its batch script.
  if (ctx.fullNodes) notes.push(note(`$(warning) Full fine-tuning on Slurm: ${ctx.fullNodes.nodes} node${ctx.fullNodes.nodes === 1 ? '' : 's'} (setting mlIntern.slurm.nodes)`, ctx.fullNodes.note));
  return notes;
}
