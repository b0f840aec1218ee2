/**
 * write_recipe: the recipe engine as a tool. A spec (method, model, data,
 * adapter…) becomes version-correct scripts for the user's libraries and GPU,
 * each PROPOSED as a reviewable change (origin 'recipe'), and the answer says
 * what the user decided per file and which commands run the recipe.
 */
import { DatasetInspection, EnvReport, inspectData } from '../../python';
import { ADAPTERS, isLocalDataset, MERGE_METHODS, METHODS, RecipeSpec, RenderedRecipe, renderRecipe, SpecError, TRAINING_METHODS } from '../../recipes';
import { preflight } from '../../recovery';
import { scriptSidePaths } from '../../recipes/scriptPaths';
import { slugify } from '../../runs/ids';
import { recipeEnvironment, recipeInspection, recoveryEnvironment } from '../../session/envAdapters';
import { errorMessage } from '../text';
import { ToolContext, ToolDefinition } from '../types';
import { modelDims } from './modelShape';
import { hyperParameterLines, RECIPE_ALIASES } from './recipeParams';
import { GRPO_ALIASES, GRPO_PARAMETERS, GRPO_SPEC_FIELDS, resolveRewardArgs, rewardLines } from './grpoArgs';
import { RewardChoice } from '../../recipes/templates/rewards';
import { scopeChanges, scopeGate } from './scopeGuard';
import { cachedEnvReport, clip, existsInWorkspace, helperOptions, knownInspection, rememberInspection } from './shared';
import { inWorkFolder, WorkFolderError, workFolderOf } from '../../workFolder';

type WriteRecipeArgs = Omit<RecipeSpec, 'rewards'> & { rewards?: Array<RewardChoice | string>; rewardWeights?: number[]; folder?: string; userAgreedToScopeChange?: boolean };

/** Spec fields the tool passes through to the recipe engine (the schema refuses anything else). */
const SPEC_FIELDS = [
  'method', 'baseModel', 'dataset', 'datasetSplit', 'adapter', 'evalSplit', 'hubRepo', 'hubPrivate', 'columnMapping', 'datasetFormat', 'systemPrompt',
  'maxLength', 'maxPromptLength', 'outputDir', 'learningRate', 'epochs', 'perDeviceTrainBatchSize', 'gradientAccumulationSteps', 'gradientCheckpointing',
  'loraR', 'loraAlpha', 'loraDropout', 'targetModules', 'beta', 'seed', 'bf16', 'fp16', 'attnImplementation', 'modelPath', 'evalTasks', 'mergeMethod', 'models', 't',
  'warmupRatio', 'lrSchedulerType', 'loggingSteps', 'evalSteps', 'saveSteps', 'saveTotalLimit', ...GRPO_SPEC_FIELDS,
] as const;

export function defaultRecipeFolder(spec: RecipeSpec): string {
  const model = spec.baseModel ?? spec.hubRepo ?? spec.models?.[0]?.model ?? spec.modelPath ?? 'model';
  const name = model.replace(/\/+$/, '').split('/').pop() ?? model;
  return `${spec.method}-${slugify(name, 40)}`;
}

interface FileOutcome {
  path: string;
  decision: 'accepted' | 'rejected' | 'unchanged';
  auto?: boolean;
  edited?: boolean;
  reason?: string;
  line: string;
}

async function environmentFor(ctx: ToolContext, notes: string[]): Promise<EnvReport | undefined> {
  try {
    return await cachedEnvReport(ctx);
  } catch (err) {
    notes.push(`No environment report (${errorMessage(err)}): precision, attention and batch are defaults, not fitted to the GPU.`);
    return undefined;
  }
}

async function inspectionFor(ctx: ToolContext, spec: RecipeSpec, notes: string[]): Promise<DatasetInspection | undefined> {
  if (!spec.dataset || !(TRAINING_METHODS as string[]).includes(spec.method)) return undefined;
  const known = knownInspection(ctx, spec.dataset);
  if (known) return known;
  try {
    if (!(await existsInWorkspace(ctx, spec.dataset))) {
      if (isLocalDataset(spec.dataset)) notes.push(`${spec.dataset} is not in the workspace: check the path (list_files).`);
      else notes.push(`${spec.dataset} was not inspected (a Hub dataset): the column mapping is as given; call inspect_data first when unsure.`);
      return undefined;
    }
    const r = await inspectData(ctx.python, ctx.files.resolve(spec.dataset), helperOptions(ctx, 5 * 60_000));
    const inspection = { ...r, path: spec.dataset };
    rememberInspection(ctx, spec.dataset, inspection);
    return inspection;
  } catch (err) {
    notes.push(`The data set could not be inspected (${errorMessage(err)}): the column mapping is as given.`);
    return undefined;
  }
}

