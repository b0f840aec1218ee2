// The agent's `run` tool through the sandbox, end to end with real processes: what the user sees
// (no dialog under autoApprove "sandboxed", "Sandboxed (bubblewrap, network off)" in the dialog,
// a pip install still asked, nothing run when the sandbox cannot start).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ApprovalGate } from '../../../src/core/policy/approval';
import { ChildProcessExecutor } from '../../../src/core/exec/childProcessExecutor';
import { AutoApprovePolicy, DEFAULT_SETTINGS, Settings } from '../../../src/core/settings';
import { SandboxMode } from '../../../src/core/sandbox/types';
import { runPythonTool, runTool } from '../../../src/core/tools/runTools';
import { registerCustomTools } from '../../../src/core/tools/customTools';
import { ToolRegistry } from '../../../src/core/tools/registry';
import { CommandApprovalRequest, ToolContext, ToolDefinition } from '../../../src/core/tools/types';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { TranscriptEntry } from '../../../src/core/runs/types';
import { AgentEvent } from '../../../src/core/events';
import { Box, makeBox, namespacesForbidden } from './helpers';

const skip = namespacesForbidden();

function context(box: Box, policy: AutoApprovePolicy, mode: SandboxMode, env: Record<string, string> = {}) {
  const files = new NodeFileStore(box.workspace);
  const asked: CommandApprovalRequest[] = [];
  const recorded: TranscriptEntry[] = [];
  const gate = new ApprovalGate({
    policy: () => policy,
    reviewer: { propose: async () => ({ kind: 'rejected', reason: 'not in this test' }) },
    approveCommand: async (request) => {
      asked.push(request);
      // A pip install is refused here: it is the asking that is tested, not pip without a network.
      return { approved: !request.argv.includes('pip') };
    },
    runId: 'r1',
    record: async (e) => void recorded.push(e),
    emit: () => undefined,
    nextChangeNumber: async () => 1,
    saveVersion: async () => '',
    write: async () => undefined,
    read: async () => undefined,
    workspaceCwd: (cwd) => path.join(box.workspace, cwd),
  });
  const settings: Settings = { ...DEFAULT_SETTINGS, autoApprove: policy, sandbox: { mode, network: 'off', image: '' } };
  const warnings: string[] = [];
  const events: AgentEvent[] = [];
  const ctx: ToolContext = {
    runId: 'r1',
    runFolder: '.ml-intern/runs/r1',
    files,
    executor: new ChildProcessExecutor(),
    settings,
    signal: new AbortController().signal,
    logger: { info() {}, warn: (m) => void warnings.push(m), error() {}, debug() {} },
    env: { HOME: box.home, ...env },
    python: 'python3',
    emit: (e) => void events.push(e),
    proposeChange: async () => ({ kind: 'rejected', reason: 'no', savedAs: [] }),
    approveCommand: (request) => gate.approveCommand(request),
    saveRunFile: async (rel, text) => {
      const where = `.ml-intern/runs/r1/${rel}`;
      await files.write(where, text);
      return where;
    },
    nextNumber: async () => 1,
    setPlan: () => undefined,
  };
  mkdirSync(path.join(box.workspace, '.ml-intern', 'runs', 'r1', 'logs'), { recursive: true });
  return { ctx, asked, recorded, warnings, events };
}

