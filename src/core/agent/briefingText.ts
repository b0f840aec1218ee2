/**
 * How the first user message joins the goal the user typed and the environment briefing, and how
 * the goal is read back from it: a replayed run shows what the user wrote, not the briefing the
 * model was given with it.
 */
export const BRIEFING_HEADING = '## This machine';

export function firstUserMessage(goal: string, briefing: string | undefined): string {
  return briefing ? `${goal}\n\n${briefing}` : goal;
}

/** The goal part of a first user message (the whole text when no briefing follows it). */
export function goalOf(firstMessage: string): string {
  const at = firstMessage.lastIndexOf(`\n\n${BRIEFING_HEADING}`);
  return at > 0 ? firstMessage.slice(0, at) : firstMessage;
}
