/**
 * A run's terminal in VS Code: a Pseudoterminal over RunTerminalCore, named
 * after the run. `showRunTerminal` is what other areas call to show a
 * RunningProcess or a DetachedRun.
 */
import * as vscode from 'vscode';
import { RunTerminalCore, RunTerminalOptions, TerminalRun } from '../../ui/terminal/runTerminalCore';
import { terminalTitle } from '../../ui/terminal/terminalTitle';

export interface ShowRunTerminalOptions extends RunTerminalOptions {
  /** Bring the terminal to the front (default true). */
  show?: boolean;
  /** Keep focus in the editor/chat (default true). */
  preserveFocus?: boolean;
}

export function createRunPseudoterminal(run: TerminalRun, name: string, options: RunTerminalOptions = {}): vscode.Pseudoterminal {
  const write = new vscode.EventEmitter<string>();
  const core = new RunTerminalCore(
    run,
    name,
    {
      write: (t) => write.fire(t),
      notify: (m) => void vscode.window.showInformationMessage(m),
    },
    options,
  );
  return {
    onDidWrite: write.event,
    open: (dims) => core.open(dims?.columns, dims?.rows),
    close: () => {
      core.close();
      write.dispose();
    },
    handleInput: (data) => core.input(data),
    setDimensions: (dims) => core.resize(dims.columns, dims.rows),
  };
}

export function showRunTerminal(run: TerminalRun, name: string, options: ShowRunTerminalOptions = {}): vscode.Terminal {
  const terminal = vscode.window.createTerminal({
    name: terminalTitle(name),
    pty: createRunPseudoterminal(run, name, options),
    iconPath: new vscode.ThemeIcon('rocket'),
  });
  if (options.show !== false) terminal.show(options.preserveFocus ?? true);
  return terminal;
}
