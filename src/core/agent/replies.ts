/**
 * What the loop tells the model about how its answer ended, when that is not a plain tool call:
 * an answer cut at the output-token limit (say so, and not to send the same large content again),
 * and a reply with text but no tool call while the plan still has open items (such a reply ends
 * the run and waits for the user: the model is reminded once before that happens).
 */
import { PlanItem } from '../events';
import { parseToolArguments } from '../llm/toolArgs';
import { StopReason, ToolCall } from '../llm/types';
import { ToolResult } from '../tools/types';

/** The answer was cut with no tool call: the model goes on from where it stopped. */
export const CUT_TEXT_NOTE =
  '[output limit] Your answer was cut off at the output-token limit. Do not repeat it: go on with a shorter answer, or call a tool. ' +
  'To write a long file, write it in parts (write_file a first part, then edit_file to add the rest) or use write_recipe.';

/**
 * A tool call whose arguments were cut by the output limit (its JSON is incomplete): it is not run,
 * and the model learns why — resending the same large content would be cut again.
 */
export function cutCallResult(call: ToolCall, stopReason: StopReason): ToolResult | undefined {
  if (stopReason !== 'max_tokens' || parseToolArguments(call).ok) return undefined;
  return {
    ok: false,
    output:
      `Not run: your answer hit the output-token limit while writing the arguments of '${call.name}' (${call.arguments.length} characters were received, the JSON is incomplete). ` +
      'Do NOT send the same large content again: it will be cut again. Split it: write_file a first part, then edit_file to append the rest in pieces; ' +
      'for training scripts prefer write_recipe (it writes them for you); keep long text out of tool arguments.',
  };
}

/**
 * The reminder for a reply without a tool call while plan items are open, or undefined when the
 * run should wait for the user (nothing open, or already reminded since the last tool call).
 */
export class OpenPlanNudge {
  private nudged = false;

  /** A tool call was made: the next text-only reply may be reminded again. */
  progressed(): void {
    this.nudged = false;
  }

  reminder(plan: readonly PlanItem[]): string | undefined {
    if (this.nudged) return undefined;
    const open = plan.filter((p) => p.status === 'pending' || p.status === 'in_progress').map((p) => p.text);
    if (!open.length) return undefined;
    this.nudged = true;
    return (
      `[loop] You replied without calling a tool, and your plan still has open items: ${open.map((t) => `"${t}"`).join(', ')}. ` +
      'A reply without a tool call ends the run and waits for the user. If you meant to go on, call the next tool now. ' +
      'If you need a decision from the user, call ask_user; if the work is done or cannot go on, update the plan and call finish.'
    );
  }
}
