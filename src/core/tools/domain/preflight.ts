/**
 * preflight: before asking to run a training, see what it trains on — python/preflight.py renders
 * a few rows with the base model's tokenizer as trl will, marks the trained tokens, checks the chat
 * template and measures lengths against MAX_LENGTH. The rows are the user's data: fenced.
 */
import { countFailures, formatPreflight, preflightRecipe } from '../../preflight';
import { ToolDefinition } from '../types';
import { DATA_NOTE, fence, helperFailure, helperOptions } from './shared';

const TOKENS_SHOWN = 200;

export const preflightTool: ToolDefinition<{ path: string; rows?: number }> = {
  name: 'preflight',
  description:
    'Before running a training script written by write_recipe, show what it will train on: a few rows tokenized with the base ' +
    "model's own tokenizer and chat template exactly as trl builds them for the installed trl version (trained tokens in ⟦…⟧, the rest masked), " +
    'template checks (template present, {% generation %} for assistant-only loss, EOS after each assistant turn, system prompt kept, <think> kept, pad vs eos) ' +
    'each with its fix, and token lengths against MAX_LENGTH (truncated and dropped rows, the length covering 95 %/99 %). ' +
    "Needs transformers in the user's interpreter. Reads only; needs no approval. Fix failed checks (edit_file) before asking to run.",
  parameters: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'Workspace-relative recipe folder holding train.py, or the train.py itself.' },
      rows: { type: 'integer', description: 'Rows to show token by token (1-5, default 3).' },
    },
    required: ['path'],
  },
  approval: 'free',
  async handler(args, ctx) {
    const rows = Math.min(5, Math.max(1, Math.floor(args.rows ?? 3)));
    try {
      const target = ctx.files.resolve(args.path);
      const report = await preflightRecipe(ctx.python, target, { ...helperOptions(ctx, 10 * 60_000), rows });
      const failed = countFailures(report);
      const lines = [
        `Preflight of ${args.path}: ${report.rows.length} row(s) shown, ${report.lengths.rows} measured; ${failed ? `${failed} check(s) FAILED` : 'no check failed'}. ${DATA_NOTE}`,
        fence('preflight', formatPreflight(report, { maxTokens: TOKENS_SHOWN })),
      ];
      if (failed) lines.push('Fix the failed checks (each names its fix) with edit_file before asking to run the training.');
      return { ok: true, output: lines.join('\n'), data: report };
    } catch (err) {
      return { ok: false, output: helperFailure(`Preflight of ${args.path}`, err, ctx.python) };
    }
  },
};
