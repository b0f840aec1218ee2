/**
 * Hostile strings never become code (issue 24): quotes of every kind, triple quotes, backslashes,
 * line breaks, braces, NUL, non-BMP characters, `${`, backticks and planted calls go into every
 * string field of every recipe kind. Each generated Python file must parse with the real Python,
 * hold no planted call as a Call node and keep the value as data (the CONFIG constant or the
 * docstring reads back exactly); each YAML file and the model card's front matter must stay in the
 * safe subset with exactly the expected keys; each command line printed for pasting must split back
 * into its argv. The templates are checked below the spec's validation (every value reaches them),
 * and the whole renderRecipe path is checked with validation on (a value is refused naming its field,
 * or rendered safely).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { MergeMethod, RecipeSpec, renderRecipe, resolveSpec, ResolvedSpec, Role, SpecError, TargetVersions, TrainingMethod } from '../../../src/core/recipes';
import { renderTrainScript } from '../../../src/core/recipes/templates/train';
import { renderGrpoScript } from '../../../src/core/recipes/templates/grpo';
import { renderEval } from '../../../src/core/recipes/templates/evaluate';
import { mergeYaml, renderMerge } from '../../../src/core/recipes/templates/merge';
import { modelCard, renderPush } from '../../../src/core/recipes/templates/push';
import { shellLine } from '../../../src/core/recipes/templates/escape';
import { fsdpAccelerateConfig } from '../../../src/core/exec/launchers';

const CHECKER = join(__dirname, '..', '..', 'fixtures', 'check_generated.py');

/** Pieces that end a string, a docstring, a comment, a YAML scalar, a Markdown span or a shell word. */
const PIECES = [
  '"', "'", '"""', "'''", '\\', '\\N{', '\\x', '\n', '\r', '\r\n', '{', '}', '{{LAYERS}}', '}}', '\0', '\u{1F600}', '\ud800', '${x}', '`', '```',
  '#', '---', ': ', '- ', '|', '<script>', '\u2028', '\x85', '\u202e', '\t', ' ', ',', 'x',
  '__import__("os").system("touch PWNED")', '"); PWNED_MARKER(); ("', '"""; PWNED_MARKER(); """', "'''; PWNED_MARKER(); '''",
  '\nPWNED_MARKER()\n', '\nevil_key: 1\n', '\n---\nevil: 1\n', '$(touch PWNED)', "'; touch PWNED; '",
];
const hostile = fc.array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 3 }), fc.string({ unit: 'binary', maxLength: 2 })), { minLength: 1, maxLength: 7 })
  .map((parts) => parts.join(''))
  .filter((s) => s.trim().length > 0);

interface Case {
  path: string;
  kind: 'py' | 'yaml' | 'frontmatter' | 'argv' | 'requirements';
  constants?: Record<string, unknown>;
  docstrings?: string[];
  topKeys?: string[];
  allowedKeys?: string[];
  values?: Record<string, unknown>;
  modelIds?: Record<string, string[]>;
  line?: string;
  argv?: string[];
}

interface Generated {
  files: { name: string; content: string; cases: Omit<Case, 'path'>[] }[];
  argvs: string[][];
}

/**
 * Writes the files of every sample, runs the checker once over all of them (one Python process:
 * seconds, not minutes), and fails naming the first sample with a problem and the seed to replay it.
 */
