/**
 * The first user message: the goal, then what the machine is (installed library versions, GPUs).
 * It goes there rather than into the system prompt so that the system prompt and the tool list —
 * the prefix providers cache — stay the same across runs and machines.
 */
import { summarizeEnvironment } from '../tools/domain/environment';
import { cachedEnvReport, helperFailure } from '../tools/domain/shared';
import { ToolContext } from '../tools/types';
import { BRIEFING_HEADING } from './briefingText';

export { firstUserMessage } from './briefingText';

/** Context for the first user message, computed once when the run is created. */
export type Briefing = (ctx: ToolContext) => Promise<string | undefined>;

/** The environment report (cached for the run: `environment`, write_recipe and estimate_memory reuse it), as the model reads it. */
export const environmentBriefing: Briefing = async (ctx) => {
  try {
    const report = await cachedEnvReport(ctx);
    return [
      `${BRIEFING_HEADING} (checked when the run started; \`environment\` with refresh: true checks again)`,
      summarizeEnvironment(report),
      'These installed versions rule over what you remember of the libraries (see the renames guide).',
    ].join('\n');
  } catch (err) {
    return `${BRIEFING_HEADING}\n${helperFailure('The environment check', err, ctx.python)}\nCall \`environment\` before planning a training run.`;
  }
};
