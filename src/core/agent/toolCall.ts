/**
 * One tool call from the model: parse, validate, run. Anything malformed
 * (bad JSON, unknown tool, wrong argument types) becomes an error observation
 * the model can correct; a throwing handler too. Never a crash.
 */
import { parseToolArguments } from '../llm/toolArgs';
import { ToolCall } from '../llm/types';
import { ToolRegistry } from '../tools/registry';
import { describeParameters, resolveAliases, validateArgs } from '../tools/schema';
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
  const named = resolveAliases(parsed.value, tool.aliases, tool.parameters);
  if ('error' in named) return { args: parsed.value, reached: false, result: { ok: false, output: `Invalid arguments for '${call.name}': ${named.error}. Nothing was done.` } };
  const errors = validateArgs(tool.parameters, named.args);
  if (errors.length) {
    return {
      args: named.args,
      reached: false,
      result: {
        ok: false,
        output: `Invalid arguments for '${call.name}': ${errors.join('; ')}. Nothing was done. Parameters: ${describeParameters(tool.parameters, tool.aliases)}`,
      },
    };
  }
  try {
    const result = await tool.handler(named.args as never, ctx);
    // Say which names were read as which, so the model sees its values were honoured, not guessed.
    const note = named.renamed.length ? `(Read ${named.renamed.join(', ')}.)\n` : '';
    return { args: named.args, reached: true, result: note ? { ...result, output: note + result.output } : result };
  } catch (err) {
    if (ctx.signal.aborted) return { args: parsed.value, reached: true, result: { ok: false, output: `Cancelled while '${call.name}' was running.` } };
    return { args: parsed.value, reached: true, result: { ok: false, output: `The tool '${call.name}' failed: ${errorMessage(err)}` } };
  }
}
