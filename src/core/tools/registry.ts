/**
 * The tools the agent may call. Features extend it by registering their own
 * definitions (recovery adds `diagnose`, python helpers add `inspect_data`,
 * custom tools and MCP servers add theirs at start).
 */
import { ToolSpec } from '../llm/types';
import { AnyToolDefinition, ToolDefinition } from './types';

export class ToolRegistry {
  private readonly tools = new Map<string, AnyToolDefinition>();

  constructor(tools: AnyToolDefinition[] = []) {
    for (const t of tools) this.register(t);
  }

  /** Add a tool; a later registration with the same name replaces the earlier one. */
  register<A>(tool: ToolDefinition<A>): this {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(tool.name)) throw new Error(`Tool name '${tool.name}' must be 1-64 letters, digits, '_' or '-'.`);
    this.tools.set(tool.name, closeSchema(tool) as unknown as AnyToolDefinition);
    return this;
  }

  unregister(name: string): void {
    this.tools.delete(name);
  }

  get(name: string): AnyToolDefinition | undefined {
    return this.tools.get(name);
  }

  has(name: string): boolean {
    return this.tools.has(name);
  }

  names(): string[] {
    return [...this.tools.keys()];
  }

  list(): AnyToolDefinition[] {
    return [...this.tools.values()];
  }

  /** What the LLM sees. */
  specs(): ToolSpec[] {
    return this.list().map((t) => ({ name: t.name, description: t.description, parameters: t.parameters }));
  }
}

/**
 * Unknown arguments are refused, not silently dropped: a tool whose object schema lists its
 * properties and says nothing about others gets `additionalProperties: false` (the validator
 * then names the allowed ones). A schema that allows extras explicitly keeps them.
 */
function closeSchema<A>(tool: ToolDefinition<A>): ToolDefinition<A> {
  const p = tool.parameters;
  if (p.type !== 'object' || !p.properties || 'additionalProperties' in p) return tool;
  return { ...tool, parameters: { ...p, additionalProperties: false } };
}
