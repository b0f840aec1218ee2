/**
 * Entry of dist/mcp.js: MCP servers through the official SDK. The extension loads it
 * through ./loader only when an MCP server is configured and an agent session starts.
 */
export { registerMcpServers } from '../../core/mcp/mcpTools';
