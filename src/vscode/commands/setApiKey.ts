import * as vscode from 'vscode';
import { SecretName } from '../../core/ports';
import { Host, guarded } from '../host';
import { providerAfterKey, SettingLevel } from '../../ui/commands/providerSwitch';

const TARGETS: Record<SettingLevel, vscode.ConfigurationTarget> = {
  user: vscode.ConfigurationTarget.Global,
  workspace: vscode.ConfigurationTarget.Workspace,
  workspaceFolder: vscode.ConfigurationTarget.WorkspaceFolder,
};

const CHOICES: Array<{ label: string; detail: string; secret: SecretName }> = [
  { label: 'OpenAI', detail: 'Key for api.openai.com (sk-…)', secret: 'openai' },
  { label: 'Anthropic', detail: 'Key for api.anthropic.com (sk-ant-…)', secret: 'anthropic' },
  { label: 'OpenAI-compatible endpoint', detail: 'Key for the endpoint in mlIntern.baseUrl (vLLM, Ollama, HF router…)', secret: 'openai-compatible' },
  { label: 'Hugging Face token', detail: 'For gated models and pushing to the Hub (hf_…); passed to runs as HF_TOKEN', secret: 'hf' },
];

/** "ML Intern: Set API Key": asks for the provider and the key; stores it in SecretStorage only. */
export function registerSetApiKey(host: Host): void {
  host.context.subscriptions.push(
    vscode.commands.registerCommand(
      'mlIntern.setApiKey',
      guarded(host, 'setApiKey', async (preset?: SecretName) => {
        const pick = preset
          ? CHOICES.find((c) => c.secret === preset)
          : await vscode.window.showQuickPick(CHOICES, { title: 'ML Intern: which key?', ignoreFocusOut: true });
        if (!pick) return;
        const value = await vscode.window.showInputBox({
          title: `ML Intern: ${pick.label}`,
          prompt: 'Stored in VS Code SecretStorage (your OS keychain); never written to a file or a log. Leave empty to delete it.',
          password: true,
          ignoreFocusOut: true,
        });
        if (value === undefined) return;
        if (value.trim() === '') {
          await host.secrets.delete(pick.secret);
          void vscode.window.showInformationMessage(`ML Intern: ${pick.label} key deleted.`);
          return;
        }
        await host.secrets.set(pick.secret, value.trim());
        const cfg = vscode.workspace.getConfiguration('mlIntern');
        // The key alone would change nothing while the provider is 'none': the setting is switched
        // too, and the message says which setting, to what and where (a change the user did not make must not be silent).
        const outcome = pick.secret === 'hf' ? undefined : providerAfterKey(cfg.inspect('provider'), pick.secret);
        if (outcome?.kind === 'switch') await cfg.update('provider', pick.secret, TARGETS[outcome.level]);
        const switched = outcome?.note ? ` ${outcome.note}` : '';
        host.logger.info(`Stored the ${pick.label} key in SecretStorage.${switched}`);
        const open = 'Open Settings';
        void vscode.window.showInformationMessage(`ML Intern: ${pick.label} key saved in SecretStorage.${switched}`, ...(switched ? [open] : [])).then((a) => {
          if (a === open) void vscode.commands.executeCommand('workbench.action.openSettings', 'mlIntern.provider');
        });
      }),
    ),
  );
}
