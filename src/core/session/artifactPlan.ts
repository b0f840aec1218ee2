/**
 * What an Evaluate / Merge / Push / Try it / Export request becomes before anything runs: its title and folder, the
 * recipe and files (planArtifact), and the texts of its results (the comparison table of an
 * evaluation, the caveats of rows not measured the same way). ArtifactSession runs the plan.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { slugify } from '../runs/ids';
import { DEFAULT_WORK_FOLDER, inWorkFolder } from '../workFolder';
import { RecipeCommand, RecipeFile, RecipeSpec, renderRecipe, setConfig } from '../recipes';
import { fromScriptFolder } from '../recipes/scriptPaths';
import { recipeEnvironment } from './envAdapters';
import { SessionDeps } from './fineTuneSession';
import { ExportRequest, ExportRequestError, modelFolderFiles, planExport } from '../export/exportPlan';
import { planTryIt, TRANSCRIPT_FILE, TryItRequest } from '../export/tryItPlan';
import { lastTranscriptSession } from '../export/tryItStream';

export type ArtifactRequest =
  /** Score a trained model (adapter folder, model folder or Hub id) and its base on benchmarks. */
  | { kind: 'eval'; model: string; baseModel?: string; tasks: string[]; limit?: number }
  /** Merge a LoRA adapter into its base model (peft merge_and_unload) and save it to `output`. */
  | { kind: 'merge-adapter'; baseModel: string; adapter: string; output: string }
  /** A mergekit merge of several models (spec.method 'merge'). */
  | { kind: 'merge'; spec: RecipeSpec }
  /** Upload a workspace folder (adapter or model) to the Hub with a model card. */
  | { kind: 'push'; folder: string; repo: string; private: boolean }
  /** The same prompts to the base and the trained model, side by side (export/tryItPlan.ts). */
  | ({ kind: 'try-it' } & TryItRequest)
  /** Merged bf16, GGUF, the checked Ollama Modelfile, a vLLM smoke test (export/exportPlan.ts). */
  | ({ kind: 'export' } & ExportRequest);

/** What the session needs: the fine-tune session's ports (its LLM and inspection are not used). */
export type ArtifactDeps = Omit<SessionDeps, 'llm' | 'inspection'>;

export interface ArtifactPlan {
  /** Workspace folder the files go to and the commands run from. */
  folder: string;
  files: RecipeFile[];
  commands: RecipeCommand[];
  notes: string[];
  /** Workspace-relative file the eval recipe writes its table to. */
  comparisonFile?: string;
}

export interface EvalRow {
  task: string;
  base?: number;
  trained?: number;
}

export function describeArtifact(r: ArtifactRequest): { title: string; goal: string } {
  switch (r.kind) {
    case 'eval': {
      const title = `Evaluate ${r.model} on ${r.tasks.join(', ')}`;
      return { title, goal: `${title}${r.baseModel ? ` against ${r.baseModel}` : ''}${r.limit ? ` (${r.limit} samples per task)` : ''}.` };
    }
    case 'merge-adapter':
      return { title: `Merge ${r.adapter} into ${r.baseModel}`, goal: `Merge the LoRA adapter ${r.adapter} into ${r.baseModel} and save the model to ${r.output}.` };
    case 'merge': {
      const models = (r.spec.models ?? []).map((m) => m.model).join(', ');
      return { title: `Merge ${models} (${r.spec.mergeMethod})`, goal: `Merge ${models} with mergekit ${r.spec.mergeMethod}${r.spec.outputDir ? ` into ${r.spec.outputDir}` : ''}.` };
    }
    case 'push':
      return { title: `Push ${r.folder} to ${r.repo}`, goal: `Upload ${r.folder} to the Hugging Face Hub as ${r.repo} (${r.private ? 'private' : 'public'}).` };
    case 'try-it':
      return { title: `Try ${r.model}`, goal: `Send ${r.prompts.length} prompt${r.prompts.length === 1 ? '' : 's'} to ${r.model} and to its base${r.baseModel ? ` ${r.baseModel}` : ''}, side by side.` };
    case 'export': {
      const targets = ['merged bf16', ...(r.llamaCpp ? ['GGUF'] : []), ...(r.ollama ? ['Ollama'] : []), ...(r.vllm ? ['vLLM'] : [])];
      return { title: `Export ${r.model} as ${r.name}`, goal: `Export ${r.model} as ${r.name} (${targets.join(', ')}), with the chat template it was trained with.` };
    }
  }
}

