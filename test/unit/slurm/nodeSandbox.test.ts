/**
 * Slurm jobs inside bubblewrap on the compute node, against the REAL test Slurm
 * (scripts/slurm-test-cluster.sh) and the real bubblewrap of this machine (the node is this host;
 * the job runs as this user, who submits it). The node check says whether bwrap works there; the
 * fine-tune session's approval says "sandboxed on the node"; its job trains inside the sandbox and
 * still writes its checkpoints and logs; a job that tries to write outside the workspace and read
 * a canary under the fake HOME's .ssh cannot; a node without bwrap (a PATH without it) stops the
 * job before its command with the clear line. Needs root and slurm-wlm + munge.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { SlurmBackend } from '../../../src/core/exec/slurm';
import { checkComputeNode, withNodeGpus } from '../../../src/core/exec/slurmProbe';
import { envReport } from '../../../src/core/python';
import { diagnose } from '../../../src/core/recovery';
import { NODE_SANDBOX_MISSING_EXIT, NODE_SANDBOX_MISSING_LINE, nodeSandbox, nodeSandboxWrap } from '../../../src/core/sandbox/slurmNode';
import { jobScriptSpec, sbatchFrom } from '../../../src/core/session/launchPlan';
import { FineTuneSession, scriptFolder } from '../../../src/core/session/fineTuneSession';
import { RunStore } from '../../../src/core/runs/runStore';
import { DEFAULT_SETTINGS, Settings } from '../../../src/core/settings';
import { RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { MEDICAL_QA_REQUEST } from '../../support/sampleRequest';
import { AgentSession } from '../../../src/core/agent/agentLoop';
import { startDetached } from '../../../src/core/exec/detached';
import { createAgentRegistry } from '../../../src/core/tools/domain';
import { CommandApprovalRequest } from '../../../src/core/tools/types';
import { LlmRequest } from '../../../src/core/llm/types';
import { makeDeps, ScriptedLlm } from '../agent/helpers';
import { makeBox, namespacesForbidden, pathWithoutBwrap } from '../sandbox/helpers';
import { useTestCluster } from '../session/slurmClusterHooks';

const FAKE_PYTHON = path.resolve('test/fixtures/trainer/fake-python');
const cluster = useTestCluster();
const skip = namespacesForbidden();
const made: string[] = [];
after(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A workspace, a fake HOME with its canary and a folder outside (sandbox/helpers), removed after the file's tests. */
function noBwrapPath(): string {
  const dir = pathWithoutBwrap();
  made.push(dir);
  return dir;
}

function newBox(): ReturnType<typeof makeBox> {
  const b = makeBox();
  made.push(b.root);
  return b;
}

const sandbox = { mode: 'bubblewrap' as const, network: 'off' as const, image: '', trainings: true };
const slurm: Settings['slurm'] = { partition: 'debug', gpus: 0, timeLimit: '00:10:00', extraDirectives: ['--cpus-per-task=1'] };
const settings: Settings = { ...DEFAULT_SETTINGS, executionTarget: 'slurm', slurm, sandbox };

function backend(env: NodeJS.ProcessEnv = {}): SlurmBackend {
  return new SlurmBackend({ env: { ...cluster().env, ...env }, pollMs: 200 });
}

/** Submit one command as the sessions do (jobScriptSpec), inside the node sandbox; its end and its output. */
async function sandboxedJob(box: ReturnType<typeof makeBox>, command: string[], env: NodeJS.ProcessEnv) {
  const records = path.join(box.workspace, 'records');
  mkdirSync(records);
  const spec = jobScriptSpec(slurm, { jobName: 'ml-intern-node-sandbox-test', gpus: 0, command, records, workdir: box.workspace, python: 'python3' });
  const sb = nodeSandbox({ settings: sandbox, workspace: box.workspace, runDir: records, workdir: box.workspace, env: box.env })!;
  const script = path.join(box.workspace, 'job.sbatch');
  writeFileSync(script, sbatchFrom({ ...spec, redactOutput: undefined, wrap: nodeSandboxWrap(sb) }));
  const b = backend({ ...env, HOME: box.home });
  const jobId = await b.submit(script);
  const end = await b.waitForEnd(jobId, { timeoutMs: 60_000 });
  return { end, output: readFileSync(path.join(records, `slurm-${jobId}.out`), 'utf8') };
}

