import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateArgs } from '../../../src/core/tools/schema';
import { ToolRegistry } from '../../../src/core/tools/registry';
import { coreTools } from '../../../src/core/tools/coreTools';
import { readFileTool } from '../../../src/core/tools/readFile';
import { listFilesTool } from '../../../src/core/tools/listFiles';
import { editFileTool, writeFileTool } from '../../../src/core/tools/writeFile';
import { ToolContext } from '../../../src/core/tools/types';
import { MemoryFileStore, RecordingEventSink } from '../../../src/core/testing/memoryPorts';
import { DEFAULT_SETTINGS } from '../../../src/core/settings';
import { ProposedChange, ReviewDecision } from '../../../src/core/ports';
import { FakeExecutor } from '../agent/helpers';

function ctx(files: MemoryFileStore, decide: (c: ProposedChange) => ReviewDecision = (c) => ({ kind: 'accepted', text: c.proposed, userPatch: '', auto: false })) {
  const proposals: ProposedChange[] = [];
  const events = new RecordingEventSink();
  const c: ToolContext = {
    runId: 'r1',
    runFolder: '.ml-intern/runs/r1',
    files,
    executor: new FakeExecutor(),
    settings: DEFAULT_SETTINGS,
    signal: new AbortController().signal,
    logger: { info() {}, warn() {}, error() {}, debug() {} },
    env: {},
    python: 'python3',
    emit: (e) => events.emit(e),
    async proposeChange(change) {
      proposals.push({ ...change });
      const d = decide({ ...change });
      if (d.kind === 'accepted') await files.write(change.path, d.text);
      return { ...d, savedAs: [] };
    },
    approveCommand: async () => ({ approved: true, auto: false }),
    saveRunFile: async (rel, text) => {
      await files.write(`.ml-intern/runs/r1/${rel}`, text);
      return `.ml-intern/runs/r1/${rel}`;
    },
    nextNumber: async () => 1,
    setPlan: () => undefined,
  };
  return { c, proposals, events };
}

test('schema validator: type, required, enum, properties, items', () => {
  const schema = {
    type: 'object',
    properties: {
      path: { type: 'string' },
      n: { type: 'integer' },
      x: { type: 'number' },
      mode: { type: 'string', enum: ['a', 'b'] },
      argv: { type: 'array', items: { type: 'string' } },
      nested: { type: 'object', properties: { flag: { type: 'boolean' } }, required: ['flag'] },
    },
    required: ['path'],
  };
  assert.deepEqual(validateArgs(schema, { path: 'a', n: 2, x: 1.5, mode: 'a', argv: ['x'], nested: { flag: true } }), []);
  assert.deepEqual(validateArgs(schema, { path: 'a', x: 2 }), [], 'an integer is a number');
  const errs = validateArgs(schema, { n: 1.5, mode: 'c', argv: ['x', 3], nested: {} });
  assert.ok(errs.some((e) => /arguments\.path is required/.test(e)));
  assert.ok(errs.some((e) => /arguments\.n must be integer, got number/.test(e)));
  assert.ok(errs.some((e) => /arguments\.mode must be one of "a", "b"/.test(e)));
  assert.ok(errs.some((e) => /arguments\.argv\[1\] must be string/.test(e)));
  assert.ok(errs.some((e) => /arguments\.nested\.flag is required/.test(e)));
  assert.deepEqual(validateArgs(schema, 'str'), ['arguments must be object, got string "str"']);
});

test('registry: core tools, specs for the model, extension by registration', () => {
  const r = new ToolRegistry(coreTools());
  assert.deepEqual(r.names().sort(), ['ask_user', 'edit_file', 'finish', 'list_files', 'plan', 'read_file', 'run', 'run_python', 'write_file']);
  r.register({ name: 'diagnose', description: 'd', parameters: { type: 'object', properties: {} }, approval: 'free', handler: async () => ({ ok: true, output: 'x' }) });
  assert.ok(r.specs().some((s) => s.name === 'diagnose'));
  assert.equal(r.get('read_file')?.approval, 'free');
  assert.equal(r.get('write_file')?.approval, 'write');
  assert.equal(r.get('run')?.approval, 'run');
  assert.throws(() => r.register({ name: 'bad name', description: '', parameters: { type: 'object' }, approval: 'free', handler: async () => ({ ok: true, output: '' }) }));
});

