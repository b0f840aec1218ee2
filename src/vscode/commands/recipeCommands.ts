/**
 * Evaluate / Merge Models / Push to Hub: collect the inputs, then hand them
 * to the handler the session wires to the recipe engine. Unwired, they say
 * exactly what would be generated, and that nothing was done.
 */
import * as vscode from 'vscode';
import { guarded, Host } from '../host';
import type { ChatHandlers, EvaluateRequest, MergeRequest, PushRequest } from '../chat/handlers';
import type { SessionManager } from '../session/sessionManager';
import { validateHubRepo, validateModelId } from '../../ui/wizard/wizardSteps';
import { checkMergeOutput } from '../../ui/commands/modelFolderCheck';
import { givenOrPickedFolder, pickModelFolder, refuseUntrusted } from './modelFolderPicker';
import { registerExportCommands } from './exportCommands';

export const EVAL_TASKS: ReadonlyArray<{ id: string; detail: string }> = [
  { id: 'hellaswag', detail: 'commonsense completion' },
  { id: 'arc_easy', detail: 'grade-school science (easy)' },
  { id: 'arc_challenge', detail: 'grade-school science (hard)' },
  { id: 'gsm8k', detail: 'grade-school maths, generative' },
  { id: 'mmlu', detail: '57 subjects, multiple choice' },
  { id: 'truthfulqa_mc2', detail: 'truthfulness' },
  { id: 'ifeval', detail: 'instruction following' },
];

function notWired(summary: string): void {
  void vscode.window.showWarningMessage(`ML Intern: this command is not wired to the recipe engine in this build, so nothing was generated or run. It would: ${summary}`, { modal: false });
}