test('the node check says whether the node has a working bubblewrap (and where), or that it has none', { skip, timeout: 120_000 }, async () => {
  const box = newBox();
  const node = await checkComputeNode({ python: FAKE_PYTHON, slurm, workspace: box.workspace, backend: backend() });
  assert.deepEqual(node.bubblewrap, { state: 'works', detail: '/usr/bin/bwrap' });
  const login = await envReport(FAKE_PYTHON, { cwd: box.workspace });
  assert.deepEqual(withNodeGpus(login, node)?.nodeBubblewrap, node.bubblewrap, 'the report the session plans with carries it');
  const bare = newBox();
  const without = await checkComputeNode({ python: FAKE_PYTHON, slurm, workspace: bare.workspace, backend: backend({ PATH: noBwrapPath() }) });
  assert.deepEqual(without.bubblewrap, { state: 'absent', detail: '' });
});

test('a sandboxed job cannot write outside the workspace nor read the canary under HOME/.ssh; it writes the workspace', { skip, timeout: 90_000 }, async () => {
  const box = newBox();
  const probe = [
    `echo inside > ${box.workspace}/inside.txt`,
    `echo escaped > ${box.outside}/escaped.txt && echo WROTE-OUTSIDE`,
    `cat ${box.home}/.ssh/id_ed25519 || echo CANARY-UNREADABLE`,
  ].join('; ');
  const { end, output } = await sandboxedJob(box, ['sh', '-c', probe], {});
  assert.equal(end.state, 'COMPLETED', output);
  assert.match(output, /ML Intern: sandboxed on compute node \S+ \(bubblewrap, network off\)/);
  assert.equal(readFileSync(path.join(box.workspace, 'inside.txt'), 'utf8'), 'inside\n');
  assert.ok(!existsSync(path.join(box.outside, 'escaped.txt')), output);
  assert.doesNotMatch(output, /WROTE-OUTSIDE/);
  assert.ok(!output.includes(box.canary), 'the canary did not reach the job output');
  assert.match(output, /CANARY-UNREADABLE/);
});

