/** Small texts the agent loop writes: the budget stop summary, held-back controls, first lines. */
import { PlanItem } from '../events';
import { ToolControl, ToolResult } from '../tools/types';
import { Budget } from '../policy/budget';

export function firstLine(text: string, max = 200): string {
  const line = text.split('\n').find((l) => l.trim()) ?? '';
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** Why the run stopped at its budget, what was done and what is still open. */
export function budgetSummary(over: string, budget: Budget, plan: readonly PlanItem[], lastAssistantText: string): string {
  const done = plan.filter((p) => p.status === 'done').map((p) => p.text);
  const open = plan.filter((p) => p.status === 'pending' || p.status === 'in_progress').map((p) => p.text);
  return [
    `Stopped at the budget limit (${over}). Used ${budget.steps} steps, ${budget.tokens} tokens${budget.cachedTokens ? ` (+${budget.cachedTokens} cached reads, not counted)` : ''}, $${budget.totals.costUsd.toFixed(4)}.`,
    done.length ? `Done: ${done.join('; ')}.` : '',
    open.length ? `Still open: ${open.join('; ')}.` : '',
    lastAssistantText ? `Last note from the agent: ${firstLine(lastAssistantText, 300)}` : '',
    'Continue the run with raised limits to go on.',
  ]
    .filter(Boolean)
    .join('\n');
}

/** A finish or a question held back because the user wrote meanwhile: the model reads that first. */
export function heldBack(control: ToolControl): ToolResult {
  const what = control.kind === 'finish' ? 'Not finished yet' : 'Not asked yet';
  const again = control.kind === 'finish' ? 'call finish again' : 'ask again';
  return { ok: true, output: `${what}: the user sent a message while you were working (it follows). Read it; ${again} if it changes nothing.` };
}

export function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
