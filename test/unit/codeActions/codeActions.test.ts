// Code actions with a real Python interpreter: the model's code calls the agent's tools as
// functions, keeps its data between steps, cannot get past an approval, is stopped by its time
// limit, and floods nobody's context with its output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { CodeActions } from '../../../src/core/codeActions/pythonTool';
import { withCodeActions } from '../../../src/core/codeActions/actionMode';
import { OBSERVATION_CAP } from '../../../src/core/tools/observationCap';
import { harness } from './helpers';

test('one step calls two tools in a loop, and its data is still there in the next step', async () => {
  const h = harness();
  mkdirSync(path.join(h.workspace, 'data'));
  for (const [name, rows] of [['a.jsonl', 2], ['b.jsonl', 3]] as const) {
    writeFileSync(path.join(h.workspace, 'data', name), Array.from({ length: rows }, (_, i) => JSON.stringify({ i })).join('\n') + '\n');
  }
  const actions = new CodeActions(h.registry);
  try {
    const python = actions.tool();
    const first = await python.handler({
      reason: 'count rows',
      code: [
        'counts = {}',
        'for name in list_files(path="data").split():',
        '    text = read_file(path=name)',
        '    counts[name] = text.count("{")',
        'counts',
      ].join('\n'),
    }, h.ctx);
    assert.equal(first.ok, true, first.output);
    assert.match(first.output, /Tool calls \(3\): list_files: ok; read_file: ok; read_file: ok/);
    assert.match(first.output, /value of the last expression ---\n\{'data\/a\.jsonl': 2, 'data\/b\.jsonl': 3\}/);
    // The user sees each call the code made, as for a direct call.
    assert.deepEqual(h.events.filter((e) => e.type === 'tool_call').map((e) => e.type === 'tool_call' && e.name), ['list_files', 'read_file', 'read_file']);

    const second = await python.handler({ reason: 'use the counts', code: 'print("total rows:", sum(counts.values()))' }, h.ctx);
    assert.equal(second.ok, true, second.output);
    assert.match(second.output, /--- output ---\ntotal rows: 5/);
    // Both steps were approved like run_python, with the code shown in the dialog.
    assert.deepEqual(h.asked.map((r) => r.tool), ['python', 'python']);
    assert.match(h.asked[0].detail ?? '', /counts\[name\]/);
  } finally {
    await actions.dispose();
    rmSync(h.workspace, { recursive: true, force: true });
  }
});

test('a side-effecting call the user refuses is refused inside the code too: nothing runs or is written', async () => {
  const h = harness();
  const actions = new CodeActions(h.registry);
  try {
    const result = await actions.tool().handler({
      reason: 'try to act',
      code: [
        'try:',
        '    run(command=["sh", "-c", "echo ran > ran.txt"], reason="write a file")',
        'except ToolError as e:',
        '    print("refused:", e.output)',
        'write_file(path="notes.md", content="hi", description="notes")',
      ].join('\n'),
    }, h.ctx);
    assert.equal(result.ok, false);
    assert.match(result.output, /refused: The user did not approve running `sh -c echo ran > ran.txt`: no/);
    assert.match(result.output, /--- exception ---[\s\S]*ToolError: write_file failed:/);
    assert.equal(existsSync(path.join(h.workspace, 'ran.txt')), false);
    assert.equal(existsSync(path.join(h.workspace, 'notes.md')), false);
    // The policy decided and recorded it, exactly as for a direct tool call.
    assert.ok(h.recorded.some((e) => e.kind === 'decision' && e.subject === 'command' && e.tool === 'run' && e.decision === 'refused'));
    assert.ok(h.recorded.some((e) => e.kind === 'decision' && e.subject === 'change' && e.path === 'notes.md' && e.decision === 'rejected'));
  } finally {
    await actions.dispose();
    rmSync(h.workspace, { recursive: true, force: true });
  }
});

test('a refused code step runs nothing at all', async () => {
  const h = harness({ answer: () => false });
  const actions = new CodeActions(h.registry);
  try {
    const result = await actions.tool().handler({ reason: 'write', code: 'open("made.txt", "w").write("x")' }, h.ctx);
    assert.equal(result.ok, false);
    assert.match(result.output, /did not approve this code step: no\. Nothing was run/);
    assert.equal(existsSync(path.join(h.workspace, 'made.txt')), false);
  } finally {
    await actions.dispose();
    rmSync(h.workspace, { recursive: true, force: true });
  }
});

test('a step over its time limit kills the interpreter, says so, and the next step starts fresh', async () => {
  const h = harness();
  const actions = new CodeActions(h.registry);
  try {
    const python = actions.tool();
    const pid = await python.handler({ reason: 'pid', code: 'import os\nkept = 1\nos.getpid()' }, h.ctx);
    const interpreterPid = Number(/last expression ---\n(\d+)/.exec(pid.output)?.[1]);
    assert.ok(interpreterPid > 0, pid.output);
    const slow = await python.handler({ reason: 'sleep', code: 'import time\ntime.sleep(30)', timeout_s: 1 }, h.ctx);
    assert.equal(slow.ok, false);
    assert.match(slow.output, /timed out after 1 s: the interpreter was stopped, its variables and imports are lost/);
    assert.throws(() => process.kill(interpreterPid, 0), /ESRCH/, 'the interpreter process is gone');
    const after = await python.handler({ reason: 'look', code: 'kept' }, h.ctx);
    assert.match(after.output, /^The previous interpreter had stopped: this step runs in a fresh one/);
    assert.match(after.output, /NameError: name 'kept' is not defined/);
  } finally {
    await actions.dispose();
    rmSync(h.workspace, { recursive: true, force: true });
  }
});

