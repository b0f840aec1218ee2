/**
 * The last question of the Fine-tune wizard: what to check before the full run, once the script is
 * accepted — the token preview (what it trains on) and a smoke run of a few real steps (step time,
 * peak memory, ETA, a batch plan fitted to the measured memory). Both skippable: Enter with nothing
 * checked goes straight to the full run, as before; Escape cancels the wizard.
 */
import * as vscode from 'vscode';
import { DEFAULT_SMOKE_STEPS } from '../../core/session/smokeRun';
import { FineTuneRequest } from './fineTuneRequest';

interface CheckItem extends vscode.QuickPickItem {
  check: 'preview' | 'smoke';
}

export const CHECKS_TITLE = 'ML Intern: before the full run';

export async function askChecksBeforeRun(request: FineTuneRequest): Promise<FineTuneRequest | undefined> {
  const items: CheckItem[] = [
    { check: 'preview', label: 'Preview tokens', description: 'what the script trains on: trained tokens highlighted, template checks, lengths (no GPU)' },
    { check: 'smoke', label: `Smoke run (${DEFAULT_SMOKE_STEPS} steps)`, description: 'step time, tokens/s, peak GPU memory, ETA; a batch plan fitted to the measured memory as a diff' },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: CHECKS_TITLE,
    placeHolder: 'Check what to run after you accept the script (Space), then Enter; nothing checked starts the full run directly',
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
