/**
 * The configured LlmProvider for the extension: the core factory with the
 * VS Code language models added. Undefined in recipe mode (provider 'none').
 * Throws an LlmError with an actionable message when the setup is incomplete
 * (no key, no base URL, no model available).
 */
import * as vscode from 'vscode';
import type { ProviderDeps } from '../../core/llm/factory';
import { LlmProvider } from '../../core/llm/types';
import { Host } from '../host';
import { loadLlm } from '../lazy/loader';

export async function createHostProvider(host: Host, deps: Omit<ProviderDeps, 'extraProviders'> = {}): Promise<LlmProvider | undefined> {
  const settings = host.settings();
  // Recipe mode loads no SDK at all; otherwise the provider bundle (dist/llm.js) is loaded now, once.
  if (settings.provider === 'none') return undefined;
  const { createProvider, selectVsCodeModel } = loadLlm();
  return createProvider(settings, host.secrets, {
    ...deps,
    extraProviders: { 'vscode-lm': (s) => selectVsCodeModel(vscode, s.model, s.contextWindow) },
  });
}