test('the time limit does not count a tool call waiting for the user', async () => {
  let release: () => void = () => undefined;
  const waited = new Promise<void>((resolve) => (release = resolve));
  const h = harness({ policy: 'never' });
  const approve = h.ctx.approveCommand;
  // The user takes 2.5 s to answer the `run` dialog; the step's limit is 2 s.
  const ctx = { ...h.ctx, approveCommand: async (request: Parameters<typeof approve>[0]) => {
    if (request.tool === 'run') {
      setTimeout(release, 2500);
      await waited;
    }
    return approve(request);
  } };
  const actions = new CodeActions(h.registry);
  try {
    const result = await actions.tool().handler({
      reason: 'slow answer',
      code: 'try:\n    run(command=["true"], reason="x")\nexcept ToolError:\n    pass\n"survived"',
      timeout_s: 2,
    }, ctx);
    assert.equal(result.ok, true, result.output);
    assert.match(result.output, /'survived'/);
  } finally {
    await actions.dispose();
    rmSync(h.workspace, { recursive: true, force: true });
  }
});

test('printed output is capped to its head and tail, and the whole text is in the run folder', async () => {
  const h = harness();
  const actions = new CodeActions(h.registry);
  try {
    const result = await actions.tool().handler({ reason: 'print a lot', code: 'for i in range(20000):\n    print("line", i)\nprint("the end")' }, h.ctx);
    assert.equal(result.ok, true);
    assert.ok(result.output.length < OBSERVATION_CAP, `observation is ${result.output.length} characters`);
    assert.match(result.output, /^line 0$/m);
    assert.match(result.output, /the end/);
    assert.match(result.output, /characters omitted; the whole output is in \.ml-intern\/runs\/r1\/logs\/code-1\.log/);
    const log = readFileSync(path.join(h.workspace, '.ml-intern/runs/r1/logs/code-1.log'), 'utf8');
    assert.match(log, /^line 12345$/m);
    assert.equal(log.split('\n').filter(Boolean).length, 20001);
  } finally {
    await actions.dispose();
    rmSync(h.workspace, { recursive: true, force: true });
  }
});

test('an exception comes back with the last frames of the model\'s own code, and the variables stay', async () => {
  const h = harness();
  const actions = new CodeActions(h.registry);
  try {
    const python = actions.tool();
    const failed = await python.handler({ reason: 'fail', code: 'ratio = 3\ndef scale(x):\n    return x / 0\nscale(ratio)' }, h.ctx);
    assert.equal(failed.ok, false);
    assert.match(failed.output, /raised ZeroDivisionError \(the interpreter keeps its variables\)/);
    assert.match(failed.output, /File "<code-1>", line 3, in scale\n\s+return x \/ 0/);
    assert.doesNotMatch(failed.output, /ml-intern-code-actions|code_actions\.py/, 'the bridge\'s own frames are left out');
    const again = await python.handler({ reason: 'go on', code: 'ratio * 2' }, h.ctx);
    assert.match(again.output, /last expression ---\n6/);
  } finally {
    await actions.dispose();
    rmSync(h.workspace, { recursive: true, force: true });
  }
});

test('stopping the run interrupts the step (KeyboardInterrupt) and the interpreter keeps its state', async () => {
  const h = harness();
  const actions = new CodeActions(h.registry);
  try {
    const python = actions.tool();
    await python.handler({ reason: 'set', code: 'kept = "yes"' }, h.ctx);
    setTimeout(() => h.abort.abort(), 500);
    const stopped = await python.handler({ reason: 'sleep', code: 'import time\ntime.sleep(30)' }, h.ctx);
    assert.equal(stopped.ok, false);
    assert.match(stopped.output, /interrupted by the user \(KeyboardInterrupt\); the interpreter keeps its variables/);
    const next = await python.handler({ reason: 'look', code: 'kept' }, { ...h.ctx, signal: new AbortController().signal });
    assert.match(next.output, /'yes'/);
  } finally {
    await actions.dispose();
    rmSync(h.workspace, { recursive: true, force: true });
  }
});

test('a runaway loop of tool calls is stopped at the per-step limit', async () => {
  const h = harness();
  const actions = new CodeActions(h.registry, { maxCallsPerStep: 3 });
  try {
    const result = await actions.tool().handler({ reason: 'loop', code: 'for _ in range(10):\n    list_files()' }, h.ctx);
    assert.equal(result.ok, false);
    assert.match(result.output, /more than 3 tool calls in one step/);
    assert.match(result.output, /Tool calls \(3\)/);
  } finally {
    await actions.dispose();
    rmSync(h.workspace, { recursive: true, force: true });
  }
});

test('mlIntern.agent.actions picks what the loop offers; the code still reaches every tool', async () => {
  const h = harness();
  assert.equal(withCodeActions(h.registry, 'tools').tools, h.registry);
  const code = withCodeActions(h.registry, 'code');
  const both = withCodeActions(h.registry, 'both');
  try {
    assert.deepEqual(code.tools.names().sort(), ['ask_user', 'finish', 'plan', 'python']);
    assert.deepEqual(both.tools.names().sort(), [...h.registry.names(), 'python'].sort());
    const result = await code.tools.get('python')!.handler({ reason: 'help', code: 'print(sorted(tools))\nhelp(read_file)' } as never, h.ctx);
    assert.match(result.output, /'list_files'.*'read_file'.*'run'.*'write_file'/);
    assert.doesNotMatch(result.output, /'finish'|'ask_user'/);
    assert.match(result.output, /read_file\(path, \*, offset=None, limit=None\)/);
    const control = await code.tools.get('python')!.handler({ reason: 'finish', code: 'tools.get("finish") is None' } as never, h.ctx);
    assert.match(control.output, /True/);
  } finally {
    await code.dispose();
    await both.dispose();
    rmSync(h.workspace, { recursive: true, force: true });
  }
});
