/**
 * The executor for this machine: node-pty when it loads, otherwise
 * child_process with one visible warning (a missing native build must not stop
 * training; it only costs the terminal niceties).
 */
import { Executor, Logger } from '../ports';
import { ChildProcessExecutor } from './childProcessExecutor';
import { StopOptions } from './processBase';
import { loadNodePty, NodePtyModule, PtyExecutor } from './ptyExecutor';

export interface LocalExecutorOptions {
  stop?: Partial<StopOptions>;
  cols?: number;
  rows?: number;
  logger?: Logger;
  /** Shown to the user once when the fallback is used (a notification in VS Code). */
  onWarning?: (message: string) => void;
  /** For tests: pretend node-pty is (un)available. */
  loadPty?: () => { module?: NodePtyModule; error?: string };
}

export function fallbackWarning(reason: string): string {
  return (
    `ML Intern could not load its terminal module (node-pty: ${reason}). Runs use plain pipes instead: ` +
    'output and exit codes are still captured, but tools see no terminal (no colours; progress bars may print less often). ' +
    'Reinstall ML Intern for this platform to get the terminal back.'
  );
}

export function createLocalExecutor(options: LocalExecutorOptions = {}): Executor & { readonly kind: 'pty' | 'child_process' } {
  const loaded = (options.loadPty ?? loadNodePty)();
  if (loaded.module) {
    const ex = new PtyExecutor(loaded.module, options);
    return Object.assign(ex, { kind: 'pty' as const });
  }
  const message = fallbackWarning(loaded.error ?? 'not found');
  options.logger?.warn(message);
  options.onWarning?.(message);
  return Object.assign(new ChildProcessExecutor(options), { kind: 'child_process' as const });
}