test('read_file pages large files and is confined to the workspace', async () => {
  const lines = Array.from({ length: 1000 }, (_, i) => `line ${i + 1}`).join('\n');
  const files = new MemoryFileStore('/ws', { 'big.txt': lines, '.ml-intern/runs/r1/observations/obs-1.txt': 'full text' });
  const { c } = ctx(files);
  const p1 = await readFileTool.handler({ path: 'big.txt' }, c);
  assert.ok(p1.ok);
  assert.match(p1.output, /lines 1-400 of 1000 \(next page: offset 401\)/);
  const p2 = await readFileTool.handler({ path: 'big.txt', offset: 990, limit: 50 }, c);
  assert.match(p2.output, /lines 990-1000 of 1000/);
  assert.match(p2.output, /line 1000/);
  const obs = await readFileTool.handler({ path: '.ml-intern/runs/r1/observations/obs-1.txt' }, c);
  assert.match(obs.output, /full text/);
  const out = await readFileTool.handler({ path: '../etc/passwd' }, c);
  assert.equal(out.ok, false);
  assert.match(out.output, /outside the workspace/);
  const missing = await readFileTool.handler({ path: 'nope.txt' }, c);
  assert.match(missing.output, /File not found/);
});

test('list_files lists a folder', async () => {
  const files = new MemoryFileStore('/ws', { 'a.py': '', 'data/x.jsonl': '' });
  const { c } = ctx(files);
  const r = await listFilesTool.handler({}, c);
  assert.match(r.output, /a\.py/);
  assert.match(r.output, /data\//);
  const r2 = await listFilesTool.handler({ path: 'data', recursive: true }, c);
  assert.match(r2.output, /data\/x\.jsonl/);
});

test('edit_file: exact-match checking, clear errors, never empties a file', async () => {
  const files = new MemoryFileStore('/ws', { 'train.py': 'a = 1\nb = 2\nb = 2\n' });
  const { c, proposals } = ctx(files);
  const notFound = await editFileTool.handler({ path: 'train.py', search: 'c = 3', replace: 'c = 4', description: 'x' }, c);
  assert.equal(notFound.ok, false);
  assert.match(notFound.output, /not found/);
  const twice = await editFileTool.handler({ path: 'train.py', search: 'b = 2', replace: 'b = 3', description: 'x' }, c);
  assert.equal(twice.ok, false);
  assert.match(twice.output, /occurs 2 times .*lines 2, 3/);
  const ws = await editFileTool.handler({ path: 'train.py', search: 'a  =  1', replace: 'a = 5', description: 'x' }, c);
  assert.match(ws.output, /ignoring whitespace is line 1/);
  assert.equal(proposals.length, 0, 'nothing proposed for a failed edit');
  assert.equal(await files.read('train.py'), 'a = 1\nb = 2\nb = 2\n', 'file untouched');
  const ok = await editFileTool.handler({ path: 'train.py', search: 'a = 1\nb = 2', replace: 'a = 5\nb = 2', description: 'x' }, c);
  assert.ok(ok.ok);
  assert.equal(await files.read('train.py'), 'a = 5\nb = 2\nb = 2\n');
  const missing = await editFileTool.handler({ path: 'nofile.py', search: 'a', replace: 'b', description: 'x' }, c);
  assert.match(missing.output, /does not exist/);
});

test('write_file reports accepted / accepted with edits (patch) / rejected (reason)', async () => {
  const files = new MemoryFileStore('/ws');
  let d: ReviewDecision = { kind: 'rejected', reason: 'use bf16' };
  const { c } = ctx(files, () => d);
  const rej = await writeFileTool.handler({ path: 't.py', content: 'x=1\n', description: 'new' }, c);
  assert.equal(rej.ok, false);
  assert.match(rej.output, /rejected.*use bf16/);
  d = { kind: 'accepted', text: 'x=2\n', userPatch: '@@ -1 +1 @@\n-x=1\n+x=2', auto: false };
  const edited = await writeFileTool.handler({ path: 't.py', content: 'x=1\n', description: 'new' }, c);
  assert.ok(edited.ok);
  assert.match(edited.output, /WITH THE USER'S OWN EDITS/);
  assert.match(edited.output, /\+x=2/);
  assert.equal(await files.read('t.py'), 'x=2\n');
});