async function proposeFile(ctx: ToolContext, path: string, content: string, description: string): Promise<FileOutcome> {
  const original = (await ctx.files.readIfExists(path)) ?? null;
  if (original === content) return { path, decision: 'unchanged', line: `- ${path}: unchanged (already exactly this content)` };
  const d = await ctx.proposeChange({ path, original, proposed: content, description, origin: 'recipe' });
  if (d.kind === 'rejected') {
    return { path, decision: 'rejected', reason: d.reason, line: `- ${path}: REJECTED by the user${d.reason ? `: ${d.reason}` : ' (no reason given)'}; the file is unchanged` };
  }
  const how = d.auto ? 'auto-approved by the mlIntern.autoApprove policy' : 'accepted by the user';
  const lines = d.text.split('\n').length;
  const edited = d.userPatch !== '';
  const line = edited
    ? `- ${path}: ${how} WITH THE USER'S OWN EDITS (${lines} lines; the file on disk is the source of truth):\n${clip(d.userPatch, 3000)}`
    : `- ${path}: ${how} as proposed (${lines} lines)`;
  return { path, decision: 'accepted', auto: d.auto, edited, line };
}

function commandLines(rendered: RenderedRecipe, folder: string): string[] {
  return rendered.commands.map((c, i) => `${i + 1}. ${c.argv.map((a) => (/^[\w@%+=:,./|-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')} — ${c.description}`).concat(
    rendered.commands.length ? [`Run them in order with the run tool, cwd "${folder}" (each needs the user's approval; "python" means the user's interpreter).`] : [],
  );
}

