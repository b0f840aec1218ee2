import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { AgentSession } from '../../../src/core/agent/agentLoop';
import { createCoreRegistry } from '../../../src/core/tools/coreTools';
import { discoverCustomTools, registerCustomTools } from '../../../src/core/tools/customTools';
import { makeDeps, ScriptedLlm, tempWorkspace } from '../agent/helpers';

const FIXTURES = path.resolve(__dirname, '../../fixtures/custom_tools');

function workspaceWithTools(): string {
  const root = tempWorkspace('mli-custom-');
  mkdirSync(path.join(root, '.ml-intern/tools'), { recursive: true });
  cpSync(FIXTURES, path.join(root, '.ml-intern/tools'), { recursive: true });
  return root;
}

test('describe_tools: @tool functions (ml_intern_tool and smolagents import), smolagents-like objects, broken files reported', async () => {
  const root = workspaceWithTools();
  const found = await discoverCustomTools({ workspaceRoot: root, python: 'python3' });
  const byName = Object.fromEntries(found.tools.map((t) => [t.name, t]));
  assert.deepEqual(Object.keys(byName).sort(), ['flaky_tool', 'gpu_quota', 'summarize_losses', 'trigger_slurm_job']);
  const slurm = byName.trigger_slurm_job;
  assert.equal(slurm.approval, 'run');
  assert.match(slurm.description, /^Submits a training script to the cluster's Slurm scheduler\./);
  assert.deepEqual(slurm.parameters, {
    type: 'object',
    properties: {
      script_path: { type: 'string', description: 'The path to the python script to run.' },
      gpus: { type: 'integer', description: 'The number of GPUs to request.' },
    },
    required: ['script_path', 'gpus'],
  });
  const losses = byName.summarize_losses.parameters as unknown as { properties: Record<string, { type?: string; items?: unknown; description?: string }>; required: string[] };
  assert.deepEqual(losses.required, ['losses'], 'Optional and defaulted parameters are not required');
  assert.deepEqual(losses.properties.losses.items, { type: 'number' });
  assert.equal(losses.properties.verbose.type, 'boolean');
  assert.equal(losses.properties.verbose.description, 'Whether to list every value on its own line.');
  const quota = byName.gpu_quota.parameters as unknown as { required: string[] };
  assert.deepEqual(quota.required, ['account']);
  assert.equal(found.errors.length, 1);
  assert.match(found.errors[0], /broken\.py: SyntaxError/);
});

test('(g) a custom @tool function is described to the model with its docstring, called, and its string returned', async () => {
  const root = workspaceWithTools();
  const registry = createCoreRegistry();
  const reg = await registerCustomTools(registry, { workspaceRoot: root, python: 'python3' });
  assert.ok(registry.has('trigger_slurm_job'));
  assert.equal(reg.errors.length, 1);
  const approvals: string[] = [];
  const llm = new ScriptedLlm([
    (req) => {
      const spec = req.tools?.find((t) => t.name === 'trigger_slurm_job');
      assert.ok(spec, 'the tool is offered to the model');
      assert.match(spec.description, /Submits a training script to the cluster's Slurm scheduler/);
      assert.equal((spec.parameters.properties as Record<string, { description: string }>).gpus.description, 'The number of GPUs to request.');
      return { calls: [{ name: 'trigger_slurm_job', args: { script_path: 'train.py', gpus: 4 } }] };
    },
    { calls: [{ name: 'flaky_tool', args: { reason: 'maintenance' } }] },
    { calls: [{ name: 'trigger_slurm_job', args: { script_path: 'train.py', gpus: 'four' } }] },
    { calls: [{ name: 'finish', args: { summary: 'submitted' } }] },
  ]);
  const deps = makeDeps(llm, { root, tools: registry, approveCommand: async (r) => (approvals.push(r.tool), { approved: true }) });
  const { session, outcome } = await AgentSession.startRun(deps, { goal: 'submit the job' });
  assert.equal(outcome.state, 'succeeded');
  const tools = session.conversation.filter((m) => m.role === 'tool');
  assert.equal(tools[0].content, 'Submitted job for train.py with 4 GPUs.');
  assert.match(tools[1].content, /flaky_tool raised RuntimeError: cluster unreachable: maintenance/);
  assert.match(tools[2].content, /arguments\.gpus must be integer, got string/);
  assert.deepEqual(approvals, ['trigger_slurm_job', 'flaky_tool'], 'each call approved (approval class run)');
});

test('a missing interpreter is a clear error, not a crash', async () => {
  const root = workspaceWithTools();
  const found = await discoverCustomTools({ workspaceRoot: root, python: '/nonexistent/python3' });
  assert.equal(found.tools.length, 0);
  assert.match(found.errors[0], /mlIntern\.pythonPath/);
});
