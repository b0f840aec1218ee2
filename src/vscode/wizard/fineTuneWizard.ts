/**
 * "ML Intern: Fine-tune": the multi-step QuickPick/InputBox flow over
 * {@link WizardMachine}. Every step takes typed text + Enter, has a Back
 * button from step 2 on, and shows "(x/y)" in its title.
 */
import * as vscode from 'vscode';
import { guarded, Host } from '../host';
import { startFineTune } from '../session/startFineTune';
import { askChecksBeforeRun } from '../session/checksBeforeRun';
import { estimates, findDataFiles, gpuOf, inspectDataset, TrainingEnvironment } from './wizardServices';
import { nodeAdvice } from '../../core/session/launchNotes';
import type { SessionManager } from '../session/sessionManager';
import {
  itemsFor,
  missingTrainingPackages,
  parseSplit,
  StepContext,
  StepItem,
  STEP_LABEL,
  stepKind,
  typedItem,
  typedItemFirst,
  validateDataset,
  validateHubRepo,
  validateModelId,
  WizardMachine,
  datasetProblem,
  looksLikeHubDatasetId,
} from '../../ui/wizard/wizardSteps';
import { checkHubModel, isLocalModelPath } from '../../ui/wizard/hubModelCheck';
import { notesFor, notesHeading } from '../../ui/wizard/wizardNotes';
import { pickRewards } from './rewardPicker';
import { workFolderOf } from '../../core/workFolder';
import { gpusFromComputeNode } from '../../core/exec/slurmProbe';

export const RECENT_MODELS_KEY = 'mlIntern.recentModels';

type PickResult = { kind: 'value'; value: string } | { kind: 'back' } | { kind: 'cancel' } | { kind: 'browse' } | { kind: 'custom' };

interface QItem extends vscode.QuickPickItem {
  item?: StepItem;
  invalid?: boolean;
}

function toQuick(i: StepItem): QItem {
  return { label: i.label, description: i.description, detail: i.detail, alwaysShow: i.alwaysShow, item: i };
}

const VALIDATE: Partial<Record<string, (s: string) => string | undefined>> = {
  model: validateModelId,
  dataset: validateDataset,
  split: (s) => {
    const r = parseSplit(s);
    return 'error' in r ? r.error : undefined;
  },
};

/** An Enter this soon after the picker opens was typed ahead for the step before: it never opens Browse… or Custom…. */
const TYPED_AHEAD_MS = 400;

function pick(m: WizardMachine, items: StepItem[], placeholder: string, notes: StepItem[] = []): Promise<PickResult> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<QItem>();
    // The choices first (Enter and typed filters land on them), then what the wizard found out, under a heading.
    const heading: QItem[] = notes.length ? [{ label: notesHeading(m.step), kind: vscode.QuickPickItemKind.Separator }] : [];
    const base = [...items.map(toQuick), ...heading, ...notes.map(toQuick)];
    const shownAt = Date.now();
    qp.title = m.title();
    qp.placeholder = placeholder;
    qp.ignoreFocusOut = true;
    qp.matchOnDescription = false;
    qp.buttons = m.canGoBack ? [vscode.QuickInputButtons.Back] : [];
    qp.items = base;
    // No pre-selected answer: the first real choice, never a note or an action such as Browse….
    const picked = base.find((q) => q.item?.picked) ?? base.find((q) => q.item && !q.item.action);
    if (picked) qp.activeItems = [picked];
    let done = false;
    const finish = (r: PickResult) => {
      if (done) return;
      done = true;
      resolve(r);
      qp.hide();
    };
    const step = m.step;
    qp.onDidChangeValue((value) => {
      const typed = typedItem(step, value, items);
      const error = value.trim() && !typed ? VALIDATE[step]?.(value) : undefined;
      const matchesSome = items.some((i) => i.label.toLowerCase().includes(value.trim().toLowerCase()));
      if (typed) qp.items = typedItemFirst(step, value, items) ? [toQuick(typed), ...base] : [...base, toQuick(typed)];
      else if (error && !matchesSome) qp.items = [{ label: value.trim(), description: `⚠ ${error}`, alwaysShow: true, invalid: true }, ...base];
      else qp.items = base;
    });
    qp.onDidTriggerButton((b) => {
      if (b === vscode.QuickInputButtons.Back) finish({ kind: 'back' });
    });
    qp.onDidAccept(() => {
      const sel = qp.selectedItems[0] ?? qp.activeItems[0];
      if (sel?.invalid || sel?.item?.action === 'note') return; // the row says what is wrong; keep the picker open
      if ((sel?.item?.action === 'browse' || sel?.item?.action === 'custom') && !qp.value && Date.now() - shownAt < TYPED_AHEAD_MS) return;
      if (sel?.item?.action === 'browse') return finish({ kind: 'browse' });
      if (sel?.item?.action === 'custom') return finish({ kind: 'custom' });
      if (sel?.item) return finish({ kind: 'value', value: sel.item.value ?? sel.item.label });
      const typed = qp.value.trim();
      if (typed && !VALIDATE[step]?.(typed)) return finish({ kind: 'value', value: typed });
    });
    qp.onDidHide(() => {
      finish({ kind: 'cancel' });
      qp.dispose();
    });
    qp.show();
  });
}

