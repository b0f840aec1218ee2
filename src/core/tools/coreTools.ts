/** The built-in tools every run has. */
import { askUserTool, finishTool, planTool } from './controlTools';
import { listFilesTool } from './listFiles';
import { readFileTool } from './readFile';
import { ToolRegistry } from './registry';
import { runPythonTool, runTool } from './runTools';
import { AnyToolDefinition } from './types';
import { editFileTool, writeFileTool } from './writeFile';

export function coreTools(): AnyToolDefinition[] {
  return [readFileTool, listFilesTool, writeFileTool, editFileTool, runTool, runPythonTool, planTool, askUserTool, finishTool] as AnyToolDefinition[];
}

/** A registry with the core tools; features register more on it. */
export function createCoreRegistry(): ToolRegistry {
  return new ToolRegistry(coreTools());
}
