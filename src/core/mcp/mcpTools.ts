/**
 * MCP servers (stdio) from `Settings.mcpServers`, through the official SDK:
 * each server's tools are registered as `mcp__<server>__<tool>` with approval
 * 'run' (the user approves each call unless mlIntern.autoApprove allows it). A server marked
 * `"sandbox": true` starts inside the sandbox (mcpSandbox.ts) and its calls are approved as
 * sandboxed. Dispose the hub to close the servers.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { JsonSchema } from '../llm/types';
import { Logger } from '../ports';
import { McpServerConfig } from '../settings';
import { sandboxedAs } from '../sandbox/command';
import { SandboxPlan } from '../sandbox/types';
import { mcpLaunch, McpSandboxOptions } from './mcpSandbox';
import { ToolRegistry } from '../tools/registry';
import { errorMessage } from '../tools/text';
import { ToolDefinition } from '../tools/types';
import { VERSION } from '../version';

export interface McpHub {
  tools: ToolDefinition<Record<string, unknown>>[];
  /** One line per server that could not be started or listed. */
  errors: string[];
  dispose(): Promise<void>;
}

export interface McpOptions {
  /** Working folder of the servers (the workspace root). */
  cwd?: string;
  logger?: Logger;
  /** Per call; default 10 minutes. */
  callTimeoutMs?: number;
  /** Per server start + list; default 30 s. */
  startTimeoutMs?: number;
  /** For the servers marked `"sandbox": true`: the user's sandbox settings. */
  sandbox?: McpSandboxOptions;
}

export function mcpToolName(server: string, tool: string): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, '_');
  return `mcp__${clean(server)}__${clean(tool)}`.slice(0, 64);
}

type ContentBlock = { type: string; text?: string; mimeType?: string; resource?: { uri?: string; text?: string } };

function renderContent(content: ContentBlock[] | undefined, structured: unknown): string {
  const parts = (content ?? []).map((c) => {
    if (c.type === 'text') return c.text ?? '';
    if (c.type === 'resource') return c.resource?.text ?? `[resource ${c.resource?.uri ?? ''}]`;
    return `[${c.type}${c.mimeType ? ` ${c.mimeType}` : ''} content]`;
  });
  if (!parts.length && structured !== undefined) parts.push(JSON.stringify(structured));
  return parts.join('\n');
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000} s`)), ms)))]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

async function connect(name: string, config: McpServerConfig, options: McpOptions): Promise<{ client: Client; tools: ToolDefinition<Record<string, unknown>>[] }> {
  const launch = mcpLaunch(name, config, options.cwd ?? process.cwd(), options.sandbox);
  if (!launch.ok) throw new Error(launch.message);
  const transport = new StdioClientTransport({
    command: launch.command,
    args: launch.args,
    env: { ...getDefaultEnvironment(), ...config.env },
    cwd: options.cwd,
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => options.logger?.debug(`mcp ${name}: ${chunk.toString('utf8').trimEnd()}`));
  const client = new Client({ name: 'ml-intern', version: VERSION });
  try {
    await withTimeout(client.connect(transport), options.startTimeoutMs ?? 30_000, `starting MCP server '${name}'`);
    const listed = await withTimeout(client.listTools(), options.startTimeoutMs ?? 30_000, `listing the tools of MCP server '${name}'`);
    const tools = listed.tools.map((t) => mcpTool(name, client, t, options, launch.plan));
    return { client, tools };
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
}

function mcpTool(
  server: string,
  client: Client,
  tool: { name: string; description?: string; inputSchema: { type: string; [k: string]: unknown } },
  options: McpOptions,
  plan: SandboxPlan | undefined,
): ToolDefinition<Record<string, unknown>> {
  const name = mcpToolName(server, tool.name);
  return {
    name,
    description: `${tool.description ?? tool.name}\n(Tool '${tool.name}' of the MCP server '${server}'.)`,
    parameters: (tool.inputSchema?.type ? tool.inputSchema : { type: 'object', properties: {} }) as JsonSchema,
    approval: 'run',
    async handler(args, ctx) {
      const decision = await ctx.approveCommand({
        argv: [`mcp:${server}`, tool.name],
        reason: `MCP tool ${tool.name} of ${server}`,
        origin: 'agent',
        tool: name,
        detail: JSON.stringify(args, null, 2),
        // A confined server's calls are sandboxed: autoApprove "sandboxed" lets them through when its network is off.
        ...sandboxedAs(plan),
      });
      if (!decision.approved) {
        return { ok: false, output: `The user did not approve calling ${name}${decision.reason ? `: ${decision.reason}` : ''}.`, data: { approved: false } };
      }
      try {
        const result = await client.callTool({ name: tool.name, arguments: args }, undefined, {
          signal: ctx.signal,
          timeout: options.callTimeoutMs ?? 600_000,
        });
        const text = renderContent(result.content as ContentBlock[] | undefined, result.structuredContent);
        if (result.isError) return { ok: false, output: `${name} returned an error: ${text || '(no message)'}` };
        return { ok: true, output: text || '(empty result)', data: { server, tool: tool.name } };
      } catch (err) {
        return { ok: false, output: `Calling ${name} failed: ${errorMessage(err)}` };
      }
    },
  };
}

/** Start every configured server, list their tools; a server that fails is reported, the others still work. */
export async function connectMcpServers(servers: Record<string, McpServerConfig>, options: McpOptions = {}): Promise<McpHub> {
  const clients: Client[] = [];
  const tools: ToolDefinition<Record<string, unknown>>[] = [];
  const errors: string[] = [];
  await Promise.all(
    Object.entries(servers).map(async ([name, config]) => {
      try {
        const c = await connect(name, config, options);
        clients.push(c.client);
        tools.push(...c.tools);
      } catch (err) {
        errors.push(`MCP server '${name}' (${config.command}) could not be used: ${errorMessage(err)}. Check mlIntern.mcpServers.`);
      }
    }),
  );
  return {
    tools,
    errors,
    async dispose() {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    },
  };
}

/** Connect and register the servers' tools on a registry. */
export async function registerMcpServers(registry: ToolRegistry, servers: Record<string, McpServerConfig>, options: McpOptions = {}): Promise<McpHub> {
  const hub = await connectMcpServers(servers, options);
  for (const t of hub.tools) registry.register(t);
  return hub;
}