function input(m: WizardMachine, opts: { prompt: string; placeholder: string; value?: string; validate: (s: string) => string | undefined }): Promise<PickResult> {
  return new Promise((resolve) => {
    const box = vscode.window.createInputBox();
    box.title = m.title();
    box.prompt = opts.prompt;
    box.placeholder = opts.placeholder;
    box.value = opts.value ?? '';
    box.ignoreFocusOut = true;
    box.buttons = m.canGoBack ? [vscode.QuickInputButtons.Back] : [];
    let done = false;
    const finish = (r: PickResult) => {
      if (done) return;
      done = true;
      resolve(r);
      box.hide();
    };
    box.onDidChangeValue((v) => (box.validationMessage = opts.validate(v)));
    box.onDidTriggerButton((b) => {
      if (b === vscode.QuickInputButtons.Back) finish({ kind: 'back' });
    });
    box.onDidAccept(() => {
      const err = opts.validate(box.value);
      if (err) {
        box.validationMessage = err;
        return;
      }
      finish({ kind: 'value', value: box.value });
    });
    box.onDidHide(() => {
      finish({ kind: 'cancel' });
      box.dispose();
    });
    box.show();
  });
}

/** A busy picker while something slow runs; resolves undefined when the user backs out (and aborts the work). */
async function busy<T>(m: WizardMachine, message: string, work: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
  const qp = vscode.window.createQuickPick();
  qp.title = m.title();
  qp.placeholder = message;
  qp.busy = true;
  qp.ignoreFocusOut = true;
  qp.buttons = [vscode.QuickInputButtons.Back];
  const ctrl = new AbortController();
  const cancelled = new Promise<undefined>((resolve) => {
    qp.onDidTriggerButton(() => {
      ctrl.abort();
      resolve(undefined);
    });
    qp.onDidHide(() => {
      ctrl.abort();
      resolve(undefined);
    });
  });
  qp.show();
  try {
    return await Promise.race([work(ctrl.signal), cancelled]);
  } finally {
    qp.hide();
    qp.dispose();
  }
}

async function browse(host: Host): Promise<string | undefined> {
  const root = host.workspaceRoot();
  const uris = await vscode.window.showOpenDialog({
    title: 'ML Intern: choose a data file',
    canSelectMany: false,
    canSelectFolders: false,
    defaultUri: root ? vscode.Uri.file(root) : undefined,
    filters: { 'Data files': ['jsonl', 'json', 'csv', 'parquet'], 'All files': ['*'] },
  });
  const u = uris?.[0];
  if (!u) return undefined;
  return vscode.workspace.getWorkspaceFolder(u) ? vscode.workspace.asRelativePath(u, false) : u.fsPath;
}

/** The window's services the wizard uses (services.ts): the cached environment report and the session manager its run starts in. */
export interface WizardServices {
  readonly environment: TrainingEnvironment;
  readonly sessions: SessionManager;
}

