/** The terminal area's public surface for other areas. */
export { showRunTerminal, createRunPseudoterminal } from './runTerminal';
export type { ShowRunTerminalOptions } from './runTerminal';
export { VsCodeExecutor } from './vsCodeExecutor';
export type { VsCodeExecutorOptions } from './vsCodeExecutor';
export type { TerminalRun } from '../../ui/terminal/runTerminalCore';
