/**
 * The last question of the Fine-tune wizard: what to check before the full run, once the script is
 * accepted — the token preview (what it trains on) and a smoke run of a few real steps (step time,
 * peak memory, ETA, a batch plan fitted to the measured memory). Both skippable: Enter with nothing
 * checked goes straight to the full run, as before; Escape cancels the wizard.
 */
import * as vscode from 'vscode';
import { DEFAULT_SMOKE_STEPS } from '../../core/session/smokeRun';
import { CheckItem, checkItems } from '../../ui/session/checkItems';
import { FineTuneRequest } from '../../core/session/types';

export const CHECKS_TITLE = 'ML Intern: before the full run';

export async function askChecksBeforeRun(request: FineTuneRequest, slurm = false): Promise<FineTuneRequest | undefined> {
  const items: Array<CheckItem & vscode.QuickPickItem> = checkItems(slurm);
  const picked = await vscode.window.showQuickPick(items, {
    title: CHECKS_TITLE,
    placeHolder: slurm
      ? 'Check the token preview (Space), then Enter. No smoke run on the Slurm target: the job\'s own first steps show step time and memory'
      : 'Check what to run after you accept the script (Space), then Enter; nothing checked starts the full run directly',
    canPickMany: true,
    ignoreFocusOut: true,
  });
  if (!picked) return undefined;
  const chosen = new Set(picked.map((p) => p.check));
  return {
    ...request,
    ...(chosen.has('preview') ? { previewTokens: true } : {}),
    ...(chosen.has('smoke') ? { smokeSteps: DEFAULT_SMOKE_STEPS } : {}),
  };
}
