/**
 * "ML Intern: Try It…" and "ML Intern: Export Model…": the inputs, then the side-by-side Try-it view
 * (tryIt/tryItPanel.ts, whose Run starts the 'try-it' session) or the Evaluate / Merge / Push
 * session (startArtifact) with the 'export' request — so the scripts are proposed as
 * diffs the user can edit, the commands approved, and run in the extension's terminals, exactly as
 * an evaluation is. The folder is picked and checked as for Push (an adapter or a model folder).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { guarded, Host } from '../host';
import { givenOrPickedFolder, refuseUntrusted } from './modelFolderPicker';
import { validateModelId } from '../../ui/wizard/wizardSteps';
import { startArtifact } from '../session/recipeHandlers';
import type { SessionManager } from '../session/sessionManager';
import { promptsFromDataText } from '../../core/export/tryItPlan';
import { openTryItPanel, tryItInit } from '../tryIt/tryItPanel';
import { QUANT_BITS, sizeText } from '../../core/export/exportPlan';
import { lookupModel } from '../../core/recipes/modelTable';
import { slugify } from '../../core/runs/ids';
import { workFolderOf } from '../../core/workFolder';
import { dataSearchExclude, notInWorkFolder } from '../../ui/wizard/dataSearch';

const OLLAMA_NAME = /^[a-z0-9][a-z0-9._-]*(:[a-z0-9._-]+)?$/;

async function askBase(title: string, model: string, knownBase: string | undefined): Promise<string | undefined> {
  const base = await vscode.window.showInputBox({
    title,
    prompt: knownBase ? `The base model: ${knownBase}, from ${model}/adapter_config.json.` : `${model} is not an adapter: type the base model to compare it with.`,
    placeHolder: 'e.g. Qwen/Qwen2.5-0.5B-Instruct',
    value: knownBase ?? '',
    ignoreFocusOut: true,
    validateInput: validateModelId,
  });
  return base?.trim() || undefined;
}

/** Prompts typed, or the first user turns of a data file in the workspace (the held-out split, typically). */
async function askPrompts(host: Host, workFolder: string): Promise<string[] | undefined> {
  // Not the work folder: earlier transcripts and evaluation results are answers, not prompts.
  const files = await vscode.workspace.findFiles('**/*.{jsonl,json}', dataSearchExclude(workFolder, ['**/outputs/**']), 50).then(
    (uris) => uris.map((u) => vscode.workspace.asRelativePath(u, false)).filter((f) => notInWorkFolder(f, workFolder) && !/(^|\/)(adapter_config|tokenizer_config|config|package)\.json$/.test(f)).sort(),
    () => [] as string[],
  );
  const typeOne = { label: '$(edit) Type a prompt…', file: undefined as string | undefined };
  const picked = await vscode.window.showQuickPick([typeOne, ...files.map((f) => ({ label: f, description: 'first 3 user prompts', file: f as string | undefined }))], {
    title: 'ML Intern: Try It (3/3) — prompts',
    placeHolder: 'Take prompts from a data file (e.g. the held-out split), or type one; add more in the Try it view',
    ignoreFocusOut: true,
  });
  if (!picked) return undefined;
  if (picked.file) {
    try {
      const text = await fs.readFile(path.resolve(host.workspaceRoot() ?? '.', picked.file), 'utf8');
      return promptsFromDataText(text, picked.file, 3);
    } catch (err) {
      void vscode.window.showWarningMessage(`ML Intern: ${err instanceof Error ? err.message : String(err)}. Type a prompt instead.`);
    }
  }
  const typed = await vscode.window.showInputBox({ title: 'ML Intern: Try It (3/3) — prompt', prompt: 'The prompt both models answer (add more in the Try it view).', ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : 'Type a prompt.') });
  return typed?.trim() ? [typed.trim()] : undefined;
}

