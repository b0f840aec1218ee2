/**
 * "ML Intern: Select Python Interpreter" (the walkthrough's Python step). With the
 * Python extension it opens that extension's picker; without it, `python.setInterpreter`
 * does not exist and the step's link did nothing, so the user is told so and can type
 * an interpreter path, checked by running it before it is saved as mlIntern.pythonPath.
 */
import * as vscode from 'vscode';
import { checkInterpreter } from '../../core/python/checkInterpreter';
import { guarded, Host } from '../host';

const PYTHON_EXTENSION = 'ms-python.python';

export async function selectInterpreter(host: Host): Promise<void> {
  if (vscode.extensions.getExtension(PYTHON_EXTENSION)) {
    await vscode.commands.executeCommand('python.setInterpreter');
    return;
  }
  const current = host.settings().pythonPath.trim();
  const typePath = 'Set mlIntern.pythonPath…';
  const install = 'Install the Python Extension';
  const choice = await vscode.window.showInformationMessage(
    `ML Intern: the Python extension (${PYTHON_EXTENSION}) is not installed, so there is no interpreter picker. ` +
      (current ? `Training uses mlIntern.pythonPath: ${current}.` : 'Training uses python3 on the PATH unless you set mlIntern.pythonPath.'),
    typePath,
    install,
  );
  if (choice === install) {
    await vscode.commands.executeCommand('workbench.extensions.search', PYTHON_EXTENSION);
    return;
  }
  if (choice !== typePath) return;
  await askForPythonPath(host, current);
}

async function askForPythonPath(host: Host, current: string): Promise<void> {
  const typed = await vscode.window.showInputBox({
    title: 'ML Intern: Python interpreter for training',
    prompt: 'Path of the Python 3 interpreter that trains (a virtual environment\'s bin/python, for example). It is run once to check it.',
    value: current || 'python3',
    ignoreFocusOut: true,
    validateInput: async (value) => {
      const checked = await checkInterpreter(value, { cwd: workspaceFolder(), timeoutMs: 5_000 });
      return checked.ok ? undefined : checked.message;
    },
  });
  if (typed === undefined) return;
  const checked = await checkInterpreter(typed, { cwd: workspaceFolder() });
  if (!checked.ok) {
    void vscode.window.showErrorMessage(`ML Intern: ${checked.message} mlIntern.pythonPath was not changed.`);
    return;
  }
  // A workspace setting when a folder is open: interpreters belong to a project (its .venv).
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration('mlIntern').update('pythonPath', typed.trim(), target);
  const where = target === vscode.ConfigurationTarget.Workspace ? 'workspace' : 'user';
  host.logger.info(`Set mlIntern.pythonPath to ${typed.trim()} (Python ${checked.version}) in the ${where} settings.`);
  void vscode.window.showInformationMessage(`ML Intern: training will use ${typed.trim()} (Python ${checked.version}); saved as mlIntern.pythonPath in the ${where} settings.`);
}

function workspaceFolder(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

export function registerSelectInterpreter(host: Host): void {
  host.context.subscriptions.push(vscode.commands.registerCommand('mlIntern.selectInterpreter', guarded(host, 'selectInterpreter', () => selectInterpreter(host))));
}
