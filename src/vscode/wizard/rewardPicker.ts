/**
 * The GRPO rewards inside the wizard's method step: a multi-select of the built-in rewards that fit
 * the data (the suggested ones checked), then a box with their weights ("exact_answer:1, format:0.2",
 * the CLI's --rewards text). Back from the weights returns to the rewards, Back from the rewards to
 * the method. The logic is in src/ui/wizard/rewardStep.ts.
 */
import * as vscode from 'vscode';
import type { RewardChoice, RewardName } from '../../core/recipes/templates/rewards';
import type { InspectionLike } from '../../ui/wizard/wizardSteps';
import { parseWeights, rewardItems, weightsText } from '../../ui/wizard/rewardStep';

export type RewardPickResult = { kind: 'value'; rewards: RewardChoice[] } | { kind: 'back' } | { kind: 'cancel' };

interface RewardItem extends vscode.QuickPickItem {
  name: RewardName;
}

function checkRewards(title: string, ins: InspectionLike | undefined, current: RewardChoice[] | undefined): Promise<RewardName[] | 'back' | 'cancel'> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<RewardItem>();
    qp.title = `${title} — GRPO rewards`;
    qp.placeholder = 'Check the rewards that score the answers (Space toggles), then Enter: their weights come next';
    qp.canSelectMany = true;
    qp.ignoreFocusOut = true;
    qp.buttons = [vscode.QuickInputButtons.Back];
    const items = rewardItems(ins, current).map((i): RewardItem => ({ label: i.label, description: i.description, detail: i.detail, name: i.value as RewardName, picked: i.picked }));
    qp.items = items;
    qp.selectedItems = items.filter((i) => i.picked);
    let done = false;
    const finish = (r: RewardName[] | 'back' | 'cancel') => {
      if (done) return;
      done = true;
      resolve(r);
      qp.hide();
    };
    qp.onDidTriggerButton((b) => {
      if (b === vscode.QuickInputButtons.Back) finish('back');
    });
    qp.onDidAccept(() => {
      const names = qp.selectedItems.map((i) => i.name);
      if (!names.length) {
        qp.placeholder = 'Check at least one reward: GRPO learns only from what they score';
        return;
      }
      finish(names);
    });
    qp.onDidHide(() => {
      finish('cancel');
      qp.dispose();
    });
    qp.show();
  });
}

function weighRewards(title: string, text: string, ins: InspectionLike | undefined): Promise<RewardChoice[] | 'back' | 'cancel'> {
  return new Promise((resolve) => {
    const box = vscode.window.createInputBox();
    box.title = `${title} — GRPO reward weights`;
    box.prompt = 'Weight of each reward (name:weight, comma-separated): a completion\'s reward is their weighted sum. Enter accepts.';
    box.value = text;
    box.ignoreFocusOut = true;
    box.buttons = [vscode.QuickInputButtons.Back];
    let done = false;
    const finish = (r: RewardChoice[] | 'back' | 'cancel') => {
      if (done) return;
      done = true;
      resolve(r);
      box.hide();
    };
    const check = (v: string) => {
      const r = parseWeights(v, ins);
      return 'error' in r ? r.error : undefined;
    };
    box.onDidChangeValue((v) => (box.validationMessage = check(v)));
    box.onDidTriggerButton((b) => {
      if (b === vscode.QuickInputButtons.Back) finish('back');
    });
    box.onDidAccept(() => {
      const r = parseWeights(box.value, ins);
      if ('error' in r) box.validationMessage = r.error;
      else finish(r.rewards);
    });
    box.onDidHide(() => {
      finish('cancel');
      box.dispose();
    });
    box.show();
  });
}

/** Ask for the rewards and their weights; `title` is the wizard's "ML Intern: Fine-tune (3/7)". */
export async function pickRewards(title: string, ins: InspectionLike | undefined, current?: RewardChoice[]): Promise<RewardPickResult> {
  for (;;) {
    const names = await checkRewards(title, ins, current);
    if (names === 'back' || names === 'cancel') return { kind: names };
    const weighed = await weighRewards(title, weightsText(names, ins, current), ins);
    if (weighed === 'cancel') return { kind: 'cancel' };
    if (weighed !== 'back') return { kind: 'value', rewards: weighed };
    current = names.map((name) => ({ name, weight: current?.find((r) => r.name === name)?.weight }));
  }
}