export async function tryIt(host: Host, sessions: SessionManager, folder?: unknown): Promise<boolean> {
  if (refuseUntrusted(host, 'Try It')) return false;
  // Checked before any question: a mlIntern.workFolder outside the workspace is said at once (WorkFolderError, shown by guarded).
  const workFolder = workFolderOf(host.settings());
  const picked = await givenOrPickedFolder(host, 'push', folder, 'ML Intern: Try It (1/3) — trained model', 'Pick the adapter or model folder the training saved, then Enter');
  if (!picked) return false;
  const model = picked.value;
  const baseModel = await askBase('ML Intern: Try It (2/3) — base model to compare with', model, picked.check.kind === 'adapter' ? picked.check.base : undefined);
  if (!baseModel) return false;
  const prompts = await askPrompts(host, workFolder);
  if (!prompts) return false;
  // The system prompt, sampling and backend are set in the side-by-side view, which runs try_it.py on Run.
  openTryItPanel(host, sessions, tryItInit(model, baseModel, prompts, workFolder));
  return true;
}

export async function exportModel(host: Host, sessions: SessionManager, folder?: unknown): Promise<boolean> {
  if (refuseUntrusted(host, 'Export Model')) return false;
  const picked = await givenOrPickedFolder(host, 'push', folder, 'ML Intern: Export Model (1/3) — trained model', 'Pick the adapter or model folder to export, then Enter');
  if (!picked) return false;
  const model = picked.value;
  const base = picked.check.kind === 'adapter' ? picked.check.base : undefined;
  const name = await vscode.window.showInputBox({
    title: 'ML Intern: Export Model (2/3) — name',
    prompt: 'The name Ollama and vLLM serve it as (lower-case letters, digits, ".", "_", "-").',
    value: slugify(`${(base ?? model).split('/').pop() ?? 'model'}-${model.split('/').filter((p) => !/^(outputs?|final|checkpoint-\d+)$/.test(p)).pop() ?? 'ft'}`, 40).toLowerCase(),
    ignoreFocusOut: true,
    validateInput: (v) => (OLLAMA_NAME.test(v.trim()) ? undefined : 'Use lower-case letters, digits, ".", "_" and "-" (e.g. qwen-medical).'),
  });
  if (!name) return false;
  const params = base ? lookupModel(base)?.params : undefined;
  const targets = await vscode.window.showQuickPick(
    [
      { label: 'Ollama', description: 'Modelfile from the training template + ollama create', id: 'ollama', picked: true },
      { label: 'vLLM', description: 'vllm serve with the training template + one smoke request', id: 'vllm', picked: false },
      ...Object.entries(QUANT_BITS).map(([q, bits]) => ({ label: `GGUF ${q}`, description: `llama.cpp${params ? `, about ${sizeText(params, bits)}` : ''}`, id: q, picked: q === 'Q4_K_M' })),
    ],
    { title: 'ML Intern: Export Model (3/3) — targets', canPickMany: true, ignoreFocusOut: true, placeHolder: 'The merged bf16 model is always written; GGUF needs a llama.cpp checkout' },
  );
  if (!targets) return false;
  const quants = targets.map((t) => t.id).filter((id) => id in QUANT_BITS);
  let llamaCpp: string | undefined;
  if (quants.length) {
    llamaCpp = (await vscode.window.showInputBox({
      title: 'ML Intern: Export Model — llama.cpp',
      prompt: 'The llama.cpp checkout (convert_hf_to_gguf.py and build/bin/llama-quantize); empty: no GGUF.',
      ignoreFocusOut: true,
      validateInput: async (v) => (!v.trim() || (await fs.stat(path.join(v.trim(), 'convert_hf_to_gguf.py')).then(() => true, () => false)) ? undefined : `${v.trim()} has no convert_hf_to_gguf.py.`),
    }))?.trim() || undefined;
  }
  await startArtifact(host, sessions, { kind: 'export', model, name: name.trim(), quants: llamaCpp ? quants : [], ...(llamaCpp ? { llamaCpp } : {}), ollama: targets.some((t) => t.id === 'ollama'), vllm: targets.some((t) => t.id === 'vllm') });
  return true;
}

export function registerExportCommands(host: Host, sessions: SessionManager): void {
  host.context.subscriptions.push(
    vscode.commands.registerCommand('mlIntern.tryIt', guarded(host, 'tryIt', (folder?: unknown) => tryIt(host, sessions, folder))),
    vscode.commands.registerCommand('mlIntern.exportModel', guarded(host, 'exportModel', (folder?: unknown) => exportModel(host, sessions, folder))),
  );
}
