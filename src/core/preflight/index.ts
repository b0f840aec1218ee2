export * from './types';
export { preflightRecipe, preflightSpec } from './run';
export type { PreflightOptions } from './run';
export { formatPreflight, countFailures } from './format';
export type { FormatOptions } from './format';
