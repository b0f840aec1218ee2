/** Autonomous error recovery: diagnosis, the deterministic playbook, the repair loop, preflight. */
export * from './types';
export { diagnose, diagnoseStream, diagnoseLines } from './diagnose';
export { stripAnsi, LogScanner } from './logScan';
export { playbook } from './playbook';
export type { PlaybookFix, PlaybookInput, AttemptSummary } from './playbook';
export { repairLoop } from './repairLoop';
export type { RepairLoopOptions, RepairResult, RepairAttempt, RunResult, ScriptRunner } from './repairLoop';
export { preflight } from './preflight';
export type { PreflightFix, PreflightResult } from './preflight';
export { proposeLlmFix, applyLlmAnswer, buildRepairPrompt } from './llmFix';
export * as scriptEdits from './scriptEdits';
