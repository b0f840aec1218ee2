// Code actions inside real bubblewrap: the interpreter is confined (no write outside the
// workspace, the home's secrets unreadable, no network), while its tool calls still reach the
// host's tools through the approvals. Skips, saying why, only where the kernel forbids the
// namespaces; without bwrap installed the tests fail and the message names the package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CodeActions } from '../../../src/core/codeActions/pythonTool';
import { makeBox, namespacesForbidden } from '../sandbox/helpers';
import { harness } from './helpers';

const skip = namespacesForbidden();

test('under autoApprove "sandboxed" a code step runs in bubblewrap without a dialog, confined, and its tool calls still ask', { skip }, async () => {
  const box = makeBox();
  writeFileSync(path.join(box.workspace, 'notes.txt'), 'from the workspace\n');
  const h = harness({
    workspace: box.workspace,
    policy: 'sandboxed',
    sandbox: { mode: 'bubblewrap', network: 'off', image: '' },
    env: { HOME: box.home },
    // The user says no to the install the code tries.
    answer: () => false,
  });
  const actions = new CodeActions(h.registry);
  try {
    const result = await actions.tool().handler({
      reason: 'look around',
      code: [
        'import os, socket',
        'open("inside.txt", "w").write("ok")',
        'for target in [os.path.join(' + JSON.stringify(box.outside) + ', "escape.txt")]:',
        '    try:',
        '        open(target, "w").write("x"); print("wrote outside")',
        '    except OSError as e:',
        '        print("outside refused:", type(e).__name__)',
        'key = os.path.expanduser("~/.ssh/id_ed25519")',
        'print("ssh key visible:", os.path.exists(key) and "CANARY" in open(key).read())',
        'try:',
        '    socket.create_connection(("1.1.1.1", 443), timeout=2); print("network: on")',
        'except OSError:',
        '    print("network: off")',
        'print("tool read it:", "from the workspace" in read_file(path="notes.txt"))',
        'try:',
        '    run(command=["pip", "install", "requests"], reason="install")',
        'except ToolError as e:',
        '    print("install:", e.output.split(".")[0])',
      ].join('\n'),
    }, h.ctx);
    assert.equal(result.ok, true, result.output);
    assert.match(result.output, /\(sandboxed \(bubblewrap, network off\)\)/);
    assert.match(result.output, /outside refused: (OSError|PermissionError)/);
    assert.match(result.output, /ssh key visible: False/);
    assert.match(result.output, /network: off/);
    assert.match(result.output, /tool read it: True/);
    assert.match(result.output, /install: The user did not approve running `pip install requests`/);
    assert.equal(readFileSync(path.join(box.workspace, 'inside.txt'), 'utf8'), 'ok');
    assert.equal(existsSync(path.join(box.outside, 'escape.txt')), false);
    // The step itself needed no dialog; the install did, and the dialog said it would run sandboxed.
    assert.deepEqual(h.asked.map((r) => r.tool), ['run']);
    assert.match(h.asked[0].detail ?? '', /^Sandboxed \(bubblewrap, network off\)/);
    // The card gets the sandbox badge.
    const started = h.events.find((e) => e.type === 'process_started');
    assert.equal(started?.type === 'process_started' && started.sandbox, 'bubblewrap, network off');
  } finally {
    await actions.dispose();
    rmSync(box.root, { recursive: true, force: true });
  }
});

test('a code step that times out inside bubblewrap is killed with its sandbox, and the next one starts fresh inside', { skip }, async () => {
  const box = makeBox();
  const h = harness({ workspace: box.workspace, policy: 'sandboxed', sandbox: { mode: 'bubblewrap', network: 'off', image: '' }, env: { HOME: box.home } });
  const actions = new CodeActions(h.registry);
  try {
    const python = actions.tool();
    const slow = await python.handler({ reason: 'spin', code: 'import subprocess\nsubprocess.run(["sleep", "60"])', timeout_s: 2 }, h.ctx);
    assert.match(slow.output, /timed out after 2 s: the interpreter was stopped/);
    const next = await python.handler({ reason: 'again', code: 'import os\nos.path.exists(os.path.expanduser("~/.ssh/id_ed25519")) and "CANARY" in open(os.path.expanduser("~/.ssh/id_ed25519")).read()' }, h.ctx);
    assert.match(next.output, /^The previous interpreter had stopped/);
    assert.match(next.output, /last expression ---\nFalse/);
  } finally {
    await actions.dispose();
    rmSync(box.root, { recursive: true, force: true });
  }
});
