/**
 * Loads the heavy parts of the extension (the LLM SDKs, the MCP SDK) on first use.
 *
 * In the production build (esbuild.js defines __BUNDLED__) they are sibling bundles,
 * dist/llm.js and dist/mcp.js, required at run time; elsewhere (unit tests through tsx,
 * the test suite bundle) the TypeScript modules themselves. The sibling bundles get the
 * modules whose identity matters — LlmError (instanceof checks in the agent loop) and the
 * redactor (keys read by the factory are redacted everywhere) — from this bundle, through
 * SHARED_MODULES (esbuild.js resolves their imports there), so there is one copy of each.
 */
import * as path from 'node:path';
import * as llmTypes from '../../core/llm/types';
import * as redact from '../../core/util/redact';
import type * as LlmBundle from './llmBundle';
import type * as McpBundle from './mcpBundle';

declare const __BUNDLED__: boolean | undefined;

/** The global the sibling bundles read the shared modules from (keyed by their path without extension). */
export const SHARED_MODULES_KEY = 'ml-intern.shared-modules';
/** Source paths (repo-relative, no extension) of the modules the sibling bundles take from this one. */
export const SHARED_MODULE_PATHS = ['src/core/llm/types', 'src/core/util/redact'] as const;

function requireSibling<T>(file: string): T {
  const g = globalThis as Record<symbol, unknown>;
  g[Symbol.for(SHARED_MODULES_KEY)] ??= { 'src/core/llm/types': llmTypes, 'src/core/util/redact': redact };
  // A computed path: esbuild leaves this require to run time.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(__dirname, file)) as T;
}

// No cache of our own: Node's require keeps each module (and esbuild's bundle its initialised
// modules), so the second call returns the first call's module, without module-level state here.
export function loadLlm(): typeof LlmBundle {
  // Written out in place (not behind a helper) so that esbuild drops the source branch, and its SDK, from dist/extension.js.
  if (typeof __BUNDLED__ !== 'undefined' && __BUNDLED__) return requireSibling<typeof LlmBundle>('llm.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  else return require('./llmBundle') as typeof LlmBundle;
}

export function loadMcp(): typeof McpBundle {
  // Written out in place (not behind a helper) so that esbuild drops the source branch, and its SDK, from dist/extension.js.
  if (typeof __BUNDLED__ !== 'undefined' && __BUNDLED__) return requireSibling<typeof McpBundle>('mcp.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  else return require('./mcpBundle') as typeof McpBundle;
}