test('under autoApprove "sandboxed" a sandboxed command runs without a dialog and cannot write outside', { skip }, async () => {
  const box = makeBox();
  try {
    const { ctx, asked, recorded, events } = context(box, 'sandboxed', 'bubblewrap');
    const result = await runTool.handler({ command: ['sh', '-c', `echo in > in.txt; echo out > ${box.outside}/out.txt`], reason: 'write files' }, ctx);
    assert.equal(asked.length, 0, 'no dialog');
    // The run card's badge: where it ran.
    const started = events.find((e) => e.type === 'process_started');
    assert.equal(started?.type === 'process_started' ? started.sandbox : undefined, 'bubblewrap, network off');
    assert.ok(recorded.some((e) => e.kind === 'decision' && e.auto && e.decision === 'approved'));
    assert.ok(existsSync(path.join(box.workspace, 'in.txt')), result.output);
    assert.equal(existsSync(path.join(box.outside, 'out.txt')), false, result.output);
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
});

test('under autoApprove "sandboxed" a pip install still asks, and the dialog says it is sandboxed and how', { skip }, async () => {
  const box = makeBox();
  try {
    const { ctx, asked } = context(box, 'sandboxed', 'bubblewrap');
    await runTool.handler({ command: ['python', '-m', 'pip', 'install', 'trl'], reason: 'install trl' }, ctx);
    assert.equal(asked.length, 1, 'the user is asked');
    assert.match(asked[0].detail ?? '', /^Sandboxed \(bubblewrap, network off\)\./);
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
});

test('without the sandbox, "sandboxed" asks for every command', async () => {
  const box = makeBox();
  try {
    const { ctx, asked } = context(box, 'sandboxed', 'off');
    const result = await runTool.handler({ command: ['true'], reason: 'nothing' }, ctx);
    assert.equal(asked.length, 1);
    assert.equal(asked[0].detail, undefined, 'no sandbox is claimed');
    assert.equal(result.ok, true, result.output);
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
});

test('with bubblewrap absent nothing runs, nothing is asked, and the message names the package', async () => {
  const box = makeBox();
  try {
    // A PATH with python3 and sh but no bwrap.
    const bin = path.join(box.root, 'bin');
    mkdirSync(bin);
    for (const p of ['sh', 'python3', 'touch']) symlinkSync(`/usr/bin/${p}`, path.join(bin, p));
    const { ctx, asked } = context(box, 'never', 'bubblewrap', { PATH: bin });
    const result = await runTool.handler({ command: ['touch', 'ran.txt'], reason: 'try' }, ctx);
    assert.equal(result.ok, false);
    assert.match(result.output, /apt-get install bubblewrap/);
    assert.match(result.output, /nothing was run/);
    assert.equal(asked.length, 0);
    assert.equal(existsSync(path.join(box.workspace, 'ran.txt')), false);
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
});

test("with 'auto' and no sandbox here the command runs unconfined after a warning said so once", async () => {
  const box = makeBox();
  try {
    const bin = path.join(box.root, 'bin');
    mkdirSync(bin);
    for (const p of ['sh', 'touch']) symlinkSync(`/usr/bin/${p}`, path.join(bin, p));
    const { ctx, asked, warnings, events } = context(box, 'never', 'auto', { PATH: bin });
    await runTool.handler({ command: ['touch', 'a.txt'], reason: 'try' }, ctx);
    // Unconfined: no sandbox badge on its card.
    assert.ok(events.some((e) => e.type === 'process_started' && e.sandbox === undefined));
    await runTool.handler({ command: ['touch', 'b.txt'], reason: 'try' }, ctx);
    assert.equal(asked.length, 2);
    assert.ok(existsSync(path.join(box.workspace, 'b.txt')));
    const autoWarnings = warnings.filter((w) => /'auto' but no sandbox/.test(w));
    assert.equal(autoWarnings.length, 1, warnings.join('\n'));
    assert.match(autoWarnings[0], /apt-get install bubblewrap/);
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
});

test('a run_python snippet runs sandboxed: it cannot read ~/.ssh, and its output comes back to the model', { skip }, async () => {
  const box = makeBox();
  try {
    const { ctx, asked } = context(box, 'sandboxed', 'bubblewrap');
    const code = 'import os\ntry:\n    print(open(os.path.expanduser("~/.ssh/id_ed25519")).read())\nexcept OSError as e:\n    print("no key:", e.strerror)\n';
    const result = await runPythonTool.handler({ code, reason: 'look for a key' }, ctx);
    assert.equal(asked.length, 0, 'sandboxed with the network off: no dialog');
    assert.match(result.output, /no key: No such file or directory/);
    assert.ok(!result.output.includes(box.canary));
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
});

test('a custom @tool runs inside the sandbox: under "sandboxed" no dialog, and it cannot read ~/.ssh or write outside', { skip }, async () => {
  const box = makeBox();
  try {
    mkdirSync(path.join(box.workspace, '.ml-intern', 'tools'), { recursive: true });
    writeFileSync(path.join(box.workspace, '.ml-intern', 'tools', 'peek.py'), [
      'from ml_intern_tool import tool',
      '',
      '@tool',
      'def peek(path: str, out: str) -> str:',
      '    """',
      '    Reads a file and copies it.',
      '',
      '    Args:',
      '        path: The file to read.',
      '        out: Where to write a copy.',
      '    """',
      '    try:',
      '        text = open(path).read()',
      '    except OSError as e:',
      '        text = f"unreadable: {type(e).__name__}"',
      '    try:',
      '        open(out, "w").write(text)',
      '        wrote = "wrote"',
      '    except OSError as e:',
      '        wrote = f"write refused: {type(e).__name__}"',
      '    return f"{text.strip()} | {wrote}"',
      '',
    ].join('\n'));
    const registry = new ToolRegistry();
    const found = await registerCustomTools(registry, { workspaceRoot: box.workspace, python: 'python3' });
    assert.deepEqual(found.errors, []);
    const { ctx, asked } = context(box, 'sandboxed', 'bubblewrap');
    const peek = registry.get('peek') as unknown as ToolDefinition<Record<string, unknown>>;
    const secret = await peek.handler({ path: path.join(box.home, '.ssh', 'id_ed25519'), out: path.join(box.outside, 'copy.txt') }, ctx);
    assert.equal(asked.length, 0, 'no dialog: the call is confined');
    assert.ok(secret.ok, secret.output);
    assert.doesNotMatch(secret.output, new RegExp(box.canary));
    assert.match(secret.output, /unreadable: \w+Error \| write refused: \w+Error/);
    assert.equal(existsSync(path.join(box.outside, 'copy.txt')), false);
    // Inside the workspace it works as usual.
    writeFileSync(path.join(box.workspace, 'note.txt'), 'hello');
    const inside = await peek.handler({ path: 'note.txt', out: 'copy.txt' }, ctx);
    assert.match(inside.output, /hello \| wrote/);
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
});
