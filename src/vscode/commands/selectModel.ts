/**
 * "ML Intern: Select Model": pick the provider, then the model; writes
 * mlIntern.provider and mlIntern.model (and mlIntern.baseUrl for an
 * OpenAI-compatible endpoint). Offers to set the key when one is missing.
 */
import * as vscode from 'vscode';
import { costOf, knownModels, modelInfo } from '../../core/llm/pricing';
import { SecretName } from '../../core/ports';
import { ProviderId } from '../../core/settings';
import { Host, guarded } from '../host';

interface ProviderItem extends vscode.QuickPickItem {
  id: ProviderId;
}

const PROVIDERS: ProviderItem[] = [
  { id: 'openai', label: 'OpenAI', detail: 'api.openai.com, key from ML Intern: Set API Key' },
  { id: 'anthropic', label: 'Anthropic', detail: 'api.anthropic.com, key from ML Intern: Set API Key' },
  { id: 'vscode-lm', label: 'VS Code language models', detail: 'e.g. GitHub Copilot: no key needed' },
  { id: 'openai-compatible', label: 'OpenAI-compatible endpoint', detail: 'vLLM, Ollama, LM Studio, Hugging Face router (needs a base URL)' },
  { id: 'none', label: 'No LLM (recipe mode)', detail: 'Recipes and the recovery playbook only; nothing is sent to a model' },
];

const OTHER = '$(edit) Other model id…';

export function registerSelectModel(host: Host): void {
  host.context.subscriptions.push(vscode.commands.registerCommand('mlIntern.selectModel', guarded(host, 'selectModel', () => selectModel(host))));
}

async function selectModel(host: Host): Promise<void> {
  const settings = host.settings();
  const providerPick = await vscode.window.showQuickPick(
    PROVIDERS.map((p) => ({ ...p, description: p.id === settings.provider ? '(current)' : undefined })),
    { title: 'ML Intern: which LLM provider?', ignoreFocusOut: true },
  );
  if (!providerPick) return;
  const provider = providerPick.id;
  const cfg = vscode.workspace.getConfiguration('mlIntern');
  const current = provider === settings.provider ? settings.model : '';

  let model: string | undefined = '';
  if (provider === 'openai' || provider === 'anthropic') model = await pickKnownModel(provider, current, settings.prices);
  else if (provider === 'vscode-lm') model = await pickVsCodeModel(current);
  else if (provider === 'openai-compatible') {
    const baseUrl = await vscode.window.showInputBox({
      title: 'ML Intern: base URL of the OpenAI-compatible endpoint',
      value: settings.baseUrl || 'http://localhost:11434/v1',
      prompt: 'e.g. http://localhost:11434/v1 (Ollama), http://localhost:8000/v1 (vLLM), http://localhost:1234/v1 (LM Studio), https://router.huggingface.co/v1',
      ignoreFocusOut: true,
      validateInput: (v) => (/^https?:\/\/\S+$/.test(v.trim()) ? undefined : 'Enter an http(s) URL'),
    });
    if (baseUrl === undefined) return;
    await cfg.update('baseUrl', baseUrl.trim(), vscode.ConfigurationTarget.Global);
    model = await vscode.window.showInputBox({
      title: 'ML Intern: model id on that endpoint',
      value: current,
      prompt: 'As the server names it, e.g. Qwen/Qwen2.5-72B-Instruct or llama3.1:8b',
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : 'Enter a model id'),
    });
  }
  if (model === undefined) return;

  await cfg.update('provider', provider, vscode.ConfigurationTarget.Global);
  await cfg.update('model', model.trim(), vscode.ConfigurationTarget.Global);
  host.logger.info(`Model set: provider=${provider} model=${model.trim() || '(default)'}`);

  const secret: SecretName | undefined = provider === 'openai' || provider === 'anthropic' ? provider : undefined;
  if (secret && !(await host.secrets.get(secret))) {
    const setKey = 'Set API Key';
    const choice = await vscode.window.showWarningMessage(`ML Intern: no ${providerPick.label} key is stored yet.`, setKey);
    if (choice === setKey) await vscode.commands.executeCommand('mlIntern.setApiKey', secret);
    return;
  }
  void vscode.window.showInformationMessage(
    provider === 'none' ? 'ML Intern: recipe mode (no LLM).' : `ML Intern: using ${providerPick.label}${model.trim() ? ` · ${model.trim()}` : ''}.`,
  );
}

async function pickKnownModel(provider: 'openai' | 'anthropic', current: string, prices: Parameters<typeof costOf>[2]): Promise<string | undefined> {
  const items: vscode.QuickPickItem[] = knownModels(provider).map((id) => {
    const info = modelInfo(id);
    const price = costOf(id, { inputTokens: 1_000_000, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0 }, prices).usd;
    const out = costOf(id, { inputTokens: 0, outputTokens: 1_000_000, cachedInputTokens: 0, cacheWriteTokens: 0 }, prices).usd;
    return {
      label: id,
      description: [id === current ? '(current)' : '', info?.note ?? ''].filter(Boolean).join(' '),
      detail: `$${price} in / $${out} out per 1M tokens · ${Math.round((info?.contextWindow ?? 0) / 1000)}k context`,
    };
  });
  items.push({ label: OTHER, detail: 'Type any model id (e.g. a dated snapshot)' });
  const pick = await vscode.window.showQuickPick(items, { title: `ML Intern: ${provider === 'openai' ? 'OpenAI' : 'Anthropic'} model`, ignoreFocusOut: true });
  if (!pick) return undefined;
  if (pick.label !== OTHER) return pick.label;
  return vscode.window.showInputBox({ title: 'ML Intern: model id', value: current, ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : 'Enter a model id') });
}

async function pickVsCodeModel(current: string): Promise<string | undefined> {
  const models = await vscode.lm.selectChatModels();
  if (!models.length) {
    void vscode.window.showWarningMessage('ML Intern: no VS Code language model is available. Install and sign in to GitHub Copilot (or another model provider extension) first.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    models.map((m) => ({
      label: m.name || m.id,
      description: `${m.vendor} · ${m.family}${m.id === current ? ' (current)' : ''}`,
      detail: `${Math.round(m.maxInputTokens / 1000)}k context · id ${m.id}`,
      id: m.id,
    })),
    { title: 'ML Intern: VS Code language model', ignoreFocusOut: true },
  );
  return pick?.id;
}
