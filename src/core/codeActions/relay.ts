/**
 * A tool call made by the model's code, run as if the model had called the tool directly: the
 * same registry, the same argument checks, the same ToolContext — so the same approvals
 * (a write is a reviewed diff, a command asks unless mlIntern.autoApprove allows it). The code
 * gets the tool's text; nothing in the interpreter can answer for the user.
 */
import { ToolRegistry } from '../tools/registry';
import { describeParameters, resolveAliases, validateArgs } from '../tools/schema';
import { errorMessage } from '../tools/text';
import { ToolContext } from '../tools/types';

/**
 * Not functions inside the code: `finish` and `ask_user` end the model's turn (they are direct
 * tools), and `python` inside python would start nothing new.
 */
export const NOT_FROM_CODE = new Set(['finish', 'ask_user', 'python']);

/** What a tool call from code returns to the interpreter, at most this long (the data stays on the host). */
const ANSWER_CAP = 1_000_000;

export interface RelayedCall {
  name: string;
  ok: boolean;
  /** One line for the step's observation: which tool, and how it ended. */
  summary: string;
}

export interface RelayOptions {
  registry: ToolRegistry;
  ctx: ToolContext;
  /** For the UI's cards of the calls: `<run>-code-<step>-<n>`. */
  callId: string;
}

export async function relayToolCall(name: string, args: Record<string, unknown>, options: RelayOptions): Promise<{ ok: boolean; output: string; call: RelayedCall }> {
  const { registry, ctx, callId } = options;
  const fail = (output: string) => ({ ok: false, output, call: { name, ok: false, summary: `${name}: ${firstLine(output)}` } });
  if (NOT_FROM_CODE.has(name)) return fail(`${name} cannot be called from code: end the step and call it as a tool.`);
  const tool = registry.get(name);
  if (!tool) return fail(`Unknown tool '${name}'. Available: ${registry.names().filter((n) => !NOT_FROM_CODE.has(n)).join(', ')}.`);
  const named = resolveAliases(args, tool.aliases, tool.parameters);
  if ('error' in named) return fail(`Invalid arguments for '${name}': ${named.error}. Nothing was done.`);
  const errors = validateArgs(tool.parameters, named.args);
  if (errors.length) return fail(`Invalid arguments for '${name}': ${errors.join('; ')}. Nothing was done. Parameters: ${describeParameters(tool.parameters, tool.aliases)}`);
  ctx.emit({ type: 'tool_call', runId: ctx.runId, callId, name, args: named.args });
  let ok: boolean;
  let output: string;
  let data: unknown;
  try {
    const result = await tool.handler(named.args as never, ctx);
    ({ ok, output, data } = result);
  } catch (err) {
    ok = false;
    output = ctx.signal.aborted ? `Cancelled while '${name}' was running.` : `The tool '${name}' failed: ${errorMessage(err)}`;
  }
  ctx.emit({ type: 'tool_result', runId: ctx.runId, callId, name, ok, summary: firstLine(output), ...(data === undefined ? {} : { data }) });
  const answer = output.length > ANSWER_CAP ? `${output.slice(0, ANSWER_CAP)}\n[... ${output.length - ANSWER_CAP} characters cut ...]` : output;
  return { ok, output: answer, call: { name, ok, summary: `${name}: ${ok ? 'ok' : firstLine(output)}` } };
}

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
