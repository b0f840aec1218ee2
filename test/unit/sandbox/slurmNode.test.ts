/**
 * The Slurm batch script's sandbox on the compute node (sandbox/slurmNode.ts): the text of the
 * train.sbatch the fine-tune session proposes, with and without mlIntern.sandboxTrainings, on one
 * and several nodes; and the node program itself, run here by bash around the real bubblewrap as
 * a node would run it (the real Slurm runs it in test/unit/slurm/nodeSandbox.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { planLaunch } from '../../../src/core/session/launchPlan';
import { slurmSandboxNote } from '../../../src/core/session/slurmSandboxNote';
import { NODE_SANDBOX_MISSING_EXIT, NODE_SANDBOX_MISSING_LINE, nodeSandbox } from '../../../src/core/sandbox/slurmNode';
import { parseNodeBubblewrap } from '../../../src/core/exec/slurmProbe';
import { renderSbatch } from '../../../src/core/exec/slurm';
import { jobScriptSpec } from '../../../src/core/session/launchPlan';
import { sandboxedJobSpec } from '../../../src/core/session/sandboxedJob';
import { DEFAULT_SETTINGS, Settings } from '../../../src/core/settings';
import { MEDICAL_QA_REQUEST } from '../../support/sampleRequest';
import { makeBox, namespacesForbidden, pathWithoutBwrap } from './helpers';

const sandbox = { mode: 'bubblewrap' as const, network: 'off' as const, image: '', trainings: true };
const slurmSettings = (over: Partial<Settings> = {}): Settings => ({
  ...DEFAULT_SETTINGS,
  executionTarget: 'slurm',
  slurm: { partition: 'debug', gpus: 1, timeLimit: '00:10:00', extraDirectives: [] },
  sandbox,
  ...over,
});

function plan(box: ReturnType<typeof makeBox>, settings: Settings) {
  return planLaunch({
    request: MEDICAL_QA_REQUEST, settings, environment: undefined, python: '/opt/py/bin/python', script: 'train.py',
    folder: 'recipes/run', folderAbs: path.join(box.workspace, 'recipes', 'run'), runId: 'r1', runDirAbs: path.join(box.workspace, '.ml-intern', 'runs', 'r1'), env: box.env,
  });
}

/** The words bash would run for the script's command (from the line that starts with `start` to the redaction pipe). */
function commandWords(script: string, start: string): string[] {
  const from = script.split('\n').findIndex((l) => l.startsWith(start));
  assert.ok(from >= 0, `no line starting with ${start}:\n${script}`);
  const text = script.split('\n').slice(from).join('\n');
  const command = text.slice(0, text.indexOf(' 2>&1 | '));
  const r = spawnSync('bash', ['-c', `set -- ${command}\nfor w in "$@"; do printf '%s\\0' "$w"; done`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\0').slice(0, -1);
}

test('sandboxTrainings on the Slurm target: train.sbatch runs the training inside bubblewrap on the node, with the local policy', () => {
  const box = makeBox();
  const { plan: p, files } = plan(box, slurmSettings());
  const script = files.find((f) => f.name === 'train.sbatch')!.content;
  assert.equal(spawnSync('bash', ['-n'], { input: script }).status, 0, 'the script parses');
  assert.match(script, /^# The command runs inside bubblewrap on the compute node \(mlIntern.sandbox\): bubblewrap, network off\.$/m);
  assert.match(script, new RegExp(`stops the job before the command \\(exit code ${NODE_SANDBOX_MISSING_EXIT}\\)`));
  const words = commandWords(script, 'bash -c ');
  const at = words.indexOf('ml-intern-node-sandbox');
  assert.deepEqual(words.slice(0, 2), ['bash', '-c']);
  assert.deepEqual(words.slice(at + 1, at + 3), ['stop', 'bubblewrap, network off']);
  const bwrap = words.slice(at + 3, words.lastIndexOf('--'));
  const pairs = (flag: string) => bwrap.flatMap((w, i) => (w === flag ? [bwrap[i + 1]] : []));
  assert.deepEqual(pairs('--bind'), [box.workspace, path.join(box.workspace, '.ml-intern', 'runs', 'r1'), path.join(box.home, '.cache', 'huggingface')]);
  assert.ok(pairs('--tmpfs').includes(path.join(box.home, '.ssh')), 'the home secrets are hidden');
  assert.ok(bwrap.includes('--unshare-net'), 'network off');
  assert.deepEqual(words.slice(words.lastIndexOf('--') + 1), ['/opt/py/bin/python', 'train.py'], 'the training command as planned');
  assert.deepEqual(p.nodeSandbox, { label: 'bubblewrap, network off', unconfinedWithout: false });
  assert.match(script, / 2>&1 \| \/opt\/py\/bin\/python -u .*redact_output\.py$/m, 'the redaction pump stays outside, on the whole output');
});

test('without sandboxTrainings (or with the sandbox off) the Slurm script runs the command as before, and the approval says where', () => {
  const box = makeBox();
  for (const s of [{ ...sandbox, trainings: false }, { ...sandbox, mode: 'off' as const }]) {
    const { plan: p, files } = plan(box, slurmSettings({ sandbox: s }));
    const script = files.find((f) => f.name === 'train.sbatch')!.content;
    assert.doesNotMatch(script, /bubblewrap|ml-intern-node-sandbox/);
    assert.equal(p.nodeSandbox, undefined);
  }
  const off = slurmSandboxNote({}, undefined, { ...sandbox, mode: 'off' });
  assert.equal(off, '', 'sandbox off: nothing to say, as for a local run');
  assert.match(slurmSandboxNote({}, undefined, { ...sandbox, trainings: false }), /^unconfined on the compute node \(mlIntern.sandboxTrainings is off/);
});

test('several nodes: every node launcher runs inside bubblewrap, with the network on for the rendezvous (said)', () => {
  const box = makeBox();
  const settings = slurmSettings({ slurm: { partition: 'debug', gpus: 0, timeLimit: '00:10:00', extraDirectives: [], nodes: 2 } });
  const { plan: p, files } = plan(box, settings);
  const script = files.find((f) => f.name === 'train.sbatch')!.content;
  assert.equal(spawnSync('bash', ['-n'], { input: script }).status, 0);
  const words = commandWords(script, 'srun --nodes=2 --ntasks=2 --ntasks-per-node=1 --kill-on-bad-exit');
  const launcher = words.indexOf('node-launcher');
  assert.equal(words[launcher + 1], 'bash', 'the sandbox comes right after the per-node id substitution');
  assert.ok(words.includes('bubblewrap, network on (the rendezvous between the nodes needs it)'));
  const bwrap = words.slice(words.indexOf('ml-intern-node-sandbox'), words.lastIndexOf('--'));
  assert.ok(!bwrap.includes('--unshare-net'));
  assert.deepEqual(words.slice(words.lastIndexOf('--') + 1, words.lastIndexOf('--') + 3), ['/opt/py/bin/python', '-m']);
  assert.equal(p.nodeSandbox?.label, 'bubblewrap, network on (the rendezvous between the nodes needs it)');
});

test('an Evaluate/Merge step job is sandboxed on the node only when the sandbox covers trainings', () => {
  const box = makeBox();
  const spec = jobScriptSpec({ partition: 'debug', gpus: 0, timeLimit: '', extraDirectives: [] }, { jobName: 'step', gpus: 0, command: ['/opt/py/bin/python', 'merge.py'], records: path.join(box.workspace, 'logs'), workdir: box.workspace, python: '/opt/py/bin/python' });
  const on = sandboxedJobSpec(sandbox, box.workspace, spec, box.env);
  assert.equal(on.nodeSandbox?.label, 'bubblewrap, network off');
  const script = renderSbatch(on);
  assert.match(script, /ml-intern-node-sandbox stop 'bubblewrap, network off' @ML_INTERN_BWRAP@/);
  assert.match(script, / -- \/opt\/py\/bin\/python merge\.py 2>&1 \| /);
  for (const off of [{ ...sandbox, trainings: false }, { ...sandbox, mode: 'off' as const }]) {
    const plain = sandboxedJobSpec(off, box.workspace, spec, box.env);
    assert.equal(plain.nodeSandbox, undefined);
    assert.equal(renderSbatch(plain), renderSbatch(spec));
  }
});

test('the approval text: sandboxed on the node, or the node has no bubblewrap (what happens, what to install)', () => {
  const planned = { nodeSandbox: { label: 'bubblewrap, network off', unconfinedWithout: false } };
  assert.equal(slurmSandboxNote(planned, { state: 'works', detail: '/usr/bin/bwrap' }, sandbox), 'sandboxed on the node (bubblewrap, network off)');
  const absent = slurmSandboxNote(planned, { state: 'absent', detail: '' }, sandbox);
  assert.match(absent, /^the compute node has no bubblewrap: the job will stop before training \(exit code 97\) and nothing runs; install the Debian\/Ubuntu package `bubblewrap`/);
  const fails = slurmSandboxNote(planned, { state: 'fails', detail: 'bwrap: No permissions to creating new namespace' }, sandbox);
  assert.match(fails, /cannot build a sandbox \(bwrap: No permissions/);
  const allowed = slurmSandboxNote({ nodeSandbox: { ...planned.nodeSandbox, unconfinedWithout: true } }, { state: 'absent', detail: '' }, sandbox);
  assert.match(allowed, /runs UNCONFINED there \(mlIntern.sandboxNodesUnconfined\)/);
  assert.match(slurmSandboxNote(planned, undefined, sandbox), /if it has bubblewrap \(the node was not checked: without it the job stops before training, exit code 97\)/);
  assert.deepEqual(parseNodeBubblewrap('x\nml-intern-node-bubblewrap: works /usr/bin/bwrap\n{"gpus": []}\n'), { state: 'works', detail: '/usr/bin/bwrap' });
  assert.deepEqual(parseNodeBubblewrap('ml-intern-node-bubblewrap: absent\n'), { state: 'absent', detail: '' });
  assert.equal(parseNodeBubblewrap('{"gpus": []}'), undefined);
});

const skip = namespacesForbidden();

test('the node program with the real bubblewrap: the command writes the workspace, not outside, and cannot read ~/.ssh', { skip }, () => {
  const box = makeBox();
  const run = path.join(box.workspace, 'run');
  mkdirSync(run);
  const sb = nodeSandbox({ settings: sandbox, workspace: box.workspace, runDir: run, workdir: box.workspace, env: box.env })!;
  const probe = `echo ok > ${run}/inside.txt; echo escaped > ${box.outside}/escaped.txt; cat ${box.home}/.ssh/id_ed25519; echo "read: $?"`;
  const r = spawnSync(sb.prefix[0], [...sb.prefix.slice(1), 'sh', '-c', probe], { env: box.env, encoding: 'utf8' });
  assert.equal(readFileSync(path.join(run, 'inside.txt'), 'utf8'), 'ok\n');
  assert.ok(!existsSync(path.join(box.outside, 'escaped.txt')), r.stderr);
  assert.doesNotMatch(r.stdout, new RegExp(box.canary));
  assert.match(r.stdout, /read: 1/);
  assert.match(r.stderr, /ML Intern: sandboxed on compute node \S+ \(bubblewrap, network off\)/);
});

test('the node program on a node without bwrap: stops before the command with the clear line, or runs unconfined when allowed (said)', { skip }, (t) => {
  const box = makeBox();
  const noBwrap = pathWithoutBwrap();
  t.after(() => rmSync(noBwrap, { recursive: true, force: true }));
  const env = { ...box.env, PATH: noBwrap };
  const marker = path.join(box.workspace, 'ran.txt');
  const stop = nodeSandbox({ settings: sandbox, workspace: box.workspace, workdir: box.workspace, env: box.env })!;
  const r = spawnSync(stop.prefix[0], [...stop.prefix.slice(1), 'sh', '-c', `echo ran > ${marker}`], { env, encoding: 'utf8' });
  assert.equal(r.status, NODE_SANDBOX_MISSING_EXIT);
  assert.ok(r.stderr.includes(NODE_SANDBOX_MISSING_LINE), r.stderr);
  assert.match(r.stderr, /bwrap is not installed there .*sudo apt-get install bubblewrap/);
  assert.ok(!existsSync(marker), 'nothing ran');
  const allow = nodeSandbox({ settings: { ...sandbox, nodesUnconfined: true }, workspace: box.workspace, workdir: box.workspace, env: box.env })!;
  const u = spawnSync(allow.prefix[0], [...allow.prefix.slice(1), 'sh', '-c', `echo ran > ${marker}`], { env, encoding: 'utf8' });
  assert.equal(u.status, 0, u.stderr);
  assert.match(u.stderr, /runs UNCONFINED there, as mlIntern.sandboxNodesUnconfined allows/);
  assert.ok(existsSync(marker));
});

test('a hostile HOME (quotes, $(…), backticks) stays a path in the script: nothing runs from it, and its .ssh is hidden', { skip }, () => {
  const box = makeBox();
  const home = path.join(box.root, "h'o $(touch PWNED) `touch PWNED2` \"q\"");
  mkdirSync(path.join(home, '.ssh'), { recursive: true });
  writeFileSync(path.join(home, '.ssh', 'id_ed25519'), `${box.canary}\n`);
  const { files } = plan({ ...box, env: { ...box.env, HOME: home } }, slurmSettings());
  const script = files.find((f) => f.name === 'train.sbatch')!.content;
  assert.equal(spawnSync('bash', ['-n'], { input: script }).status, 0);
  const words = commandWords(script, 'bash -c ');
  assert.ok(words.includes(path.join(home, '.ssh')), 'the hidden folder is one word, verbatim');
  mkdirSync(path.join(box.workspace, 'recipes', 'run'), { recursive: true });
  const argv = [...words.slice(0, words.lastIndexOf('--') + 1), 'sh', '-c', 'cat "$0" || echo UNREADABLE', path.join(home, '.ssh', 'id_ed25519')];
  const r = spawnSync(argv[0], argv.slice(1), { cwd: box.workspace, env: { ...box.env, HOME: home }, encoding: 'utf8' });
  assert.match(r.stdout, /UNREADABLE/, r.stderr);
  assert.ok(!r.stdout.includes(box.canary));
  for (const f of ['PWNED', 'PWNED2']) assert.ok(!existsSync(path.join(box.workspace, f)) && !existsSync(path.join(box.root, f)), `${f} was not created`);
});
