/**
 * The doom-loop guard. Each tool call gets a signature: name + normalised
 * arguments + a hash of its result, so polling a log that keeps growing is
 * not a loop. Three identical calls in a row, or a cycle of 2-5 calls seen
 * twice in a row, trips it: the first time the agent is warned, the next
 * time the run stops and asks the user.
 */
import { createHash } from 'node:crypto';

export type GuardVerdict = { level: 'none' } | { level: 'warn' | 'stop'; reason: string };

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v as Record<string, unknown>)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return typeof v === 'string' ? v.trim() : v;
}

/** Parts of an observation that change on every call without saying anything new (numbered logs, durations). */
function stableOutput(output: string): string {
  return output
    .replace(/\b(cmd|snippet|obs)-\d+\.(log|py|txt)\b/g, '$1-#.$2')
    // A detached command keeps its records in logs/cmd-N/ (train.log, slurm-<job>.out).
    .replace(/\bcmd-\d+\//g, 'cmd-#/')
    .replace(/\bslurm-\d+\.out\b/g, 'slurm-#.out')
    .replace(/\bafter \d+(\.\d+)? s\b/g, 'after # s');
}

/** Tools that start a process: a failure is the same failure when its exit code and exception are. */
const COMMAND_TOOLS = new Set(['run', 'run_python', 'submit_job']);
const EXCEPTION_RE = /^\s*(?:\[rank\d+\]:?\s*)?(?:[\w.]+\.)?\w*(?:Error|Exception|Interrupt|Exit)\b.*$/gm;

/** The last exception line of a command's output, numbers blurred (an OOM names the free memory of the moment), or ''. */
function lastException(output: string): string {
  const found = output.match(EXCEPTION_RE);
  return found ? found[found.length - 1].trim().replace(/\d+(\.\d+)?/g, '#') : '';
}

/**
 * name + normalised arguments + a hash of what came back. A failed command is signed by its exit
 * code and last exception line, not its whole output: its log path, timings and progress differ
 * on every try while the failure is the same.
 */
export function callSignature(name: string, args: unknown, output: string, data?: unknown): string {
  const exitCode = data && typeof data === 'object' ? (data as { exitCode?: unknown }).exitCode : undefined;
  const failedCommand = COMMAND_TOOLS.has(name) && typeof exitCode === 'number' && exitCode !== 0;
  const what = failedCommand ? `exit ${exitCode}|${lastException(output)}` : stableOutput(output);
  const hash = createHash('sha256').update(what).digest('hex').slice(0, 16);
  return `${name}|${JSON.stringify(sortKeys(args))}|${hash}`;
}

export class DoomLoopGuard {
  private history: string[] = [];
  private trips = 0;

  /** Record one call; says whether the guard trips. */
  record(signature: string, toolName: string): GuardVerdict {
    this.history.push(signature);
    if (this.history.length > 20) this.history.shift();
    const reason = this.detect(toolName);
    if (!reason) return { level: 'none' };
    this.history = [];
    this.trips++;
    return { level: this.trips === 1 ? 'warn' : 'stop', reason };
  }

  /** After the user answered, the next loop starts from a clean slate. */
  reset(): void {
    this.history = [];
    this.trips = 0;
  }

  private detect(toolName: string): string | undefined {
    const h = this.history;
    const n = h.length;
    if (n >= 3 && h[n - 1] === h[n - 2] && h[n - 2] === h[n - 3]) {
      return `the same ${toolName} call with the same arguments returned the same result 3 times in a row`;
    }
    for (let k = 2; k <= 5; k++) {
      if (n < 2 * k) break;
      const a = h.slice(n - 2 * k, n - k);
      const b = h.slice(n - k);
      if (a.every((s, i) => s === b[i]) && new Set(b).size > 1) {
        return `the same cycle of ${k} tool calls (${b.map((s) => s.split('|')[0]).join(' → ')}) repeated with the same results`;
      }
    }
    return undefined;
  }
}