/**
 * The workspace folder for a request's scripts inside the work folder (workFolder.ts: the checked
 * mlIntern.workFolder), e.g. "ml-intern/eval-run1", "ml-intern/merge-adapter", "ml-intern/push-qwen-medical".
 */
export function artifactFolder(r: ArtifactRequest, workFolder = DEFAULT_WORK_FOLDER): string {
  return inWorkFolder(workFolder, artifactName(r));
}

function artifactName(r: ArtifactRequest): string {
  const name = (s: string) => slugify(s.replace(/\/+$/, '').split('/').pop() ?? s, 40);
  switch (r.kind) {
    case 'eval':
      return `eval-${name(r.model)}`;
    case 'merge-adapter':
      return `merge-${name(r.adapter)}`;
    case 'merge':
      return `merge-${name(r.spec.models?.[0]?.model ?? r.spec.baseModel ?? 'models')}`;
    case 'push':
      return `push-${name(r.repo)}`;
    case 'try-it':
      return `try-${name(r.model)}`;
    case 'export':
      return `export-${name(r.name)}`;
  }
}

/** An error the user fixes by changing the request; shown as the run's failure message. */
export class ArtifactRequestError extends Error {}

/** Reads what the plan needs from the workspace (adapter configs, whether a path exists). */
export interface WorkspaceView {
  exists(p: string): Promise<boolean>;
  readIfExists(p: string): Promise<string | undefined>;
}

async function adapterBase(ws: WorkspaceView, folder: string): Promise<{ isAdapter: boolean; base?: string }> {
  const text = await ws.readIfExists(`${folder.replace(/\/+$/, '')}/adapter_config.json`).catch(() => undefined);
  if (text === undefined) return { isAdapter: false };
  try {
    const cfg = JSON.parse(text) as { base_model_name_or_path?: unknown };
    return { isAdapter: true, base: typeof cfg.base_model_name_or_path === 'string' ? cfg.base_model_name_or_path : undefined };
  } catch {
    return { isAdapter: true };
  }
}


