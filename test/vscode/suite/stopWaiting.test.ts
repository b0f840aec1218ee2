import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RunStore } from '../../../src/core/runs/runStore';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { workspaceRoot } from './review/helpers';

suite('Stop Run on a waiting run', () => {
  test('a run waiting for the user\'s answer is stopped by "ML Intern: Stop Run", recorded in its folder', async () => {
    await vscode.extensions.getExtension('ml-intern.ml-intern')!.activate();
    const root = workspaceRoot();
    const handle = await new RunStore(new NodeFileStore(root)).create({ goal: 'train it' });
    await handle.updateStatus({ state: 'waiting', lastMessage: 'Install trl? (pip install trl)', question: 'Install trl? (pip install trl)' });
    await vscode.commands.executeCommand('mlIntern.stopRun', handle.id);
    const status = JSON.parse(readFileSync(path.join(root, handle.folder, 'status.json'), 'utf8')) as { state: string; question?: string; lastMessage: string };
    assert.equal(status.state, 'stopped', 'Stop no longer answers "no run is active" for a waiting run');
    assert.equal(status.question, undefined);
    assert.match(status.lastMessage, /Stopped while it waited for your answer/);
    const transcript = readFileSync(path.join(root, handle.folder, 'transcript.jsonl'), 'utf8');
    assert.match(transcript, /"state":"stopped"/, 'a reload replays the run as stopped');
  });
});
