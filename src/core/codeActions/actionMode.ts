/**
 * `mlIntern.agent.actions`: which tools the loop offers the model.
 *  - `tools`: the JSON tools, as before (no `python` tool).
 *  - `code`: `python` plus the tools that steer the run (plan, ask_user, finish); every other
 *    tool is a function inside the code.
 *  - `both`: every JSON tool and `python`.
 * The hosts call it once the registry holds every tool (custom @tool functions and MCP tools
 * included), pass `tools` to the agent, and `dispose` when the session ends.
 */
import { ToolRegistry } from '../tools/registry';
import type { AgentActions } from '../settings';
import { CodeActionOptions, CodeActions } from './pythonTool';

/** What the model steers the run with: direct tools in every mode. */
const STEERING = ['plan', 'ask_user', 'finish'];

export interface ActionTools {
  /** The registry the agent loop offers. */
  tools: ToolRegistry;
  /** The interpreters, when code actions are on. */
  codeActions?: CodeActions;
  dispose(): Promise<void>;
}

export function withCodeActions(full: ToolRegistry, mode: AgentActions | undefined, options: CodeActionOptions = {}): ActionTools {
  if (!mode || mode === 'tools') return { tools: full, dispose: async () => undefined };
  // The code calls every tool of the full registry, whatever the loop offers directly.
  const codeActions = new CodeActions(full, options);
  const offered = mode === 'both'
    ? new ToolRegistry(full.list())
    : new ToolRegistry(STEERING.flatMap((name) => full.get(name) ?? []));
  offered.register(codeActions.tool());
  return { tools: offered, codeActions, dispose: () => codeActions.dispose() };
}
