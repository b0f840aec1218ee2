/**
 * Characters of one tool result the model sees: agent/observation.ts caps every result to it, and
 * read_file pages below it. Here, in tools/, because the agent sits above the tools and both need it.
 */
export const OBSERVATION_CAP = 8_000;
