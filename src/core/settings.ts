/**
 * The user's settings as the core sees them. Hosts fill it: the VS Code layer
 * from `mlIntern.*`, the CLI from flags and the environment.
 */

export type ProviderId = 'none' | 'openai' | 'anthropic' | 'openai-compatible' | 'vscode-lm';
import { DEFAULT_SANDBOX_SETTINGS, SandboxSettings } from './sandboxSettings';
import { DEFAULT_WORK_FOLDER } from './workFolder';

/** `sandboxed`: recipe changes as `recipe`, and commands that run sandboxed with the network off (see sandbox/autoApprove.ts). */
export type AutoApprovePolicy = 'never' | 'recipe' | 'sandboxed' | 'all';
/** How the agent acts (mlIntern.agent.actions): JSON tool calls, Python code that calls the tools (codeActions/), or both. */
export type AgentActions = 'tools' | 'code' | 'both';

export interface PriceOverride {
  input: number;
  output: number;
  cachedInput?: number;
  cacheWrite?: number;
}

export interface SlurmSettings {
  partition: string;
  gpus: number;
  timeLimit: string;
  extraDirectives: string[];
  /**
   * Ask a compute node for its GPUs with a short job before a recipe is planned (the login node
   * usually has none); default true. See exec/slurmProbe.ts.
   */
  gpuCheck?: boolean;
  /** Nodes a fine-tune asks for (default 1): above 1 the session proposes the multi-node batch script (exec/multiNodeSbatch.ts). */
  nodes?: number;
}

export interface McpServerConfig {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  /** Start it inside the sandbox (mlIntern.sandbox; `off` then means the best there is); its tools count as sandboxed. */
  sandbox?: boolean;
}

export type ReasoningEffort = 'off' | 'low' | 'medium' | 'high';

export interface Settings {
  provider: ProviderId;
  model: string;
  baseUrl: string;
  maxSteps: number;
  maxCostUsd: number;
  maxTokens: number;
  contextWindow: number;
  /**
   * How hard a reasoning model thinks before each answer (Anthropic extended thinking, OpenAI
   * reasoning through the Responses API); its reasoning is carried between tool calls. 'off' and
   * models without reasoning: requests as before.
   */
  reasoningEffort: ReasoningEffort;
  autoApprove: AutoApprovePolicy;
  pythonPath: string;
  prices: Record<string, PriceOverride>;
  executionTarget: 'local' | 'slurm';
  slurm: SlurmSettings;
  mcpServers: Record<string, McpServerConfig>;
  maxRecoveryAttempts: number;
  /** The sandbox the agent's commands run in (mlIntern.sandbox, sandboxNetwork, sandboxImage); absent = off. */
  sandbox?: SandboxSettings;
  /** mlIntern.agent.actions; absent = `tools`. */
  agentActions?: AgentActions;
  /** mlIntern.sharding: how a full fine-tune is sharded across GPUs and nodes; absent = `fsdp`. */
  sharding?: 'fsdp' | 'deepspeed';
  /**
   * mlIntern.workFolder: the workspace folder every command's scripts go to (workFolder.ts checks it);
   * absent = `ml-intern`, "" = the workspace root.
   */
  workFolder?: string;
}

export const DEFAULT_SETTINGS: Settings = {
  provider: 'none',
  model: '',
  baseUrl: '',
  maxSteps: 40,
  maxCostUsd: 2,
  maxTokens: 2_000_000,
  contextWindow: 0,
  reasoningEffort: 'off',
  autoApprove: 'never',
  pythonPath: '',
  prices: {},
  executionTarget: 'local',
  slurm: { partition: '', gpus: 1, timeLimit: '04:00:00', extraDirectives: [], gpuCheck: true, nodes: 1 },
  mcpServers: {},
  maxRecoveryAttempts: 5,
  sandbox: DEFAULT_SANDBOX_SETTINGS,
  agentActions: 'tools',
  workFolder: DEFAULT_WORK_FOLDER,
};
