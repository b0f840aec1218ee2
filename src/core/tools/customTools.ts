/**
 * Custom tools: Python functions decorated `@tool` (ml_intern_tool or
 * smolagents) in `.ml-intern/tools/`. python/describe_tools.py turns their
 * signatures and docstrings into JSON schemas; python/call_tool.py calls one.
 * They are registered with approval 'run': the user approves each call
 * unless mlIntern.autoApprove allows it.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { JsonSchema } from '../llm/types';
import { execFileRunner, PythonRunner, pythonHelpersDir } from './pythonRunner';
import { launchArgv, sandboxedAs, sandboxForCommand } from '../sandbox/command';
import { ToolRegistry } from './registry';
import { errorMessage } from './text';
import { ToolDefinition } from './types';

export const CUSTOM_TOOLS_DIR = '.ml-intern/tools';

interface Described {
  name: string;
  description: string;
  parameters: JsonSchema;
  file: string;
  function: string;
  kind: 'function' | 'smolagents';
}

export interface CustomToolOptions {
  workspaceRoot: string;
  /** The user's interpreter (settings.pythonPath or python3). */
  python: string;
  runner?: PythonRunner;
  /** Folder of describe_tools.py / call_tool.py. */
  helpersDir?: string;
  /** Absolute or workspace-relative; default `.ml-intern/tools`. */
  toolsDir?: string;
  /** Per call; default 10 minutes. */
  callTimeoutMs?: number;
}

export interface Discovery {
  tools: ToolDefinition<Record<string, unknown>>[];
  /** One line per file that failed to import, or a helper failure. */
  errors: string[];
}

function lastJsonLine(stdout: string): unknown {
  const lines = stdout.trim().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      return JSON.parse(lines[i]);
    } catch {
      // keep looking
    }
  }
  return undefined;
}

export async function discoverCustomTools(options: CustomToolOptions): Promise<Discovery> {
  const runner = options.runner ?? execFileRunner;
  const helpers = options.helpersDir ?? pythonHelpersDir();
  const dir = path.resolve(options.workspaceRoot, options.toolsDir ?? CUSTOM_TOOLS_DIR);
  const res = await runner([options.python, path.join(helpers, 'describe_tools.py'), dir], { cwd: options.workspaceRoot, timeoutMs: 60_000 });
  const parsed = lastJsonLine(res.stdout) as { tools?: Described[]; errors?: Array<{ file: string; error: string }> } | undefined;
  if (!parsed || !Array.isArray(parsed.tools)) {
    return {
      tools: [],
      errors: [`Could not describe the custom tools in ${dir} with '${options.python}' (exit ${res.code}): ${res.stderr.trim().split('\n').slice(-3).join(' ') || 'no output'}. Check mlIntern.pythonPath.`],
    };
  }
  const errors = (parsed.errors ?? []).map((e) => `${path.relative(options.workspaceRoot, e.file) || e.file}: ${e.error}`);
  const tools = parsed.tools.map((d) => customTool(d, options, runner, helpers));
  return { tools, errors };
}

/** What call_tool.py imports: the helpers a sandboxed call needs to see. */
const CALL_HELPERS = ['call_tool.py', 'describe_tools.py', 'ml_intern_tool.py'];

/**
 * A sandboxed call runs the helpers from a copy in the run folder (bound writable, so visible): the
 * extension's own folder may not be visible inside (the sandbox's private /tmp hides one installed
 * or cloned under the host's /tmp).
 */
async function helpersInRunFolder(ctx: { runFolder: string; files: { write(rel: string, text: string): Promise<void>; resolve(rel: string): string } }, helpers: string): Promise<string> {
  const rel = `${ctx.runFolder}/sandbox-helpers`;
  for (const name of CALL_HELPERS) await ctx.files.write(`${rel}/${name}`, await readFile(path.join(helpers, name), 'utf8'));
  return ctx.files.resolve(rel);
}

function customTool(d: Described, options: CustomToolOptions, runner: PythonRunner, helpers: string): ToolDefinition<Record<string, unknown>> {
  const rel = path.relative(options.workspaceRoot, d.file) || d.file;
  return {
    name: d.name,
    description: `${d.description}\n(Custom tool from ${rel}; returns its result as text.)`,
    parameters: d.parameters.type ? d.parameters : { type: 'object', properties: {} },
    approval: 'run',
    async handler(args, ctx) {
      // The user's own code: it runs in the sandbox like the agent's commands (mlIntern.sandbox), and
      // the approval says so (under autoApprove "sandboxed" a confined call goes through).
      const sandbox = sandboxForCommand(ctx);
      if (!sandbox.ok) return { ok: false, output: sandbox.message, data: { sandboxError: true } };
      const argv = [ctx.python, path.join(sandbox.plan ? await helpersInRunFolder(ctx, helpers) : helpers, 'call_tool.py'), d.file, d.function];
      const decision = await ctx.approveCommand({
        argv: [ctx.python, rel, d.function],
        reason: `custom tool ${d.name}`,
        origin: 'agent',
        tool: d.name,
        detail: JSON.stringify(args, null, 2),
        ...sandboxedAs(sandbox.plan),
      });
      if (!decision.approved) {
        return { ok: false, output: `The user did not approve calling ${d.name}${decision.reason ? `: ${decision.reason}` : ''}.`, data: { approved: false } };
      }
      let res;
      try {
        res = await runner(launchArgv({ argv, sandbox: sandbox.plan }, options.workspaceRoot, ctx.env), {
          cwd: options.workspaceRoot,
          input: JSON.stringify(args),
          env: ctx.env,
          signal: ctx.signal,
          timeoutMs: options.callTimeoutMs ?? 600_000,
        });
      } catch (err) {
        return { ok: false, output: `Could not call ${d.name}: ${errorMessage(err)}` };
      }
      const out = lastJsonLine(res.stdout) as { ok?: boolean; result?: string; error?: string } | undefined;
      if (!out || typeof out.ok !== 'boolean') {
        const tail = res.stderr.trim().split('\n').slice(-15).join('\n');
        return { ok: false, output: `${d.name} did not answer (exit ${res.code}).${tail ? `\n${tail}` : ''}` };
      }
      if (!out.ok) {
        const tail = res.stderr.trim().split('\n').slice(-10).join('\n');
        return { ok: false, output: `${d.name} raised ${out.error ?? 'an error'}${tail ? `\n--- stderr ---\n${tail}` : ''}` };
      }
      return { ok: true, output: String(out.result ?? ''), data: { tool: d.name, file: rel } };
    },
  };
}

/** Discover and register; a tool whose name is taken (a core tool) is skipped and reported. */
export async function registerCustomTools(registry: ToolRegistry, options: CustomToolOptions): Promise<Discovery> {
  const found = await discoverCustomTools(options);
  const errors = [...found.errors];
  const tools = [];
  for (const t of found.tools) {
    if (registry.has(t.name)) {
      errors.push(`custom tool '${t.name}' is not registered: the name is taken; rename the function.`);
      continue;
    }
    try {
      registry.register(t);
      tools.push(t);
    } catch (err) {
      errors.push(errorMessage(err));
    }
  }
  return { tools, errors };
}
