/** plan, ask_user and finish: the tools that talk to the user and steer the run. */
import { PlanItem } from '../events';
import { ToolDefinition } from './types';

const STATUSES = ['pending', 'in_progress', 'done', 'skipped'] as const;

export const planTool: ToolDefinition<{ items: PlanItem[] }> = {
  name: 'plan',
  description:
    'Set or update your todo list, which the user sees. Send the whole list each time, each item with a status ' +
    '(pending, in_progress, done, skipped). Keep it short (3-8 items) and update it as you progress.',
  parameters: {
    type: 'object',
    properties: {
      items: {
        type: 'array',
        items: {
          type: 'object',
          properties: { text: { type: 'string' }, status: { type: 'string', enum: [...STATUSES] } },
          required: ['text', 'status'],
        },
      },
    },
    required: ['items'],
  },
  approval: 'free',
  async handler(args, ctx) {
    const items = args.items.map((i) => ({ text: i.text, status: i.status }));
    ctx.setPlan(items);
    const done = items.filter((i) => i.status === 'done').length;
    return { ok: true, output: `Plan updated (${done}/${items.length} done).`, data: { items } };
  },
};

export const askUserTool: ToolDefinition<{ question: string }> = {
  name: 'ask_user',
  description:
    'Ask the user a question and wait for the answer (the run pauses). Use it when a decision is theirs ' +
    '(which model, which data, whether to spend GPU hours) or when you are stuck; not for things you can find out yourself.',
  parameters: { type: 'object', properties: { question: { type: 'string' } }, required: ['question'] },
  approval: 'free',
  async handler(args) {
    return { ok: true, output: `Asked the user: ${args.question}`, control: { kind: 'ask_user', question: args.question } };
  },
};

export const finishTool: ToolDefinition<{ summary: string; artefacts?: string[] }> = {
  name: 'finish',
  description:
    'End the run. Give a summary of what was done, what worked and what did not, and where the artefacts are ' +
    '(scripts, checkpoints, logs, adapters) as workspace-relative paths.',
  parameters: {
    type: 'object',
    properties: {
      summary: { type: 'string' },
      artefacts: { type: 'array', items: { type: 'string' }, description: 'Workspace-relative paths of what was produced.' },
    },
    required: ['summary'],
  },
  approval: 'free',
  async handler(args) {
    const artefacts = args.artefacts ?? [];
    return {
      ok: true,
      output: 'Run finished.',
      control: { kind: 'finish', summary: args.summary, artefacts },
      data: { summary: args.summary, artefacts },
    };
  },
};
