/**
 * What the panel answers when no chat handler is wired or no LLM is set:
 * it explains recipe mode and points at the commands that work without one.
 */
import type { ChatContext } from './handlers';
import { CHAT_RUN } from '../../ui/chat/panelController';

export function recipeModeAnswer(provider: string, trusted: boolean): string {
  const lines: string[] = [];
  if (provider === 'none') {
    lines.push(
      '**Recipe mode** — no language model is configured, so I cannot answer free-form questions yet.',
      '',
      'What works right now:',
      '- **ML Intern: Fine-tune** (the rocket button above) — pick a base model and a dataset; the recipe engine writes the training script for you to review (a changed file as a diff), runs it and fixes well-known failures (out of memory, bf16 on an old GPU, missing pad token…).',
      '- **ML Intern: Set API Key** (OpenAI, Anthropic or an OpenAI-compatible endpoint) or **ML Intern: Select Model** (e.g. GitHub Copilot models) — then I can chat, plan and adapt scripts.',
    );
  } else {
    lines.push('The chat agent is not connected in this window yet. Use **ML Intern: Fine-tune** to start a run.');
  }
  if (!trusted) lines.push('', '_This workspace is not trusted: nothing will be run or written until you trust it._');
  return lines.join('\n');
}

export function defaultChat(text: string, ctx: ChatContext): void {
  const runId = ctx.runId ?? CHAT_RUN;
  ctx.host.events.emit({ type: 'user_message', runId, text });
  ctx.host.events.emit({ type: 'assistant_message', runId, text: recipeModeAnswer(ctx.host.settings().provider, ctx.host.isTrusted()) });
}