/** Render the request's recipe into `folder` (artifactFolder with the work folder setting): files, commands and notes, paths rewritten for it. */
export async function planArtifact(r: ArtifactRequest, ws: WorkspaceView, deps: Pick<ArtifactDeps, 'environment'>, folder: string): Promise<ArtifactPlan> {
  const env = recipeEnvironment(deps.environment);
  switch (r.kind) {
    case 'eval': {
      const local = await ws.exists(r.model).catch(() => false);
      const info = local ? await adapterBase(ws, r.model) : { isAdapter: false };
      const baseModel = r.baseModel?.trim() || info.base;
      if (!baseModel) {
        throw new ArtifactRequestError(`No base model to compare ${r.model} with: ${local && info.isAdapter ? 'its adapter_config.json names none' : 'it is not an adapter folder'}. Run "ML Intern: Evaluate" again and type the base model.`);
      }
      const rendered = renderRecipe({ method: 'eval', baseModel, modelPath: local ? fromScriptFolder(r.model, folder) : r.model, adapter: info.isAdapter ? 'lora' : 'full', evalTasks: r.tasks }, { env });
      const limit = r.limit && r.limit > 0 ? Math.floor(r.limit) : undefined;
      const commands = rendered.commands.map((c) => (limit && c.argv[0] === 'lighteval' ? { ...c, argv: [...c.argv, '--max-samples', String(limit)], description: `${c.description} (${limit} samples per task)` } : c));
      const notes = [...rendered.notes];
      if (limit) notes.push(`Scores on ${limit} samples per task are a quick estimate, not the published benchmark numbers.`);
      return { folder, files: rendered.files, commands, notes, comparisonFile: `${folder}/results/comparison.json` };
    }
    case 'merge-adapter': {
      const info = await adapterBase(ws, r.adapter);
      if (!info.isAdapter) throw new ArtifactRequestError(`${r.adapter} has no adapter_config.json, so it is not a LoRA adapter folder. Pick the folder the training wrote the adapter to.`);
      const adapterDir = fromScriptFolder(r.adapter, folder);
      const mergedDir = fromScriptFolder(r.output, folder);
      const rendered = renderRecipe({ method: 'eval', baseModel: r.baseModel, modelPath: adapterDir, adapter: 'lora' }, { env });
      const file = rendered.files.find((f) => f.path === 'merge_adapter.py');
      if (!file) throw new Error('The eval recipe produced no merge_adapter.py.');
      const notes = [`Merging loads ${r.baseModel} in 16-bit: it needs about 2 bytes per parameter of RAM or GPU memory.`];
      if (info.base && info.base !== r.baseModel) notes.push(`The adapter config names ${info.base} as its base, not ${r.baseModel}: merging into another base gives a broken model.`);
      return {
        folder,
        files: [{ path: 'merge_adapter.py', content: setConfig(file.content, 'MERGED_DIR', mergedDir), description: `Merges the LoRA adapter ${r.adapter} into ${r.baseModel} (peft merge_and_unload) and saves it to ${r.output}` }],
        commands: [{ argv: ['python', 'merge_adapter.py'], description: `Merge ${r.adapter} into ${r.baseModel} and save the model to ${r.output}`, heavy: true }],
        notes,
      };
    }
    case 'merge': {
      const rendered = renderRecipe({ ...r.spec, method: 'merge' }, { env });
      return { folder, files: rendered.files, commands: rendered.commands, notes: rendered.notes };
    }
    case 'push': {
      if (!(await ws.exists(r.folder).catch(() => false))) throw new ArtifactRequestError(`${r.folder} does not exist in the workspace: train or merge first, or pick another folder.`);
      const info = await adapterBase(ws, r.folder);
      const rendered = renderRecipe(
        // The card names the folder as the user does in the workspace, however deep the script folder is.
        { method: 'push', hubRepo: r.repo, hubPrivate: r.private, modelPath: fromScriptFolder(r.folder, folder), modelFolder: r.folder, adapter: info.isAdapter ? 'lora' : 'full', ...(info.base ? { baseModel: info.base } : {}) },
        { env },
      );
      return { folder, files: rendered.files, commands: rendered.commands, notes: rendered.notes };
    }
    case 'try-it':
    case 'export': {
      if (!(await ws.exists(r.model).catch(() => false))) throw new ArtifactRequestError(`${r.model} does not exist in the workspace: pick the folder the training saved to.`);
      const seen = await modelFolderFiles(r.model, (p) => ws.readIfExists(p));
      try {
        const planned = r.kind === 'try-it' ? planTryIt(r, seen, fromScriptFolder(r.model, folder)) : planExport(r, seen, fromScriptFolder(r.model, folder));
        return { folder, files: planned.files, commands: planned.commands, notes: planned.notes };
      } catch (err) {
        if (err instanceof ExportRequestError) throw new ArtifactRequestError(err.message);
        throw err;
      }
    }
  }
}

/** What the session says when a request's steps all succeeded (an evaluation's table is read by the session). */
export function doneSummary(r: ArtifactRequest, plan: ArtifactPlan, runFolder: string): string {
  switch (r.kind) {
    case 'merge-adapter':
      return `Merged ${r.adapter} into ${r.baseModel}: the model is in \`${r.output}\`. Evaluate it or push it to the Hub next.`;
    case 'push':
      return `Pushed ${r.folder} to https://huggingface.co/${r.repo} (${r.private ? 'private' : 'public'}).`;
    case 'try-it':
      return `Both models answered: the answers are in \`${plan.folder}/${TRANSCRIPT_FILE}\`. Edit PROMPTS in \`${plan.folder}/try_it.py\` and run it again to try more.`;
    case 'export':
      return `Exported ${r.model} as ${r.name}: the files are in \`${plan.folder}\`.${r.ollama ? ` Run it with \`ollama run ${r.name}\`.` : ''}`;
    default:
      return `The merge finished; the scripts and logs are in \`${plan.folder}\` and \`${runFolder}\`.`;
  }
}