export const writeRecipeTool: ToolDefinition<WriteRecipeArgs> = {
  name: 'write_recipe',
  description:
    'Generate scripts from the recipe engine and PROPOSE them to the user for review (each file is shown as a diff; the user accepts, edits or rejects it). ' +
    'Methods: sft/dpo/orpo/kto write train.py (trl + peft, LoRA/QLoRA/full, versions matched to the installed libraries, batch fitted to the GPU) and requirements.txt; ' +
    'grpo writes train.py for trl GRPOTrainer beside rewards.py (reward functions chosen by `rewards`; columnMapping {"prompt": <question column>, "answer": <reference column>}); ' +
    'eval writes a LightEval base-vs-trained comparison (merge_adapter.py, compare_results.py -> results/comparison.json); merge writes a mergekit config.yaml ' +
    '(slerp/ties/dare_ties/linear/task_arithmetic over `models`); push writes push_to_hub.py and a model card. Files go to `folder` (default "<method>-<model>" inside the work folder, "ml-intern/" unless the user set mlIntern.workFolder). ' +
    'Uses the environment report and the data inspection automatically. Returns the decision per file, the commands that run the recipe (ask with the run tool) and notes. ' +
    'Prefer it over writing training scripts by hand.',
  parameters: {
    type: 'object',
    properties: {
      method: { type: 'string', enum: METHODS, description: 'sft, dpo, orpo, kto, grpo (training), eval, merge or push.' },
      baseModel: { type: 'string', description: 'Hub id or workspace folder of the base model (required for training and eval).' },
      dataset: { type: 'string', description: 'Training data: workspace path or Hub dataset id (required for training).' },
      datasetSplit: { type: 'string', description: 'Split to train on (default "train").' },
      adapter: { type: 'string', enum: ADAPTERS, description: 'lora (default), qlora or full.' },
      evalSplit: { type: 'number', description: 'Fraction held out for validation, 0 to 0.5 (default 0.05 for training).' },
      columnMapping: { type: 'object', description: 'trl role -> column, e.g. {"user": "patient_query", "assistant": "doctor_response"} (from inspect_data).' },
      datasetFormat: { type: 'string', description: 'Format from inspect_data (messages, alpaca, custom_qa, preference_explicit…).' },
      systemPrompt: { type: 'string', description: 'Optional system message added to every example.' },
      maxLength: { type: 'integer', description: 'Max tokens per example.' },
      maxPromptLength: { type: 'integer', description: 'Preference methods: max prompt tokens.' },
      learningRate: { type: 'number', description: 'Default depends on method and adapter (e.g. 2e-4 for SFT LoRA).' },
      epochs: { type: 'number', description: 'Default 3 for SFT, 1 for preference methods.' },
      perDeviceTrainBatchSize: { type: 'integer', description: 'Micro-batch (default: planned for the GPU).' },
      gradientAccumulationSteps: { type: 'integer', description: 'Gradient accumulation (default: planned for the GPU).' },
      gradientCheckpointing: { type: 'boolean', description: 'Default: planned for the GPU.' },
      loraR: { type: 'integer', description: 'LoRA rank (default 16).' },
      loraAlpha: { type: 'integer', description: 'LoRA alpha (default 32).' },
      loraDropout: { type: 'number', description: 'LoRA dropout (default 0.05).' },
      targetModules: { type: ['array', 'string'], items: { type: 'string' }, description: 'LoRA target modules (default "all-linear": every linear layer).' },
      beta: { type: 'number', description: 'DPO/ORPO/KTO beta (default 0.1); grpo: KL weight (default 0 = no reference model).' },
      ...GRPO_PARAMETERS,
      seed: { type: 'integer', description: 'Seed (default 42).' },
      bf16: { type: 'boolean', description: 'Default: from the GPU.' },
      fp16: { type: 'boolean', description: 'Default: from the GPU.' },
      attnImplementation: { type: 'string', description: '"sdpa", "flash_attention_2" or "eager" (default from the GPU and libraries).' },
      outputDir: { type: 'string', description: 'Where the trained model / merged model goes, relative to the folder.' },
      hubRepo: { type: 'string', description: 'owner/name to push to (required for push; optional for training and merge).' },
      hubPrivate: { type: 'boolean', description: 'Push as a private repo (default true).' },
      modelPath: { type: 'string', description: 'eval/push: the trained adapter or model folder, relative to the recipe folder (e.g. "../sft-qwen/outputs/run").' },
      evalTasks: { type: 'array', items: { type: 'string' }, description: 'eval: LightEval tasks (default ["mmlu", "gsm8k"]).' },
      mergeMethod: { type: 'string', enum: MERGE_METHODS, description: 'merge: the mergekit method.' },
      models: {
        type: 'array',
        items: { type: 'object', properties: { model: { type: 'string' }, weight: { type: 'number' }, density: { type: 'number' } }, required: ['model'], additionalProperties: false },
        description: 'merge: the models to merge with their weight (and density for ties/dare_ties).',
      },
      t: { type: 'number', description: 'merge (slerp): 0 = first model, 1 = second.' },
      warmupRatio: { type: 'number', description: 'Fraction of steps warming the learning rate up (default 0.03).' },
      lrSchedulerType: { type: 'string', description: 'Learning-rate schedule (default "cosine").' },
      loggingSteps: { type: 'integer', description: 'Log every N steps (default: scaled to the run length).' },
      evalSteps: { type: 'integer', description: 'Evaluate every N steps (default: scaled to the run length).' },
      saveSteps: { type: 'integer', description: 'Save a checkpoint every N steps (default: scaled to the run length).' },
      saveTotalLimit: { type: 'integer', description: 'Checkpoints kept on disk (default 2).' },
      folder: { type: 'string', description: 'Workspace folder for the files (default "<work folder>/<method>-<model>", e.g. "ml-intern/sft-qwen2-5-0-5b-instruct"). An existing file there is proposed as a diff.' },
      userAgreedToScopeChange: { type: 'boolean', description: "Only after this tool asked the user about a change of their plan (adapter, model, dataset, shorter maxLength) and they agreed." },
    },
    required: ['method'],
  },
  aliases: { ...RECIPE_ALIASES, ...GRPO_ALIASES },
  approval: 'write',
  async handler(args, ctx) {
    const spec = {} as Record<string, unknown>;
    for (const k of SPEC_FIELDS) if (args[k] !== undefined) spec[k] = args[k];
    const rewards = resolveRewardArgs(args.rewards, args.rewardWeights);
    if ('problem' in rewards) return { ok: false, output: `${rewards.problem}. Nothing was written.`, data: { problems: [rewards.problem] } };
    if (rewards.rewards) spec.rewards = rewards.rewards;
    const raw = spec as unknown as RecipeSpec;
    let folder: string;
    try {
      // The default goes where the Fine-tune and Evaluate commands write theirs (mlIntern.workFolder); a folder the model names is its own choice.
      folder = (args.folder ?? '').replace(/^\.\/+/, '').replace(/\/+$/, '') || inWorkFolder(workFolderOf(ctx.settings), defaultRecipeFolder(raw));
      ctx.files.resolve(folder);
    } catch (err) {
      if (err instanceof WorkFolderError) return { ok: false, output: `${err.message} Ask the user to fix the setting, or give \`folder\`.` };
      return { ok: false, output: `${errorMessage(err)} Choose a folder inside the workspace.` };
    }
    const notes: string[] = [];
    const env = await environmentFor(ctx, notes);
    const inspection = await inspectionFor(ctx, raw, notes);
    let rendered: RenderedRecipe;
    try {
      const dims = raw.baseModel ? await modelDims(ctx, raw.baseModel).catch(() => undefined) : undefined;
      // The commands run with cwd = the folder: the data and a local base model are written as seen from there.
      const scriptSide = await scriptSidePaths(raw, folder, (p) => ctx.files.exists(p));
      rendered = renderRecipe(scriptSide, { env: recipeEnvironment(env), inspection: recipeInspection(inspection), ...(dims ? { dims } : {}) });
    } catch (err) {
      if (err instanceof SpecError) {
        return { ok: false, output: `${err.message}\nNothing was written. Fix these fields and call write_recipe again${inspection ? '' : ' (inspect_data shows the columns)'}.`, data: { problems: err.problems } };
      }
      return { ok: false, output: `The recipe could not be rendered: ${errorMessage(err)}. Nothing was written.` };
    }
    const train = rendered.files.find((f) => f.path === 'train.py');
    const existing = train ? await ctx.files.readIfExists(`${folder}/train.py`) : undefined;
    const changes = train && existing !== undefined ? scopeChanges(existing, train.content) : [];
    const refused = changes.length ? scopeGate(ctx, folder, changes, args.userAgreedToScopeChange === true) : undefined;
    if (refused) return refused;
    const recoveryEnv = recoveryEnvironment(env);
    const outcomes: FileOutcome[] = [];
    for (const file of rendered.files) {
      if (ctx.signal.aborted) break;
      let content = file.content;
      let description = file.description;
      if (file.path === 'train.py' && recoveryEnv) {
        const pre = preflight(content, recoveryEnv);
        if (pre.fixes.length) {
          content = pre.script;
          description += ` — adjusted for this machine: ${pre.fixes.map((f) => f.description).join('; ')}`;
        }
      }
      try {
        outcomes.push(await proposeFile(ctx, `${folder}/${file.path}`, content, description));
      } catch (err) {
        outcomes.push({ path: `${folder}/${file.path}`, decision: 'rejected', reason: errorMessage(err), line: `- ${folder}/${file.path}: could not be proposed: ${errorMessage(err)}` });
      }
    }
    const rejected = outcomes.filter((o) => o.decision === 'rejected');
    const s = rendered.spec;
    // Named as the user knows them (workspace paths), not as the script in the folder sees them.
    const what = `${s.method.toUpperCase()} recipe${raw.baseModel ? ` for ${raw.baseModel}` : ''}${raw.dataset ? ` on ${raw.dataset}` : ''}${(TRAINING_METHODS as string[]).includes(s.method) ? ` (${s.adapter})` : ''}`;
    const lines = [`${what} -> folder ${folder}/ (${rendered.files.length} file${rendered.files.length === 1 ? '' : 's'}):`, ...outcomes.map((o) => o.line)];
    if (rendered.commands.length) lines.push('Commands:', ...commandLines(rendered, folder));
    const proposedTrain = train ? outcomes.find((o) => o.path === `${folder}/train.py`) : undefined;
    if (train && proposedTrain?.decision !== 'rejected') lines.push(...hyperParameterLines(await ctx.files.readIfExists(`${folder}/train.py`) ?? train.content, raw));
    if (s.method === 'grpo') {
      // The rewards as the file on disk holds them: the user may have edited them in the review.
      const written = outcomes.find((o) => o.path === `${folder}/rewards.py`);
      lines.push(...rewardLines(written?.decision === 'rejected' ? undefined : await ctx.files.readIfExists(`${folder}/rewards.py`)));
    }
    const allNotes = [...notes, ...rendered.notes];
    if (allNotes.length) lines.push('Notes:', ...allNotes.map((n) => `- ${n}`));
    if (rejected.length) lines.push(`${rejected.length} file${rejected.length === 1 ? ' was' : 's were'} not written. Adjust the spec to the user's reason and call write_recipe again, or ask the user.`);
    const { env: _env, inspection: _insp, ...specShown } = s;
    void _env;
    void _insp;
    return {
      ok: rejected.length === 0,
      output: lines.join('\n'),
      data: {
        folder,
        files: outcomes.map(({ line: _line, ...o }) => o),
        commands: rendered.commands.map((c) => ({ ...c, cwd: folder })),
        notes: allNotes,
        spec: specShown,
      },
    };
  },
};