/** Run the wizard; resolves with the request (already handed to startFineTune) or undefined when cancelled. */
export async function runFineTuneWizard(host: Host, services: WizardServices) {
  if (!host.isTrusted()) {
    void vscode.window.showWarningMessage(
      'ML Intern: this workspace is not trusted, so fine-tuning (which writes a script and runs it) is disabled. Use "Workspaces: Manage Workspace Trust" to trust it; you can still ask questions in the chat panel.',
    );
    return undefined;
  }
  if (!host.workspaceRoot()) {
    void vscode.window.showWarningMessage('ML Intern: open a folder first (File > Open Folder): runs live in .ml-intern/runs inside it.');
    return undefined;
  }
  let workFolder: string;
  try {
    // A mlIntern.workFolder outside the workspace is said before any question, not after them.
    workFolder = workFolderOf(host.settings());
  } catch (err) {
    void vscode.window.showErrorMessage(`ML Intern: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
  const m = new WizardMachine();
  const recent = host.context.globalState.get<string[]>(RECENT_MODELS_KEY, []);
  const files = findDataFiles(workFolder);
  const env = services.environment.report();
  const ctx: StepContext = { recentModels: Array.isArray(recent) ? recent : [] };
  const checkedModels = new Map<string, boolean>();

  while (!m.done) {
    const step = m.step;
    let r: PickResult;
    if (stepKind(step) === 'input') {
      r =
        step === 'hub'
          ? await input(m, {
              prompt: 'Hugging Face Hub repo to push the trained adapter to (owner/name). Leave empty and press Enter to skip.',
              placeholder: 'e.g. my-user/qwen2.5-0.5b-sft (optional)',
              value: m.answers.hubRepo,
              validate: validateHubRepo,
            })
          : await input(m, {
              prompt:
                'Settings for the script (epochs, max length, lr, batch size, LoRA r/alpha, seed…) go into its CONFIG; with a language model set, it also follows the rest. Enter starts: the script opens for your review first (a changed one as a diff).',
              placeholder: 'e.g. 3 epochs, max length 512, lr 1e-4 (optional)',
              value: m.answers.instructions,
              validate: (s) => (s.length > 4000 ? 'Keep the instructions under 4,000 characters.' : undefined),
            });
    } else {
      if (step === 'dataset') {
        ctx.datasetFiles = await files;
        // A search that ran before the workspace was indexed may have found nothing: look again before offering only Browse….
        if (!ctx.datasetFiles.length) ctx.datasetFiles = await findDataFiles(workFolder);
      }
      if (step === 'adapter') {
        // A compute node's answer (Slurm) may wait in the queue: a minute, then the step goes on without it.
        const slurm = host.settings().executionTarget === 'slurm';
        const report = await busy(m, slurm ? 'Asking a compute node for its GPUs (a short Slurm job)…' : 'Checking the GPU…', () =>
          Promise.race([env, new Promise<undefined>((res) => setTimeout(() => res(undefined), slurm ? 60_000 : 20_000))]),
        );
        const gpu = gpuOf(report);
        // On Slurm the GPU is a compute node's (the check job), which the label says.
        const where = gpusFromComputeNode(report) ? ' on a compute node' : '';
        ctx.gpu = gpu ? `${gpu.name}, ${Math.round(gpu.memoryMiB / 1024)} GiB${where}` : undefined;
        ctx.estimates = estimates(m.answers.baseModel ?? '', m.answers.method, gpu);
        ctx.missing = missingTrainingPackages(report?.libraries);
        ctx.fullNodes = nodeAdvice({ baseModel: m.answers.baseModel ?? '', adapter: 'full', method: m.answers.method ?? 'sft' }, host.settings(), report);
      }
      r = await pick(m, itemsFor(step, m.answers, ctx), placeholderFor(m, ctx), notesFor(step, m.answers, ctx));
    }
    if (r.kind === 'cancel') return undefined;
    if (r.kind === 'back') {
      m.back();
      continue;
    }
    let value: string | undefined;
    if (r.kind === 'browse') value = await browse(host);
    else if (r.kind === 'custom') {
      const c = await input(m, {
        prompt: 'Percentage of the rows held out for evaluation (at most 50).',
        placeholder: 'e.g. 2, 2 % or 0.02',
        validate: (s) => {
          const p = parseSplit(s);
          return 'error' in p ? p.error : undefined;
        },
      });
      if (c.kind === 'cancel') return undefined;
      value = c.kind === 'value' ? c.value : undefined;
    } else value = r.value;
    if (value === undefined) continue; // Browse cancelled or Back from the custom box: same step again
    const res = m.next(value);
    if (!res.ok) {
      void vscode.window.showWarningMessage(`ML Intern: ${res.error}`);
      continue;
    }
    if (step === 'method' && m.answers.method === 'grpo') {
      // GRPO: which rewards score the answers, and their weights, before the adapter.
      const chosen = await pickRewards(`ML Intern: Fine-tune (${m.index}/${m.total})`, m.answers.inspection, m.answers.rewards); // m.index is already the next step's 0-based index: this step's number
      if (chosen.kind === 'cancel') return undefined;
      if (chosen.kind === 'back') {
        m.back();
        continue;
      }
      m.answers.rewards = chosen.rewards;
    }
    if (step === 'model' && !(await modelChecked(host, m, m.answers.baseModel as string, checkedModels))) {
      m.back();
      continue;
    }
    if (step === 'dataset' && !m.answers.inspection && !m.answers.inspectionError) {
      const dataset = m.answers.dataset as string;
      const result = await busy(m, `Inspecting ${dataset}… (format, columns, problems)`, (signal) => inspectDataset(host, dataset, signal));
      if (!result) {
        m.back(); // backed out of the inspection: choose the dataset again
        continue;
      }
      m.setInspection(result.inspection, result.error);
      // A missing path, an empty file or one without readable rows stops here, not at the recipe five steps on.
      // A Hub id that could not be inspected (offline) goes on: the Hub may well have it.
      const problem = datasetProblem(m.answers) ?? (result.error && !looksLikeHubDatasetId(dataset) ? `Could not read ${dataset}: ${result.error}` : undefined);
      ctx.datasetProblem = problem;
      if (problem) {
        void vscode.window.showWarningMessage(`ML Intern: ${problem}`);
        m.rejectDataset();
        continue;
      }
    }
  }

  const request = await askChecksBeforeRun(m.request(), host.settings().executionTarget === 'slurm');
  if (!request) return undefined;
  const models = [request.baseModel, ...ctx.recentModels!.filter((x) => x !== request.baseModel)].slice(0, 5);
  await host.context.globalState.update(RECENT_MODELS_KEY, models);
  host.logger.info(`Fine-tune wizard: ${JSON.stringify({ ...request, instructions: request.instructions ? '(given)' : undefined })}`);
  await startFineTune(host, services.sessions, request);
  return request;
}

/**
 * A Hub model id is checked against the Hub once per wizard (a few seconds at most): not found asks
 * whether to pick again; offline says it could not be checked and goes on. False: back to the model step.
 */
async function modelChecked(host: Host, m: WizardMachine, id: string, checked: Map<string, boolean>): Promise<boolean> {
  if (isLocalModelPath(id)) return true;
  const known = checked.get(id);
  if (known !== undefined) return known;
  const token = await host.secrets.get('hf').catch(() => undefined);
  const result = await busy(m, `Checking ${id} on the Hugging Face Hub…`, () => checkHubModel(id, { token, endpoint: process.env.HF_ENDPOINT }));
  if (!result) return false; // backed out of the check
  let ok = true;
  if (result.kind === 'not_found') {
    const use = 'Use it anyway';
    ok = (await vscode.window.showWarningMessage(`ML Intern: ${result.message}`, { modal: true, detail: 'Cancel to pick the model again.' }, use)) === use;
  } else if (result.kind === 'unchecked') {
    host.logger.info(`Fine-tune wizard: ${id} not checked on the Hub: ${result.reason}.`);
    void vscode.window.showInformationMessage(`ML Intern: could not check '${id}' on the Hugging Face Hub (${result.reason}). A wrong id stops the training when it downloads the model.`);
  }
  checked.set(id, ok);
  return ok;
}

function placeholderFor(m: WizardMachine, ctx: StepContext): string {
  switch (m.step) {
    case 'model':
      return 'Pick or type a Hugging Face model id (e.g. Qwen/Qwen2.5-0.5B-Instruct) or a local folder, then Enter';
    case 'dataset':
      return ctx.datasetFiles?.length
        ? 'Pick a workspace data file, Browse…, or type a path / Hub dataset id (e.g. trl-lib/Capybara), then Enter'
        : 'No data files found in the workspace: type a path or a Hub dataset id (e.g. trl-lib/Capybara), or Browse…';
    case 'method':
      return 'Pick the training method (what the inspection found is listed below)';
    case 'adapter':
      return 'Pick the adapter (the GPU, memory and missing packages are listed below)';
    case 'split':
      return `${STEP_LABEL.split}: rows held out to measure evaluation loss`;
    default:
      return '';
  }
}

export function registerFineTuneWizard(host: Host, services: WizardServices): void {
  host.context.subscriptions.push(vscode.commands.registerCommand('mlIntern.fineTune', guarded(host, 'fineTune', () => runFineTuneWizard(host, services))));
}
