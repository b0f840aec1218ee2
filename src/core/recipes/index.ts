/** The recipe engine: specs -> scripts, the library renames table, memory estimates, prompts. */
export * from './spec';
export * from './render';
export * from './configBlock';
export * from './libraryVersions';
export * from './estimate';
export * from './shardPlan';
export * from './nodePlan';
export * from './modelTable';
export { commentText, shellLine } from './templates/escape';
export { loadPrompt, promptsDir, PROMPT_NAMES } from './prompts';
export type { PromptName } from './prompts';