/** What to say when a command's program is not installed next to the interpreter. */
export function notInstalled(command: RecipeCommand, python: string): { category: string; summary: string; fix: string } {
  const program = command.argv[0];
  const pkg = program === 'mergekit-yaml' ? 'mergekit' : program === 'huggingface-cli' || program === 'hf' ? 'huggingface_hub' : program;
  return {
    category: 'module_not_found',
    summary: `\`${program}\` is not installed next to ${python} (pip install ${pkg}).`,
    fix: `Install it in that interpreter's environment (${python} -m pip install ${pkg}), or set mlIntern.pythonPath to the environment that has it.`,
  };
}

/** Rows of results/comparison.json ({task, base, trained}, nulls for missing scores). */
export function parseComparison(text: string): EvalRow[] {
  const raw = JSON.parse(text) as unknown;
  if (!Array.isArray(raw)) throw new Error('comparison.json is not a list of rows');
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  return raw
    .filter((r): r is Record<string, unknown> => !!r && typeof r === 'object' && typeof (r as { task?: unknown }).task === 'string')
    .map((r) => ({ task: r.task as string, ...(num(r.base) !== undefined ? { base: num(r.base) } : {}), ...(num(r.trained) !== undefined ? { trained: num(r.trained) } : {}) }));
}

/** The reasons compare_results.py gave for rows whose base and trained scores were not measured the same way. */
export function comparisonCaveats(text: string): string[] {
  const raw = JSON.parse(text) as unknown;
  if (!Array.isArray(raw)) return [];
  const notes = raw
    .filter((r): r is { task: string; note: string } => !!r && typeof r === 'object' && (r as { comparable?: unknown }).comparable === false && typeof (r as { note?: unknown }).note === 'string')
    .map((r) => `${r.task}: ${r.note}`);
  return [...new Set(notes)];
}

/** The base-vs-trained table of an evaluation, in Markdown. */
/** How an evaluation's end message begins: a reopened run's panel puts the table card back before it. */
export const EVAL_FINISHED = 'Evaluation finished:';

export function evalTable(rows: EvalRow[]): string {
  const f = (v?: number) => (v === undefined ? '–' : v.toFixed(4));
  const d = (r: EvalRow) => (r.base === undefined || r.trained === undefined ? '–' : `${r.trained - r.base >= 0 ? '+' : ''}${(r.trained - r.base).toFixed(4)}`);
  return ['| task | base | trained | Δ |', '|---|---:|---:|---:|', ...rows.map((r) => `| ${r.task} | ${f(r.base)} | ${f(r.trained)} | ${d(r)} |`)].join('\n');
}

/** `python` is the chosen interpreter; a console script (lighteval, mergekit-yaml…) is taken from its bin/ when it is there. */
export function resolveProgram(argv0: string, python: string): string {
  if (argv0 === 'python' || argv0 === 'python3') return python;
  if (python.includes('/') || python.includes('\\')) {
    const sibling = path.join(path.dirname(python), argv0);
    if (existsSync(sibling)) return sibling;
  }
  return argv0;
}

/** Try it: this run's answers kept in its run folder (try_it.py appends every run to one transcript in its script folder). */
export async function keepTryItAnswers(ws: Pick<WorkspaceView, 'readIfExists'>, plan: ArtifactPlan, write: (name: string, text: string) => Promise<unknown>): Promise<void> {
  const text = await ws.readIfExists(`${plan.folder}/${TRANSCRIPT_FILE}`).catch(() => undefined);
  if (text?.trim()) await write(TRY_IT_ANSWERS, `${lastTranscriptSession(text)}\n`);
}

export const TRY_IT_ANSWERS = 'answers.jsonl';