test('a node without bwrap: the job stops before its command with the clear line and exit code, which the diagnosis names', { skip, timeout: 90_000 }, async () => {
  const box = newBox();
  const { end, output } = await sandboxedJob(box, ['sh', '-c', `echo ran > ${box.workspace}/ran.txt`], { PATH: noBwrapPath() });
  assert.equal(end.state, 'FAILED');
  assert.equal(end.exitCode, NODE_SANDBOX_MISSING_EXIT);
  assert.ok(output.includes(NODE_SANDBOX_MISSING_LINE), output);
  assert.match(output, /Install the package bubblewrap on the compute nodes \(Debian\/Ubuntu: sudo apt-get install bubblewrap/);
  assert.ok(!existsSync(path.join(box.workspace, 'ran.txt')), 'never a silent unconfined run');
  const d = diagnose(output);
  assert.equal(d.category, 'sandbox_unavailable');
  assert.equal(d.fix.kind, 'user');
  assert.match(d.fix.description, /bubblewrap/);
});

test('fine-tune on Slurm with sandboxTrainings: the approval says sandboxed on the node, and the job trains inside, writing checkpoints and logs', { skip, timeout: 120_000 }, async () => {
  const box = newBox();
  cpSync('examples/medical-qa', box.workspace, { recursive: true });
  const login = await envReport(FAKE_PYTHON, { cwd: box.workspace });
  const environment = withNodeGpus(login, await checkComputeNode({ python: FAKE_PYTHON, slurm, workspace: box.workspace, backend: backend() }));
  const reasons: string[] = [];
  const home = process.env.HOME;
  // The session plans with this process's HOME (the login node's user): the fake one, with its canary.
  process.env.HOME = box.home;
  try {
    const files = new NodeFileStore(box.workspace);
    const session = await FineTuneSession.create(MEDICAL_QA_REQUEST, {
      files, reviewer: new ScriptedReviewer(), events: new RecordingEventSink(), runs: new RunStore(files), settings: () => settings, python: FAKE_PYTHON, environment,
      launch: async () => assert.fail('nothing starts on this machine'),
      approveCommand: async (req) => {
        reasons.push(req.reason ?? '');
        return { approved: true };
      },
      slurm: { backend: (extra: Record<string, string> = {}) => backend({ FAKE_OOM_ABOVE: '64', FAKE_STEPS: '250', HOME: box.home, ...extra }), pollMs: 200 },
    });
    const outcome = await session.execute();
    assert.equal(outcome.kind, 'succeeded', JSON.stringify(outcome));
    assert.equal(reasons.length, 1);
    assert.match(reasons[0], /^Submit .*train\.sbatch to Slurm .*; sandboxed on the node \(bubblewrap, network off\)$/);
    const runDir = path.join(box.workspace, session.handle.folder);
    const out = readdirSync(path.join(runDir, 'logs')).find((f) => /^slurm-\d+\.out$/.test(f))!;
    const log = readFileSync(path.join(runDir, 'logs', out), 'utf8');
    assert.match(log, /ML Intern: sandboxed on compute node \S+ \(bubblewrap, network off\)/);
    assert.match(log, /train_runtime/);
    const folder = path.join(box.workspace, scriptFolder(MEDICAL_QA_REQUEST));
    assert.match(readFileSync(path.join(folder, 'train.sbatch'), 'utf8'), /ml-intern-node-sandbox stop/);
    const saved = readdirSync(folder, { recursive: true }).map(String);
    assert.ok(saved.some((f) => /checkpoint-200$/.test(f)), `checkpoints written inside: ${saved.join(', ')}`);
    assert.ok(saved.some((f) => /adapter_config\.json$/.test(f)), 'the final adapter too');
    assert.ok(readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().length > 0, 'metrics in the run folder');
  } finally {
    process.env.HOME = home;
  }
});

test("the agent's submit_job with mlIntern.sandbox on: the approval says sandboxed on the node, and the job's command cannot reach the canary", { skip, timeout: 120_000 }, async () => {
  const box = newBox();
  const approvals: CommandApprovalRequest[] = [];
  const seen: LlmRequest[] = [];
  const probe = `echo escaped > ${box.outside}/escaped.txt; cat ${box.home}/.ssh/id_ed25519 || echo CANARY-UNREADABLE`;
  const llm = new ScriptedLlm([
    { calls: [{ id: 'job', name: 'submit_job', args: { command: ['sh', '-c', probe], reason: 'look around' } }] },
    (req: LlmRequest) => {
      seen.push({ ...req, messages: req.messages.map((m) => ({ ...m })) });
      return { calls: [{ name: 'finish', args: { summary: 'done' } }] };
    },
  ]);
  const deps = makeDeps(llm, {
    root: box.workspace,
    settings: { executionTarget: 'slurm', slurm, sandbox: { ...sandbox, trainings: false } },
    tools: createAgentRegistry({ executionTarget: 'slurm' }),
    env: { HOME: box.home },
    approveCommand: async (req) => {
      approvals.push(req);
      return { approved: true, auto: false };
    },
    detached: { launch: (spec, options) => startDetached(spec, options), slurm: { backend: (extra) => backend(extra), pollMs: 200 } },
  });
  const session = await AgentSession.create(deps, { goal: 'Look around on the cluster.' });
  assert.equal((await session.start()).state, 'succeeded');
  assert.match(approvals[0].reason, /look around — Slurm job: .*; runs sh -c .*; sandboxed on the node \(bubblewrap, network off\) if it has bubblewrap/);
  assert.match(approvals[0].detail ?? '', /ml-intern-node-sandbox stop/);
  const tool = [...seen[0].messages].reverse().find((m) => m.role === 'tool');
  const text = tool && tool.role === 'tool' ? tool.content : '';
  assert.match(text, /ML Intern: sandboxed on compute node/);
  assert.match(text, /CANARY-UNREADABLE/);
  assert.ok(!text.includes(box.canary));
  assert.ok(!existsSync(path.join(box.outside, 'escaped.txt')));
});
