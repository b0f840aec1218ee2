/**
 * Evaluate / Merge Models / Push to Hub: collect the inputs, then hand them
 * to the handler the session wires to the recipe engine. Unwired, they say
 * exactly what would be generated, and that nothing was done.
 */
import * as vscode from 'vscode';
import { guarded, Host } from '../host';
import { handlers, EvaluateRequest, MergeRequest, PushRequest } from '../chat/handlers';
import { validateHubRepo, validateModelId } from '../wizard/wizardSteps';

export const EVAL_TASKS: ReadonlyArray<{ id: string; detail: string }> = [
  { id: 'hellaswag', detail: 'commonsense completion' },
  { id: 'arc_easy', detail: 'grade-school science (easy)' },
  { id: 'arc_challenge', detail: 'grade-school science (hard)' },
  { id: 'gsm8k', detail: 'grade-school maths, generative' },
  { id: 'mmlu', detail: '57 subjects, multiple choice' },
  { id: 'truthfulqa_mc2', detail: 'truthfulness' },
  { id: 'ifeval', detail: 'instruction following' },
];

/** Folders in the workspace holding a trained adapter or model (adapter_config.json / config.json). */
async function modelFolders(): Promise<string[]> {
  try {
    const uris = await vscode.workspace.findFiles('**/{adapter_config.json,config.json}', '{**/node_modules/**,**/.git/**,**/.venv/**,**/.vscode/**}', 100);
    const dirs = new Set(uris.map((u) => vscode.workspace.asRelativePath(vscode.Uri.joinPath(u, '..'), false)));
    return [...dirs].sort();
  } catch {
    return [];
  }
}

async function pickModelFolder(title: string, placeHolder: string): Promise<string | undefined> {
  const folders = await modelFolders();
  const qp = vscode.window.createQuickPick();
  qp.title = title;
  qp.placeholder = placeHolder;
  qp.ignoreFocusOut = true;
  const base = folders.map((f) => ({ label: f, description: 'workspace folder' }));
  qp.items = base;
  return new Promise((resolve) => {
    let done = false;
    qp.onDidChangeValue((v) => {
      const t = v.trim();
      qp.items = t && !folders.includes(t) ? [{ label: t, description: 'use as typed (folder or Hub id)', alwaysShow: true }, ...base] : base;
    });
    qp.onDidAccept(() => {
      const value = (qp.selectedItems[0] ?? qp.activeItems[0])?.label ?? qp.value.trim();
      if (!value) return;
      done = true;
      resolve(value);
      qp.hide();
    });
    qp.onDidHide(() => {
      if (!done) resolve(undefined);
      qp.dispose();
    });
    qp.show();
  });
}

function refuseUntrusted(host: Host, what: string): boolean {
  if (host.isTrusted()) return false;
  void vscode.window.showWarningMessage(`ML Intern: ${what} writes a script and runs it, which is disabled in an untrusted workspace. Use "Workspaces: Manage Workspace Trust" to trust it.`);
  return true;
}

function notWired(summary: string): void {
  void vscode.window.showWarningMessage(`ML Intern: this command is not wired to the recipe engine in this build, so nothing was generated or run. It would: ${summary}`, { modal: false });
}

export async function evaluate(host: Host): Promise<EvaluateRequest | undefined> {
  if (refuseUntrusted(host, 'Evaluate')) return undefined;
  const model = await pickModelFolder('ML Intern: Evaluate (1/4) — model to evaluate', 'Pick a trained adapter/model folder, or type a Hub model id, then Enter');
  if (!model) return undefined;
  const baseModel = await vscode.window.showInputBox({
    title: 'ML Intern: Evaluate (2/4) — base model to compare with (optional)',
    prompt: 'The base model to score side by side (empty: read it from the adapter config).',
    placeHolder: 'e.g. Qwen/Qwen2.5-0.5B-Instruct',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? validateModelId(v) : undefined),
  });
  if (baseModel === undefined) return undefined;
  const tasks = await vscode.window.showQuickPick(
    EVAL_TASKS.map((t) => ({ label: t.id, description: t.detail, picked: t.id === 'mmlu' || t.id === 'gsm8k' })),
    { title: 'ML Intern: Evaluate (3/4) — benchmarks', canPickMany: true, ignoreFocusOut: true, placeHolder: 'Pick the tasks (lighteval)' },
  );
  if (!tasks || !tasks.length) return undefined;
  const limitText = await vscode.window.showInputBox({
    title: 'ML Intern: Evaluate (4/4) — samples per task',
    prompt: 'Samples per task (a quick estimate); 0 runs the full benchmark.',
    value: '200',
    ignoreFocusOut: true,
    validateInput: (v) => (/^\d{1,7}$/.test(v.trim()) ? undefined : 'Type a whole number, e.g. 200 (0 = all).'),
  });
  if (limitText === undefined) return undefined;
  const limit = Number(limitText.trim());
  const request: EvaluateRequest = { model, baseModel: baseModel.trim() || undefined, tasks: tasks.map((t) => t.label), limit: limit > 0 ? limit : undefined };
  const h = handlers().evaluate;
  if (!h) {
    notWired(
      `write an evaluation script (lighteval) for ${model}${request.baseModel ? ` vs ${request.baseModel}` : ''} on ${request.tasks.join(', ')}${request.limit ? ` (${request.limit} samples each)` : ''} into a new run folder, show it as a diff for your review, run it, and show base vs trained scores in the chat panel.`,
    );
    return request;
  }
  await h(host, request);
  return request;
}

