/**
 * Independent read-only tool calls in one turn (the model asked for environment and inspect_data
 * together) run at the same time: a turn costs the slowest call, not their sum. Anything that
 * writes, starts a process the user approves, or steers the run (plan, finish, ask_user) runs
 * alone and in order, so approvals and the run's control never interleave.
 */
import { ToolCall } from '../llm/types';
import { ToolRegistry } from '../tools/registry';

/** Free tools that change the run itself rather than read something. */
const STEERING = new Set(['plan', 'finish', 'ask_user']);

/** True when the call only reads (a 'free' tool that does not steer the run); unknown tools are not. */
export function isReadOnlyCall(call: Pick<ToolCall, 'name'>, registry: ToolRegistry): boolean {
  return registry.get(call.name)?.approval === 'free' && !STEERING.has(call.name);
}

/**
 * The calls in the order given, grouped: each run of consecutive read-only calls is one batch
 * (executed concurrently), every other call a batch of its own.
 */
export function batchCalls<T extends Pick<ToolCall, 'name'>>(calls: T[], registry: ToolRegistry): T[][] {
  const batches: T[][] = [];
  for (const call of calls) {
    const last = batches[batches.length - 1];
    if (last && isReadOnlyCall(call, registry) && isReadOnlyCall(last[0], registry)) last.push(call);
    else batches.push([call]);
  }
  return batches;
}
