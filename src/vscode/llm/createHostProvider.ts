/**
 * The configured LlmProvider for the extension: the core factory with the
 * VS Code language models added. Undefined in recipe mode (provider 'none').
 * Throws an LlmError with an actionable message when the setup is incomplete
 * (no key, no base URL, no model available).
 */
import * as vscode from 'vscode';
import { createProvider, ProviderDeps } from '../../core/llm/factory';
import { LlmProvider } from '../../core/llm/types';
import { Host } from '../host';
import { selectVsCodeModel } from './vscodeLmProvider';

export async function createHostProvider(host: Host, deps: Omit<ProviderDeps, 'extraProviders'> = {}): Promise<LlmProvider | undefined> {
  return createProvider(host.settings(), host.secrets, {
    ...deps,
    extraProviders: { 'vscode-lm': (settings) => selectVsCodeModel(vscode, settings.model, settings.contextWindow) },
  });
}