export async function evaluate(host: Host, handlers: Readonly<ChatHandlers>, folder?: unknown): Promise<EvaluateRequest | undefined> {
  if (refuseUntrusted(host, 'Evaluate')) return undefined;
  const picked = await givenOrPickedFolder(host, 'evaluate', folder, 'ML Intern: Evaluate (1/4) — model to evaluate', 'Pick a trained adapter/model folder, or type a Hub model id, then Enter');
  if (!picked) return undefined;
  const model = picked.value;
  // An adapter names its base; a full model or a Hub id has nothing to read it from, so the base must be typed.
  const knownBase = picked.check.kind === 'adapter' ? picked.check.base : undefined;
  const baseModel = await vscode.window.showInputBox({
    title: 'ML Intern: Evaluate (2/4) — base model to compare with',
    prompt: knownBase ? `The base model to score side by side: ${knownBase}, from ${model}/adapter_config.json. Change it to compare with another model.` : `The base model to score side by side (${model} is not an adapter, so there is no adapter_config.json to read it from).`,
    placeHolder: 'e.g. Qwen/Qwen2.5-0.5B-Instruct',
    value: knownBase ?? '',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? validateModelId(v) : knownBase || picked.check.kind === 'adapter' ? undefined : 'Type the base model to compare with (e.g. Qwen/Qwen2.5-0.5B-Instruct).'),
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
  const h = handlers.evaluate;
  if (!h) {
    notWired(
      `write an evaluation script (lighteval) for ${model}${request.baseModel ? ` vs ${request.baseModel}` : ''} on ${request.tasks.join(', ')}${request.limit ? ` (${request.limit} samples each)` : ''} into a new run folder, open it for your review, run it, and show base vs trained scores in the chat panel.`,
    );
    return request;
  }
  await h(host, request);
  return request;
}

/** The merged model's folder; one that already holds files is written over only when the user says so. */
async function askMergeOutput(host: Host, adapter: string): Promise<string | undefined> {
  const root = host.workspaceRoot() ?? '.';
  let value = `${adapter.replace(/\/+$/, '')}-merged`;
  for (;;) {
    const output = await vscode.window.showInputBox({
      title: 'ML Intern: Merge Models (3/3) — output folder',
      prompt: 'Workspace folder for the merged model (written in 16-bit safetensors).',
      value,
      ignoreFocusOut: true,
      validateInput: async (v) => {
        const c = await checkMergeOutput(root, adapter, v);
        return 'error' in c ? c.error : undefined;
      },
    });
    if (!output) return undefined;
    const c = await checkMergeOutput(root, adapter, output);
    if ('error' in c) return undefined; // (the box does not accept an error; a race with a file appearing)
    if (c.existingEntries === 0) return output.trim();
    const overwrite = 'Write over it';
    const answer = await vscode.window.showWarningMessage(
      `ML Intern: ${output.trim()} already exists and holds ${c.existingEntries} ${c.existingEntries === 1 ? 'entry' : 'entries'}.`,
      { modal: true, detail: 'The merge saves the model there: files with the same names (config.json, model*.safetensors, the tokenizer) are replaced. Cancel to type another folder.' },
      overwrite,
    );
    if (answer === overwrite) return output.trim();
    value = output.trim();
  }
}

export async function merge(host: Host, handlers: Readonly<ChatHandlers>): Promise<MergeRequest | undefined> {
  if (refuseUntrusted(host, 'Merge Models')) return undefined;
  const picked = await pickModelFolder(host, 'merge', 'ML Intern: Merge Models (1/3) — LoRA adapter', 'Pick the adapter folder (adapter_config.json) to merge, then Enter');
  if (!picked) return undefined;
  const adapter = picked.value;
  const knownBase = picked.check.kind === 'adapter' ? picked.check.base : undefined;
  const baseModel = await vscode.window.showInputBox({
    title: 'ML Intern: Merge Models (2/3) — base model',
    prompt: knownBase ? `The base model the adapter was trained on: ${knownBase}, from ${adapter}/adapter_config.json.` : `The base model the adapter was trained on (${adapter}/adapter_config.json names none).`,
    placeHolder: 'e.g. Qwen/Qwen2.5-0.5B-Instruct',
    value: knownBase ?? '',
    ignoreFocusOut: true,
    validateInput: validateModelId,
  });
  if (!baseModel) return undefined;
  const output = await askMergeOutput(host, adapter);
  if (!output) return undefined;
  const request: MergeRequest = { baseModel: baseModel.trim(), adapter, output };
  const h = handlers.merge;
  if (!h) {
    notWired(`write a merge script (peft merge_and_unload) merging ${adapter} into ${request.baseModel}, saving to ${request.output}, for your review before running it.`);
    return request;
  }
  await h(host, request);
  return request;
}

/**
 * The upload needs an HF token: stored (SecretStorage, passed as HF_TOKEN), in the environment, or
 * saved by `hf auth login`, which only the upload can see. None of the first two: say so before the
 * questions, not as a failed run. False: the user stopped.
 */
async function hubTokenReady(host: Host): Promise<boolean> {
  if (process.env.HF_TOKEN || (await host.secrets.get('hf').catch(() => undefined))) return true;
  const set = 'Set Hugging Face Token…';
  const goOn = 'Go on (I ran hf auth login)';
  const answer = await vscode.window.showWarningMessage(
    'ML Intern: no Hugging Face token is stored, so the upload would fail unless `hf auth login` saved one on this machine.',
    { modal: true, detail: 'Set one now (a write token from huggingface.co/settings/tokens; kept in SecretStorage, passed to the upload as HF_TOKEN), or go on with the saved login.' },
    set,
    goOn,
  );
  if (answer === set) {
    await vscode.commands.executeCommand('mlIntern.setApiKey', 'hf');
    return !!(await host.secrets.get('hf').catch(() => undefined));
  }
  return answer === goOn;
}

export async function pushToHub(host: Host, handlers: Readonly<ChatHandlers>): Promise<PushRequest | undefined> {
  if (refuseUntrusted(host, 'Push to Hub')) return undefined;
  if (!(await hubTokenReady(host))) return undefined;
  const picked = await pickModelFolder(host, 'push', 'ML Intern: Push to Hub (1/3) — folder', 'Pick the adapter or merged model folder to upload, then Enter');
  if (!picked) return undefined;
  const folder = picked.value;
  const repo = await vscode.window.showInputBox({
    title: 'ML Intern: Push to Hub (2/3) — repo',
    prompt: 'Hugging Face repo to create or update (owner/name).',
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
  const h = handlers.push;
  if (!h) {
    notWired(`write a push script uploading ${folder} to ${request.repo} (${request.private ? 'private' : 'public'}) with a model card, for your review before running it.`);
    return request;
  }
  await h(host, request);
  return request;
}

export function registerRecipeCommands(host: Host, handlers: Readonly<ChatHandlers>, sessions: SessionManager): void {
  host.context.subscriptions.push(
    vscode.commands.registerCommand('mlIntern.evaluate', guarded(host, 'evaluate', (folder?: unknown) => evaluate(host, handlers, folder))),
    vscode.commands.registerCommand('mlIntern.merge', guarded(host, 'merge', () => merge(host, handlers))),
    vscode.commands.registerCommand('mlIntern.pushToHub', guarded(host, 'pushToHub', () => pushToHub(host, handlers))),
  );
  // Try It… and Export Model… take the same folder picker and session.
  registerExportCommands(host, sessions);
}
