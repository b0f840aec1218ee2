/**
 * One tool call from the model: parse, validate, run. Anything malformed
 * (bad JSON, unknown tool, wrong argument types) becomes an error observation
 * the model can correct; a throwing handler too. Never a crash.
 */
import { parseToolArguments } from '../llm/toolArgs';
import { ToolCall } from '../llm/types';
import { ToolRegistry } from '../tools/registry';
import { validateArgs } from '../tools/schema';
import { errorMessage } from '../tools/text';
import { ToolContext, ToolResult } from '../tools/types';

export interface ExecutedCall {
  args: unknown;
  result: ToolResult;
  /** False when the call never reached a handler (malformed). */
  reached: boolean;
}

export async function executeToolCall(call: ToolCall, registry: ToolRegistry, ctx: ToolContext): Promise<ExecutedCall> {
  const tool = registry.get(call.name);
  if (!tool) {
    return {
      args: call.arguments,
      reached: false,
      result: { ok: false, output: `Unknown tool '${call.name}'. Available tools: ${registry.names().join(', ')}.` },
    };
  }
  const parsed = parseToolArguments(call);
  if (!parsed.ok) return { args: call.arguments, reached: false, result: { ok: false, output: parsed.error } };
  const errors = validateArgs(tool.parameters, parsed.value);
  if (errors.length) {
    return {
      args: parsed.value,
      reached: false,
      result: {
        ok: false,
        output: `Invalid arguments for '${call.name}': ${errors.join('; ')}. Nothing was done. Expected parameters: ${JSON.stringify(tool.parameters)}`,
      },
    };
  }
  try {
    return { args: parsed.value, reached: true, result: await tool.handler(parsed.value as never, ctx) };
  } catch (err) {
    if (ctx.signal.aborted) return { args: parsed.value, reached: true, result: { ok: false, output: `Cancelled while '${call.name}' was running.` } };
    return { args: parsed.value, reached: true, result: { ok: false, output: `The tool '${call.name}' failed: ${errorMessage(err)}` } };
  }
}
