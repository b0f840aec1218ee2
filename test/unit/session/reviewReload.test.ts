/**
 * A window reload while a run waits inside the extension host (a proposed file under review): the
 * review lived in the killed host's memory, so nothing will ever move the run on. After the restart
 * the run ends as interrupted — status.json, the transcript and the panel's replay say what happened
 * and how to go on — while a run with a training process to follow is still re-attached, and a run
 * another live process drives is left to it. The host is a real process (fixtures/fineTuneHost.ts),
 * SIGKILLed as a reload does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import { againLabel, endInterrupted, fineTuneAfterRestart, interruptedMessage } from '../../../src/core/run/afterRestart';
import type { Reattached } from '../../../src/core/run/reattach';
import { RunStore } from '../../../src/core/runs/runStore';
import { RecordingEventSink } from '../../../src/core/testing/memoryPorts';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { replayRun } from '../../../src/ui/chat/runReplay';
import { waitFor } from '../exec/helpers';

const HOST = path.join(__dirname, 'fixtures', 'fineTuneHost.ts');

function workspace(): string {
  const ws = mkdtempSync(path.join(tmpdir(), 'ml-intern-review-reload-'));
  cpSync('examples/medical-qa', ws, { recursive: true });
  return ws;
}

interface Host {
  child: ChildProcess;
  runId: string;
  folder: string;
  out: () => string;
  kill: () => Promise<void>;
}

/** Start a fine-tune in a stand-in host; resolves once `until` holds on its output. */
async function startHost(ws: string, env: Record<string, string>, until: (out: string) => boolean, what: string): Promise<Host> {
  const child = spawn(process.execPath, ['--import', 'tsx', HOST, ws], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  await waitFor(() => until(out), what, 60_000);
  const ids = JSON.parse(out.split('\n')[0]) as { runId: string; folder: string };
  return {
    child,
    ...ids,
    out: () => out,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

async function summaryOf(ws: string, runId: string) {
  const found = (await new RunStore(new NodeFileStore(ws)).list()).find((r) => r.id === runId);
  assert.ok(found, `run ${runId} listed`);
  return found;
}

test('reload while the new train.py waits for review: the run ends as interrupted, saying nothing was written and how to go on', { timeout: 90_000 }, async () => {
  const ws = workspace();
  try {
    const host = await startHost(ws, { ACCEPT: '0' }, (o) => /waiting \S*train\.py/.test(o), 'train.py under review');
    await host.kill();
    const files = new NodeFileStore(ws);
    const summary = await summaryOf(ws, host.runId);
    assert.equal(summary.status.state, 'running', 'left running by the killed host');

    const after = await fineTuneAfterRestart(files, summary);
    assert.equal(after.kind, 'interrupted');
    if (after.kind !== 'interrupted') return;
    assert.deepEqual(after.undecided, ['train.py']);
    assert.match(after.message, /^The window reloaded while train\.py waited for your review, so the run stopped there: nothing was written\./);
    assert.match(after.message, /Run "ML Intern: Fine-tune" again with the same choices\.$/);

    const events = new RecordingEventSink();
    await endInterrupted(await new RunStore(files).open(host.runId), after.message, events);
    const status = JSON.parse(readFileSync(path.join(ws, host.folder, 'status.json'), 'utf8'));
    assert.equal(status.state, 'stopped');
    assert.equal(status.lastMessage, after.message);
    assert.deepEqual(events.ofType('run_state').map((e) => [e.state, e.message]), [['stopped', after.message]]);
    // What the panel shows after the reload: the run ended with the message, not running.
    const replayed = (await replayRun(files, host.runId)) ?? [];
    // What the recipe said before the review: a new train.py opens on its own, so no "diff" is promised.
    const wrote = replayed.find((e) => e.type === 'assistant_message' && e.text.startsWith('I wrote a SFT script'));
    assert.match(wrote?.type === 'assistant_message' ? wrote.text : '', /Review it \(a new file: it opens on its own\): accept or reject it/);
    const states = replayed.filter((e) => e.type === 'run_state');
    assert.deepEqual([states[states.length - 1].state, states[states.length - 1].message], ['stopped', after.message]);
    // And no train.py anywhere in the workspace: the proposal stays only in the run folder.
    const tree = (await files.list('.', { recursive: true, limit: 10_000 })).filter((p) => p.endsWith('train.py') && !p.startsWith('.ml-intern/'));
    assert.deepEqual(tree, []);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('reload while requirements.txt waits, train.py accepted: only requirements.txt is named unwritten, and the accepted script is kept', { timeout: 90_000 }, async () => {
  const ws = workspace();
  try {
    const host = await startHost(ws, { ACCEPT: '1' }, (o) => /waiting \S*requirements\.txt/.test(o), 'requirements.txt under review');
    await host.kill();
    const after = await fineTuneAfterRestart(new NodeFileStore(ws), await summaryOf(ws, host.runId));
    assert.equal(after.kind, 'interrupted');
    if (after.kind !== 'interrupted') return;
    assert.deepEqual(after.undecided, ['requirements.txt']);
    assert.match(after.message, /requirements\.txt waited for your review, so the run stopped there: requirements\.txt was not written\./);
    assert.match(after.message, /the scripts you already accepted are kept, so only what differs is proposed again\.$/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a run whose host is still alive (another window, a terminal) is left to it, not interrupted', { timeout: 90_000 }, async () => {
  const ws = workspace();
  let host: Host | undefined;
  try {
    host = await startHost(ws, { ACCEPT: '0' }, (o) => /waiting \S*train\.py/.test(o), 'train.py under review');
    const after = await fineTuneAfterRestart(new NodeFileStore(ws), await summaryOf(ws, host.runId));
    assert.equal(after.kind, 'elsewhere');
    assert.match((after as { message: string }).message, new RegExp(`pid ${host.child.pid}`));
  } finally {
    await host?.kill();
    rmSync(ws, { recursive: true, force: true });
  }
});

test('reload while the training runs: the run is re-attached to its process, not interrupted', { timeout: 90_000 }, async () => {
  const ws = workspace();
  let found: Reattached | undefined;
  try {
    const status = (folder: string) => {
      const file = path.join(ws, folder, 'status.json');
      return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { pid?: number }) : {};
    };
    const host = await startHost(ws, { FAKE_DELAY_MS: '300' }, (o) => o.includes('\n') && typeof status(JSON.parse(o.split('\n')[0]).folder).pid === 'number', 'the training to start');
    await host.kill();
    const after = await fineTuneAfterRestart(new NodeFileStore(ws), await summaryOf(ws, host.runId));
    assert.equal(after.kind, 'reattach');
    if (after.kind === 'reattach') found = after.found;
    assert.equal(found?.kind, 'live', 'the training outlived its host');
  } finally {
    // Stopped through its launcher, which records the exit: the folder is not written to while it is removed.
    if (found && found.kind !== 'lost') await found.run.stop();
    rmSync(ws, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
});

test('the message for each kind of run names what starts it again; an agent run is continued from its chat', () => {
  // The notice's button starts the saved request again where a command can; Try It needs its panel, a chat run a message.
  assert.deepEqual(['fine-tune', 'eval', 'merge', 'push', 'export', 'try-it', undefined, 'constructor'].map(againLabel), ['Fine-tune again', 'Evaluate again', 'Merge Models again', 'Push to Hub again', 'Export Model again', undefined, undefined, undefined]);
  assert.match(interruptedMessage({ kind: 'eval', undecided: ['evaluate.py'], accepted: 0 }), /evaluate\.py waited for your review.*Run "ML Intern: Evaluate" again with the same choices\.$/);
  assert.match(interruptedMessage({ kind: undefined, undecided: ['train.py'], accepted: 2 }), /train\.py was not written\. Send a message in this chat to continue the run from where it was\.$/);
  // Nothing under review (a command's approval, the training about to start): no file is named as unwritten.
  const beforeStart = interruptedMessage({ kind: 'fine-tune', undecided: [], accepted: 2, scriptPath: 'ml-intern/sft/train.py' });
  assert.match(beforeStart, /^The window reloaded before the run started its work, and nothing was left running to pick up again/);
  assert.doesNotMatch(beforeStart, /not written|nothing was written/);
});

test('a run whose `ml-intern` in a terminal was killed at the review says so, not that the window reloaded', async () => {
  const ws = workspace();
  try {
    const files = new NodeFileStore(ws);
    const handle = await new RunStore(files).create({ goal: 'fine-tune', kind: 'fine-tune', request: {} });
    await handle.writeFile('scripts/001-proposed-train.py', 'print(1)\n');
    // The lock the killed CLI could not release: its pid is gone.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const lock = { pid: Number(dead.stdout), start: '', host: hostname(), since: new Date().toISOString(), runId: handle.id, by: 'the `ml-intern` command that drove it in a terminal' };
    writeFileSync(files.resolve(`${handle.folder}/owner.lock`), JSON.stringify(lock));
    const after = await fineTuneAfterRestart(files, await summaryOf(ws, handle.id));
    assert.equal(after.kind, 'interrupted', JSON.stringify(after));
    assert.match(after.message, /^The `ml-intern` command that drove it in a terminal ended while train\.py waited for your review, so the run stopped there: nothing was written\./);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});