export async function merge(host: Host): Promise<MergeRequest | undefined> {
  if (refuseUntrusted(host, 'Merge Models')) return undefined;
  const adapter = await pickModelFolder('ML Intern: Merge Models (1/3) — LoRA adapter', 'Pick the adapter folder (adapter_config.json) to merge, then Enter');
  if (!adapter) return undefined;
  const baseModel = await vscode.window.showInputBox({
    title: 'ML Intern: Merge Models (2/3) — base model',
    prompt: 'The base model the adapter was trained on.',
    placeHolder: 'e.g. Qwen/Qwen2.5-0.5B-Instruct',
    ignoreFocusOut: true,
    validateInput: validateModelId,
  });
  if (!baseModel) return undefined;
  const output = await vscode.window.showInputBox({
    title: 'ML Intern: Merge Models (3/3) — output folder',
    prompt: 'Workspace folder for the merged model (written in 16-bit safetensors).',
    value: `${adapter.replace(/\/+$/, '')}-merged`,
    ignoreFocusOut: true,
    validateInput: (v) => (!v.trim() ? 'Type a folder.' : v.includes('..') || v.startsWith('/') ? 'Use a folder inside the workspace.' : undefined),
  });
  if (!output) return undefined;
  const request: MergeRequest = { baseModel: baseModel.trim(), adapter, output: output.trim() };
  const h = handlers().merge;
  if (!h) {
    notWired(`write a merge script (peft merge_and_unload) merging ${adapter} into ${request.baseModel}, saving to ${request.output}, for your review before running it.`);
    return request;
  }
  await h(host, request);
  return request;
}

export async function pushToHub(host: Host): Promise<PushRequest | undefined> {
  if (refuseUntrusted(host, 'Push to Hub')) return undefined;
  const folder = await pickModelFolder('ML Intern: Push to Hub (1/3) — folder', 'Pick the adapter or merged model folder to upload, then Enter');
  if (!folder) return undefined;
  const repo = await vscode.window.showInputBox({
    title: 'ML Intern: Push to Hub (2/3) — repo',
    prompt: 'Hugging Face repo to create or update (owner/name). Needs an HF token: ML Intern: Set API Key → Hugging Face token.',
    placeHolder: 'e.g. my-user/qwen2.5-0.5b-sft',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? validateHubRepo(v) : 'Type owner/name.'),
  });
  if (!repo) return undefined;
  const vis = await vscode.window.showQuickPick(
    [
      { label: 'Private', description: 'only you (and your org) can see it' },
      { label: 'Public', description: 'anyone can download it' },
    ],
    { title: 'ML Intern: Push to Hub (3/3) — visibility', ignoreFocusOut: true },
  );
  if (!vis) return undefined;
  const request: PushRequest = { folder, repo: repo.trim(), private: vis.label === 'Private' };
  const h = handlers().push;
  if (!h) {
    notWired(`write a push script uploading ${folder} to ${request.repo} (${request.private ? 'private' : 'public'}) with a model card, for your review before running it.`);
    return request;
  }
  await h(host, request);
  return request;
}

export function registerRecipeCommands(host: Host): void {
  host.context.subscriptions.push(
    vscode.commands.registerCommand('mlIntern.evaluate', guarded(host, 'evaluate', () => evaluate(host))),
    vscode.commands.registerCommand('mlIntern.merge', guarded(host, 'merge', () => merge(host))),
    vscode.commands.registerCommand('mlIntern.pushToHub', guarded(host, 'pushToHub', () => pushToHub(host))),
  );
}
