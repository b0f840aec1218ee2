/**
 * The ML domain tools: inspect data, check the machine, write a recipe as
 * reviewable changes, estimate memory, validate a script, diagnose a log.
 */
import { coreTools } from '../coreTools';
import { ToolRegistry } from '../registry';
import { submitJobTool } from '../submitJob';
import { AnyToolDefinition } from '../types';
import { diagnoseLogTool } from './diagnoseLog';
import { environmentTool } from './environment';
import { estimateMemoryTool } from './estimateMemory';
import { inspectDataTool } from './inspectData';
import { preflightTool } from './preflight';
import { readGuideTool } from './readGuide';
import { tryModelTool } from './tryModel';
import { validateScriptTool } from './validateScript';
import { writeRecipeTool } from './writeRecipe';

export { diagnoseLogTool, environmentTool, estimateMemoryTool, inspectDataTool, readGuideTool, tryModelTool, validateScriptTool, writeRecipeTool };
export { summarizeInspection } from './inspectData';
export { summarizeEnvironment } from './environment';
export { defaultRecipeFolder } from './writeRecipe';

export function domainTools(): AnyToolDefinition[] {
  return [inspectDataTool, environmentTool, writeRecipeTool, estimateMemoryTool, validateScriptTool, diagnoseLogTool, readGuideTool, preflightTool, tryModelTool] as AnyToolDefinition[];
}

/**
 * The core tools plus the domain tools: the registry an ML Intern agent run should get
 * (pass it as AgentDeps.tools). Not yet the default of createCoreRegistry(), see the report.
 * On the Slurm target it has submit_job too (training goes into batch jobs, not on the login node).
 */
export function createAgentRegistry(options: { executionTarget?: 'local' | 'slurm' } = {}): ToolRegistry {
  const slurm = options.executionTarget === 'slurm' ? [submitJobTool as AnyToolDefinition] : [];
  return new ToolRegistry([...coreTools(), ...domainTools(), ...slurm]);
}
