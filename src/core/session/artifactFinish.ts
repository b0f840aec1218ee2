/**
 * What an Evaluate / Merge / Push / Try It / Export run says once its last step ended well: for an
 * evaluation the base-vs-trained table (kept in the run folder, shown as the panel's table card),
 * for Try It the answers kept, for the others where their output is.
 */
import { AgentEvent } from '../events';
import { Logger } from '../ports';
import { RunHandle } from '../runs/runStore';
import { comparisonCaveats, doneSummary, EVAL_FINISHED, evalTable, keepTryItAnswers, parseComparison, ArtifactDeps, ArtifactPlan, ArtifactRequest, EvalRow } from './artifactPlan';

export interface FinishContext {
  files: ArtifactDeps['files'];
  handle: RunHandle;
  emit: (event: AgentEvent) => void;
  logger?: Logger;
}

/** `summary`: the outcome's text; `said`: the closing message (without the table the card already shows). */
export async function finishedSummary(r: ArtifactRequest, plan: ArtifactPlan, ctx: FinishContext): Promise<{ summary: string; said: string }> {
  if (r.kind === 'eval' && plan.comparisonFile) return evalSummary(r, plan.comparisonFile, plan, ctx);
  if (r.kind === 'try-it') await keepTryItAnswers(ctx.files, plan, (name, text) => ctx.handle.writeFile(name, text)).catch((err) => ctx.logger?.warn(`answers.jsonl: ${String(err)}`));
  const summary = doneSummary(r, plan, ctx.handle.folder);
  return { summary, said: summary };
}

async function evalSummary(r: Extract<ArtifactRequest, { kind: 'eval' }>, comparisonFile: string, plan: ArtifactPlan, ctx: FinishContext): Promise<{ summary: string; said: string }> {
  const text = await ctx.files.readIfExists(comparisonFile);
  if (text === undefined) {
    const summary = `The evaluation finished but ${comparisonFile} was not written; the LightEval results are under ${plan.folder}/results/.`;
    return { summary, said: summary };
  }
  let rows: EvalRow[];
  try {
    rows = parseComparison(text);
  } catch (err) {
    rows = [];
    ctx.logger?.warn(`${comparisonFile}: ${err instanceof Error ? err.message : String(err)}`);
  }
  await ctx.handle.writeFile('results/comparison.json', text);
  if (!rows.length) {
    const summary = `The evaluation finished but ${comparisonFile} holds no rows.`;
    return { summary, said: summary };
  }
  // A workspace folder (not a Hub id) can be tried from the card.
  const model = r.model && (await ctx.files.exists(r.model).catch(() => false)) ? { model: r.model } : {};
  ctx.emit({ type: 'eval_results', runId: ctx.handle.id, rows, ...model });
  const caveats = comparisonCaveats(text);
  const caveatText = caveats.length ? `\n\nNot comparable (evaluated differently):\n${caveats.map((c) => `- ${c}`).join('\n')}` : '';
  const where = `The table is in \`${comparisonFile}\`; LightEval's details are under \`${plan.folder}/results/\`.`;
  // The panel shows the rows as its table card (emitted above): the message does not repeat them.
  return {
    summary: `${EVAL_FINISHED} ${r.model} against its base.\n\n${evalTable(rows)}${caveatText}\n\n${where}`,
    said: `${EVAL_FINISHED} ${r.model} against its base (the table above).${caveatText}\n\n${where}`,
  };
}