function checkAll<T>(samples: T[], generated: Generated[], seed: number): void {
  const dir = mkdtempSync(join(tmpdir(), 'ml-intern-hostile-'));
  try {
    const cases: Case[] = [];
    generated.forEach((g, run) => {
      g.files.forEach((f, i) => {
        const path = join(dir, `run${run}-${i}-${f.name}`);
        writeFileSync(path, f.content);
        for (const c of f.cases) cases.push({ path, ...c });
      });
      for (const argv of g.argvs) cases.push({ path: `run${run}-argv`, kind: 'argv', line: shellLine(argv), argv });
    });
    const r = spawnSync('python3', [CHECKER], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    assert.equal(r.status, 0, r.stderr);
    const problems = JSON.parse(r.stdout) as string[];
    const run = Number(/run(\d+)-/.exec(problems[0] ?? '')?.[1] ?? -1);
    assert.deepEqual(problems, [], `seed ${seed}; the first failing sample:\n${JSON.stringify(samples[run], null, 1)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** fast-check samples (a fresh seed each run, printed on failure). */
function samplesOf<T>(arbitrary: fc.Arbitrary<T>, numRuns: number): { seed: number; samples: T[] } {
  const seed = Date.now() % 2 ** 31;
  return { seed, samples: fc.sample(arbitrary, { numRuns, seed }) };
}

const headings = (md: string): number => md.split('\n').filter((l) => /^#{1,6} /.test(l)).length;

interface TrainCase {
  method: Exclude<TrainingMethod, 'grpo'>;
  adapter: 'lora' | 'qlora' | 'full';
  roles: Role[];
  /** Roles whose column the row function's docstring names. */
  docRoles: Role[];
}

const TRAIN_CASES: TrainCase[] = [
  { method: 'sft', adapter: 'lora', roles: ['messages'], docRoles: ['messages'] },
  { method: 'sft', adapter: 'qlora', roles: ['user', 'assistant', 'system', 'input'], docRoles: ['user', 'assistant', 'system', 'input'] },
  { method: 'sft', adapter: 'full', roles: ['prompt', 'completion'], docRoles: ['prompt', 'completion'] },
  { method: 'sft', adapter: 'lora', roles: ['text'], docRoles: ['text'] },
  { method: 'dpo', adapter: 'lora', roles: ['prompt', 'chosen', 'rejected', 'system'], docRoles: ['prompt', 'chosen', 'rejected'] },
  { method: 'dpo', adapter: 'full', roles: ['chosen', 'rejected'], docRoles: ['chosen', 'rejected'] },
  { method: 'orpo', adapter: 'qlora', roles: ['prompt', 'chosen', 'rejected'], docRoles: ['prompt', 'chosen', 'rejected'] },
  { method: 'kto', adapter: 'lora', roles: ['prompt', 'completion', 'label'], docRoles: ['prompt', 'completion', 'label'] },
  { method: 'kto', adapter: 'full', roles: ['messages', 'label'], docRoles: ['messages', 'label'] },
];

/** Current libraries and old ones (other imports, explicit LoRA targets, the chat-template wrapper for preference data). */
const TARGETS: Omit<TargetVersions, 'guessed'>[] = [
  { trl: '1.0.0', transformers: '4.56.2', peft: '0.17.0' },
  { trl: '0.11.0', transformers: '4.45.0', peft: '0.7.0' },
];

const MERGE_METHODS: MergeMethod[] = ['slerp', 'ties', 'dare_ties', 'linear', 'task_arithmetic'];

/** A benign spec resolved with validation, then the hostile values put in below it. */
function resolved(raw: RecipeSpec, hostileFields: Partial<ResolvedSpec>): ResolvedSpec {
  return { ...resolveSpec(raw), ...hostileFields };
}

const fields = fc.record({
  baseModel: hostile, dataset: hostile, datasetSplit: hostile, hubRepo: hostile, systemPrompt: hostile, outputDir: hostile, modelPath: hostile,
  targetModule: hostile, lrSchedulerType: hostile, attnImplementation: hostile, jsonField: hostile, version: hostile, task: hostile,
  columns: fc.array(hostile, { minLength: 11, maxLength: 11 }), models: fc.array(hostile, { minLength: 2, maxLength: 2 }), localData: fc.boolean(),
});

/** Every recipe kind rendered straight from its templates with the hostile values, with what each file must read back. */
function templatesWith(h: HostileFields): Generated {
  const files: Generated['files'] = [];
  const argvs: string[][] = [];
  const dataset = h.localData ? `data/${h.dataset}.json` : h.dataset;
  TRAIN_CASES.forEach((c, ci) => {
    const mapping = Object.fromEntries(c.roles.map((r, i) => [r, h.columns[i]])) as Partial<Record<Role, string>>;
    const benign = Object.fromEntries(c.roles.map((r) => [r, r]));
    const targetModules = ci % 2 ? h.targetModule : [h.targetModule, 'q_proj'];
    const spec = resolved(
      { method: c.method, adapter: c.adapter, baseModel: 'org/base', dataset: 'org/data', columnMapping: benign, inspection: { rows: 1000 } },
      {
        baseModel: h.baseModel, dataset, datasetSplit: h.datasetSplit, hubRepo: h.hubRepo, systemPrompt: h.systemPrompt, outputDir: h.outputDir,
        targetModules, lrSchedulerType: h.lrSchedulerType, attnImplementation: h.attnImplementation, columnMapping: mapping,
        inspection: { rows: 1000, jsonField: h.jsonField },
      },
    );
    for (const base of TARGETS) {
      const t: TargetVersions = { trl: `${base.trl}${h.version}`, transformers: `${base.transformers}${h.version}`, peft: `${base.peft}${h.version}`, guessed: { trl: false, transformers: false, peft: false } };
      const script = renderTrainScript(spec, c.method, t);
      const constants: Record<string, unknown> = {
        MODEL_ID: h.baseModel, DATASET: dataset, DATASET_SPLIT: h.datasetSplit, OUTPUT_DIR: h.outputDir, HUB_MODEL_ID: h.hubRepo,
        SYSTEM_PROMPT: h.systemPrompt, LR_SCHEDULER_TYPE: h.lrSchedulerType, ATTN_IMPLEMENTATION: h.attnImplementation,
      };
      if (c.adapter !== 'full') constants.LORA_TARGET_MODULES = targetModules;
      files.push({
        name: 'train.py',
        content: script.content,
        cases: [{ kind: 'py', constants, docstrings: [h.baseModel, dataset, t.trl, t.transformers, t.peft, ...c.docRoles.map((r) => mapping[r]!)] }],
      });
      files.push({ name: 'requirements.txt', content: script.requirements.join('\n') + '\n', cases: [{ kind: 'requirements' }] });
    }
    const card = modelCard(spec);
    files.push({ name: 'README.md', content: card, cases: [{ kind: 'frontmatter', allowedKeys: ['base_model', 'library_name', 'datasets', 'tags'], values: { base_model: h.baseModel } }] });
    assert.equal(headings(card), 6, `the model card's headings stay "# name", Training, How to run it (transformers, vLLM, Ollama):\n${card}`);
  });

  // GRPO: train.py and rewards.py, the prompt and answer columns hostile too.
  for (const adapter of ['lora', 'qlora', 'full'] as const) {
    const targetModules = adapter === 'qlora' ? [h.targetModule, 'q_proj'] : h.targetModule;
    const spec = resolved(
      { method: 'grpo', adapter, baseModel: 'org/base', dataset: 'org/data', columnMapping: { prompt: 'prompt', answer: 'answer' }, inspection: { rows: 1000 } },
      {
        baseModel: h.baseModel, dataset, datasetSplit: h.datasetSplit, systemPrompt: h.systemPrompt, outputDir: h.outputDir, targetModules,
        lrSchedulerType: h.lrSchedulerType, attnImplementation: h.attnImplementation, columnMapping: { prompt: h.columns[0], answer: h.columns[1] },
        inspection: { rows: 1000, jsonField: h.jsonField },
      },
    );
    const t: TargetVersions = { trl: `1.0.0${h.version}`, transformers: `4.56.2${h.version}`, peft: `0.17.0${h.version}`, guessed: { trl: false, transformers: false, peft: false } };
    const g = renderGrpoScript(spec, t);
    const constants: Record<string, unknown> = {
      MODEL_ID: h.baseModel, DATASET: dataset, DATASET_SPLIT: h.datasetSplit, OUTPUT_DIR: h.outputDir, SYSTEM_PROMPT: h.systemPrompt,
      LR_SCHEDULER_TYPE: h.lrSchedulerType, ATTN_IMPLEMENTATION: h.attnImplementation, PROMPT_COLUMN: h.columns[0], ANSWER_COLUMN: h.columns[1],
    };
    if (adapter !== 'full') constants.LORA_TARGET_MODULES = targetModules;
    files.push({ name: 'train.py', content: g.files[0].content, cases: [{ kind: 'py', constants, docstrings: [h.baseModel, dataset, h.columns[1], t.trl, t.transformers] }] });
    files.push({ name: 'rewards.py', content: g.files[1].content, cases: [{ kind: 'py', constants: { ANSWER_COLUMN: h.columns[1] } }] });
    files.push({ name: 'requirements.txt', content: g.requirements.join('\n') + '\n', cases: [{ kind: 'requirements' }] });
  }

  for (const adapter of ['lora', 'full'] as const) {
    const spec = resolved({ method: 'eval', adapter, baseModel: 'org/base' }, { baseModel: h.baseModel, modelPath: h.modelPath, outputDir: h.outputDir, evalTasks: [h.task, 'gsm8k'] });
    const r = renderEval(spec);
    for (const f of r.files) files.push({ name: f.path, content: f.content, cases: [{ kind: 'py' }] });
    argvs.push(...r.commands.map((c) => c.argv));

    const push = renderPush(resolved(
      { method: 'push', adapter, baseModel: 'org/base', hubRepo: 'me/model' },
      { baseModel: h.baseModel, hubRepo: h.hubRepo, modelPath: h.modelPath, modelFolder: h.outputDir, dataset, evalResults: [{ task: h.task, base: 0.5, trained: null }] },
    ));
    const script = push.files.find((f) => f.path === 'push_to_hub.py')!.content;
    const card = push.files.find((f) => f.path === 'README.md')!.content;
    files.push({ name: 'push_to_hub.py', content: script, cases: [{ kind: 'py', constants: { MODEL_DIR: h.modelPath, HUB_MODEL_ID: h.hubRepo }, docstrings: [h.modelPath, h.hubRepo] }] });
    files.push({ name: 'README.md', content: card, cases: [{ kind: 'frontmatter', allowedKeys: ['base_model', 'library_name', 'datasets', 'tags'], values: { base_model: h.baseModel } }] });
    assert.equal(headings(card), 7, `a hostile task name adds no heading to the card:\n${card}`);
    argvs.push(...push.commands.map((c) => c.argv));
  }

  for (const mm of MERGE_METHODS) {
    const benignModels = mm === 'slerp' ? [{ model: 'org/base' }, { model: 'org/b' }] : [{ model: 'org/a', weight: 0.5, density: 0.5 }, { model: 'org/b', weight: 0.5, density: 0.5 }];
    const base = mm === 'slerp' ? h.models[0] : h.baseModel;
    const models = benignModels.map((m, i) => ({ ...m, model: h.models[i] }));
    const spec = resolved(
      { method: 'merge', mergeMethod: mm, baseModel: mm === 'linear' ? undefined : 'org/base', models: benignModels, ...(mm === 'slerp' ? { t: 0.5 } : {}) },
      { ...(mm === 'linear' ? {} : { baseModel: base }), models, outputDir: h.outputDir, hubRepo: 'me/merged', mergeLayers: 24 },
    );
    const withBase = mm !== 'linear' && mm !== 'slerp' && !models.some((m) => m.model === base);
    // The keys the same merge has with plain model ids: a hostile one may not add any.
    const benign = mergeYaml(resolveSpec({ method: 'merge', mergeMethod: mm, baseModel: mm === 'linear' ? undefined : 'org/base', models: benignModels, ...(mm === 'slerp' ? { t: 0.5 } : {}), mergeLayers: 24 }));
    const topKeys = benign.split('\n').flatMap((l) => /^([a-z_][a-z0-9_]*):/.exec(l)?.[1] ?? []);
    files.push({
      name: 'config.yaml',
      content: mergeYaml(spec),
      cases: [{
        kind: 'yaml', topKeys, values: { merge_method: mm, ...(mm === 'linear' ? {} : { base_model: base }) },
        ...(mm === 'slerp' ? {} : { modelIds: { models: [...(withBase ? [base] : []), ...models.map((m) => m.model)] } }),
      }],
    });
    argvs.push(...renderMerge(spec).commands.map((c) => c.argv));
  }

  return { files, argvs };
}

type HostileFields = typeof fields extends fc.Arbitrary<infer T> ? T : never;

test('templates: every hostile string in every field of every recipe stays data (Python AST, YAML, front matter, shell)', () => {
  const { seed, samples } = samplesOf(fields, 50);
  checkAll(samples, samples.map(templatesWith), seed);
});

/** What each kind of recipe looks like with its string fields set by the user (validation on). */
function userSpecs(h: { a: string; b: string; c: string; d: string }): RecipeSpec[] {
  return [
    { method: 'sft', baseModel: h.a, dataset: h.b, systemPrompt: h.c, outputDir: h.d, columnMapping: { user: h.c, assistant: h.d } },
    { method: 'dpo', adapter: 'qlora', baseModel: 'org/m', dataset: h.a, datasetSplit: h.b, columnMapping: { prompt: h.b, chosen: h.c, rejected: h.d }, lrSchedulerType: h.a },
    { method: 'kto', adapter: 'full', baseModel: 'org/m', dataset: 'd.jsonl', columnMapping: { messages: h.a, label: h.b }, targetModules: [h.c], attnImplementation: h.d },
    { method: 'eval', baseModel: h.a, modelPath: h.b, evalTasks: [h.c] },
    { method: 'merge', mergeMethod: 'ties', baseModel: h.a, models: [{ model: h.b, weight: 1, density: 0.5 }, { model: h.c, weight: 1, density: 0.5 }], outputDir: h.d },
    { method: 'push', baseModel: h.a, hubRepo: 'me/model', modelPath: h.b, dataset: h.c },
  ];
}

/** The recipes renderRecipe writes for the hostile user values, or the SpecError's problems checked here. */
function recipesWith(h: { a: string; b: string; c: string; d: string }): Generated {
  const files: Generated['files'] = [];
  const argvs: string[][] = [];
  for (const spec of userSpecs(h)) {
    const hostileFields = Object.entries(spec).filter(([, v]) => JSON.stringify(v).includes(JSON.stringify(h.a).slice(1, -1)) || [h.b, h.c, h.d].some((x) => JSON.stringify(v).includes(JSON.stringify(x).slice(1, -1)))).map(([k]) => k);
    let rendered;
    try {
      rendered = renderRecipe(spec);
    } catch (err) {
      assert.ok(err instanceof SpecError, `only a SpecError may stop a hostile spec, got ${String(err)}`);
      for (const p of err.problems) assert.ok(hostileFields.some((f) => p.startsWith(f)) || /^models/.test(p), `"${p}" names one of the fields ${hostileFields.join(', ')}`);
      continue;
    }
    for (const f of rendered.files) {
      const kind = f.path.endsWith('.py') ? 'py' : f.path.endsWith('.yaml') ? 'yaml' : f.path === 'README.md' ? 'frontmatter' : 'requirements';
      files.push({ name: f.path, content: f.content, cases: [{ kind }] });
    }
    argvs.push(...rendered.commands.map((c) => c.argv));
  }
  return { files, argvs };
}

test('renderRecipe: a hostile string is refused naming its field, or rendered as data', () => {
  const { seed, samples } = samplesOf(fc.record({ a: hostile, b: hostile, c: hostile, d: hostile }), 50);
  checkAll(samples, samples.map(recipesWith), seed);
});

test('the FSDP accelerate config quotes a layer class name: a line break in it adds no key', () => {
  const yaml = fsdpAccelerateConfig({ numProcesses: 2, transformerLayerCls: 'LlamaDecoderLayer\nuse_cpu: true' });
  assert.match(fsdpAccelerateConfig({ numProcesses: 2, transformerLayerCls: 'LlamaDecoderLayer' }), /^ {2}fsdp_transformer_layer_cls_to_wrap: LlamaDecoderLayer$/m);
  const generated: Generated = { files: [{ name: 'accelerate_fsdp.yaml', content: yaml, cases: [{ kind: 'yaml', values: { use_cpu: false } }] }], argvs: [] };
  checkAll([yaml], [generated], 0);
});
