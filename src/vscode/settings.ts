import * as vscode from 'vscode';
import { DEFAULT_SETTINGS, Settings } from '../core/settings';
import { DEFAULT_SANDBOX_SETTINGS } from '../core/sandbox/types';

/** Read `mlIntern.*` into the core's Settings, falling back to the defaults. */
export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('mlIntern');
  const d = DEFAULT_SETTINGS;
  return {
    provider: c.get('provider', d.provider),
    model: c.get('model', d.model),
    baseUrl: c.get('baseUrl', d.baseUrl),
    maxSteps: c.get('maxSteps', d.maxSteps),
    maxCostUsd: c.get('maxCostUsd', d.maxCostUsd),
    maxTokens: c.get('maxTokens', d.maxTokens),
    contextWindow: c.get('contextWindow', d.contextWindow),
    reasoningEffort: c.get('reasoningEffort', d.reasoningEffort),
    autoApprove: c.get('autoApprove', d.autoApprove),
    pythonPath: c.get('pythonPath', d.pythonPath),
    prices: c.get('prices', d.prices),
    executionTarget: c.get('execution.target', d.executionTarget),
    slurm: {
      partition: c.get('slurm.partition', d.slurm.partition),
      gpus: c.get('slurm.gpus', d.slurm.gpus),
      timeLimit: c.get('slurm.timeLimit', d.slurm.timeLimit),
      extraDirectives: c.get('slurm.extraDirectives', d.slurm.extraDirectives),
      gpuCheck: c.get('slurm.gpuCheck', d.slurm.gpuCheck),
      nodes: c.get('slurm.nodes', d.slurm.nodes),
    },
    mcpServers: c.get('mcpServers', d.mcpServers),
    maxRecoveryAttempts: c.get('maxRecoveryAttempts', d.maxRecoveryAttempts),
    sandbox: {
      mode: c.get('sandbox', DEFAULT_SANDBOX_SETTINGS.mode),
      network: c.get('sandboxNetwork', DEFAULT_SANDBOX_SETTINGS.network),
      image: c.get('sandboxImage', DEFAULT_SANDBOX_SETTINGS.image),
      trainings: c.get('sandboxTrainings', DEFAULT_SANDBOX_SETTINGS.trainings),
      nodesUnconfined: c.get('sandboxNodesUnconfined', DEFAULT_SANDBOX_SETTINGS.nodesUnconfined),
    },
    agentActions: c.get('agent.actions', d.agentActions),
    // Checked where it is used (core/workFolder.ts), so a value outside the workspace is refused with the setting's name.
    workFolder: c.get('workFolder', d.workFolder),
    // Only a value the user set: unset, the launch plan picks (FSDP unless torch is too old for it and deepspeed is installed).
    ...userSharding(c.inspect<Settings['sharding']>('sharding')),
  };
}

function userSharding(i: { globalValue?: Settings['sharding']; workspaceValue?: Settings['sharding']; workspaceFolderValue?: Settings['sharding'] } | undefined): Pick<Settings, 'sharding'> {
  const v = i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue;
  return v === 'fsdp' || v === 'deepspeed' ? { sharding: v } : {};
}
