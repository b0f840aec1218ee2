/**
 * (a) A scripted multi-step session against the fake LLM server, through the
 * REAL OpenAI SDK provider over HTTP and a real executor running python:
 * inspect data → propose a script → accepted → run (OOM) → failure observed →
 * fix proposed → accepted with the user's own edit → run succeeds → finish.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createPatch } from 'diff';
import { AgentSession } from '../../../src/core/agent/agentLoop';
import { createLocalExecutor } from '../../../src/core/exec/localExecutor';
import { OpenAiProvider } from '../../../src/core/llm/openaiProvider';
import { parseTranscript } from '../../../src/core/runs/transcript';
import { rebuildConversation } from '../../../src/core/runs/rebuild';
import { RunStore } from '../../../src/core/runs/runStore';
import { startFakeLlmServer } from '../../support/fakeLlmServer';
import { makeDeps, tempWorkspace } from './helpers';

const TRAIN = readFileSync(path.join(__dirname, 'fixtures', 'train_oom.py'), 'utf8');
const DATA = path.resolve(__dirname, '../../../examples/medical-qa/data/medical_qa.jsonl');

const call = (name: string, args: unknown, id?: string) => ({ ...(id ? { id } : {}), name, arguments: JSON.stringify(args) });

test('(a) inspect → write → run (OOM) → fix → run → finish, with the real OpenAI provider over HTTP; the run folder rebuilds the same state', async () => {
  const server = await startFakeLlmServer();
  try {
    const root = tempWorkspace('mli-accept-');
    mkdirSync(path.join(root, 'data'));
    copyFileSync(DATA, path.join(root, 'data', 'medical_qa.jsonl'));
    server.script([
      {
        text: 'I will look at the data first.',
        toolCalls: [
          call('plan', { items: [{ text: 'Inspect data', status: 'in_progress' }, { text: 'Write train.py', status: 'pending' }, { text: 'Train', status: 'pending' }] }),
          call('read_file', { path: 'data/medical_qa.jsonl', limit: 3 }),
        ],
        usage: { inputTokens: 900, outputTokens: 60 },
      },
      { text: 'Columns patient_query/doctor_response. Writing the script.', toolCalls: [call('write_file', { path: 'train.py', content: TRAIN, description: 'SFT script' })] },
      { toolCalls: [call('run', { command: ['python', 'train.py'], reason: 'first training run' })] },
      { text: 'CUDA OOM at batch 16; lowering it.', toolCalls: [call('edit_file', { path: 'train.py', search: 'BATCH_SIZE = 16', replace: 'BATCH_SIZE = 4', description: 'fix OOM: smaller batch' })] },
      { toolCalls: [call('run', { command: ['python', 'train.py'], reason: 'retry after the OOM fix' })] },
      { toolCalls: [call('finish', { summary: 'Trained after lowering the batch size to 2 (user edit) to fix a CUDA OOM.', artefacts: ['train.py', 'outputs/adapter'] })] },
    ]);
    const llm = new OpenAiProvider({ apiKey: 'sk-test-000000000000000000000000', model: 'gpt-4.1', baseUrl: server.openaiBaseUrl });
    const deps = makeDeps(llm, { root, executor: createLocalExecutor(), costOf: undefined });
    // The fix is accepted with the user's own edit (batch 2 instead of 4): the model gets the patch.
    deps.reviewer.push(
      (c) => ({ kind: 'accepted', text: c.proposed, userPatch: '', auto: false }),
      (c) => {
        const text = c.proposed.replace('BATCH_SIZE = 4', 'BATCH_SIZE = 2  # user: keep headroom');
        return { kind: 'accepted', text, userPatch: createPatch(c.path, c.proposed, text), auto: false };
      },
    );
    const approvals: string[][] = [];
    deps.approveCommand = async (r) => (approvals.push(r.argv), { approved: true });

    const { session, outcome } = await AgentSession.startRun(deps, { goal: 'Fine-tune a small model on data/medical_qa.jsonl' });
    assert.equal(outcome.state, 'succeeded', outcome.message);
    assert.match(outcome.message, /batch size to 2/);
    assert.deepEqual(outcome.artefacts, ['train.py', 'outputs/adapter']);
    assert.equal(server.remaining(), 0);

    // What the model saw, over the wire.
    const sent = server.requests.map((r) => r.body as { messages: Array<{ role: string; content: string; tool_call_id?: string }> });
    const lastTool = (i: number) => [...sent[i].messages].reverse().find((m) => m.role === 'tool')?.content ?? '';
    assert.match(lastTool(1), /mqa-0000/, 'the data was read');
    assert.match(lastTool(2), /Accepted by the user as proposed: wrote train\.py/);
    assert.match(lastTool(3), /exit code 1/);
    assert.match(lastTool(3), /OutOfMemoryError: CUDA out of memory/);
    assert.match(lastTool(4), /WITH THE USER'S OWN EDITS/);
    assert.match(lastTool(4), /\+BATCH_SIZE = 2  # user: keep headroom/);
    assert.match(lastTool(5), /exit code 0/);
    assert.match(lastTool(5), /saved adapter/);
    assert.equal(approvals.length, 2);
    assert.equal(readFileSync(path.join(root, 'train.py'), 'utf8'), TRAIN.replace('BATCH_SIZE = 16', 'BATCH_SIZE = 2  # user: keep headroom'));

    // The run folder holds every script version, the transcript, the logs and the status.
    const folder = path.join(root, session.folder);
    assert.deepEqual(readdirSync(path.join(folder, 'scripts')).sort(), ['001-accepted-train.py', '001-proposed-train.py', '002-accepted-train.py', '002-proposed-train.py']);
    assert.equal(readFileSync(path.join(folder, 'scripts', '001-proposed-train.py'), 'utf8'), TRAIN);
    assert.match(readFileSync(path.join(folder, 'scripts', '002-proposed-train.py'), 'utf8'), /BATCH_SIZE = 4\n/);
    assert.match(readFileSync(path.join(folder, 'scripts', '002-accepted-train.py'), 'utf8'), /BATCH_SIZE = 2  # user/);
    assert.match(readFileSync(path.join(folder, 'logs', 'cmd-1.log'), 'utf8'), /OutOfMemoryError/);
    assert.match(readFileSync(path.join(folder, 'logs', 'cmd-2.log'), 'utf8'), /saved adapter/);
    const status = JSON.parse(readFileSync(path.join(folder, 'status.json'), 'utf8'));
    assert.equal(status.state, 'succeeded');
    assert.equal(status.steps, 6);
    assert.ok(status.costUsd > 0, 'cost from the pricing table');
    const spec = JSON.parse(readFileSync(path.join(folder, 'spec.json'), 'utf8'));
    assert.equal(spec.goal, 'Fine-tune a small model on data/medical_qa.jsonl');
    const { entries, warnings } = parseTranscript(readFileSync(path.join(folder, 'transcript.jsonl'), 'utf8'));
    assert.deepEqual(warnings, []);
    const decisions = entries.filter((e) => e.kind === 'decision').map((e) => `${(e as { subject: string }).subject}:${(e as { decision: string }).decision}`);
    assert.deepEqual(decisions, ['change:accepted', 'command:approved', 'change:accepted', 'command:approved']);
    assert.equal(entries.filter((e) => e.kind === 'usage').length, 6);
    assert.doesNotMatch(readFileSync(path.join(folder, 'transcript.jsonl'), 'utf8'), /sk-test-0000/);

    // Rebuilding from the transcript reconstructs the same messages and state.
    const rebuilt = rebuildConversation(entries);
    assert.deepEqual(rebuilt.messages, session.conversation);
    assert.deepEqual(rebuilt.plan, session.currentPlan);
    assert.equal(rebuilt.steps, session.budgetState.steps);
    assert.equal(rebuilt.totals.costUsd, session.budgetState.costUsd);
    assert.equal(rebuilt.state, 'succeeded');
    const reopened = await AgentSession.reopen({ ...deps }, session.id);
    assert.deepEqual(reopened.conversation, session.conversation);
    assert.deepEqual(reopened.budgetState, session.budgetState);
    assert.deepEqual(reopened.currentPlan, session.currentPlan);
    assert.equal(reopened.currentState, 'succeeded');
    const listed = await new RunStore(deps.files).list();
    assert.equal(listed[0].id, session.id);

    // The training the agent ran draws its loss chart like a fine-tune session's: the second
    // command's card gets the logged losses, and metrics.jsonl keeps them for a reopened panel.
    const started = deps.events.ofType('process_started').map((e) => e.processId);
    assert.equal(started.length, 2);
    const charted = deps.events.ofType('metrics').flatMap((e) => e.points.map((p) => [e.processId, p.step, p.loss]));
    assert.deepEqual(charted, [
      [started[1], 1, 1.7],
      [started[1], 2, 1.4],
      [started[1], 3, 1.1],
    ]);
    const lines = readFileSync(path.join(folder, 'metrics.jsonl'), 'utf8').trim().split('\n');
    assert.deepEqual(lines, ['{"step":1,"loss":1.7}', '{"step":2,"loss":1.4}', '{"step":3,"loss":1.1}']);

    // The events a UI needs were emitted.
    const types = new Set(deps.events.events.map((e) => e.type));
    for (const t of ['run_started', 'assistant_delta', 'assistant_message', 'tool_call', 'tool_result', 'plan', 'usage', 'change_proposed', 'change_decided', 'process_started', 'process_output', 'process_exited', 'run_state'] as const) {
      assert.ok(types.has(t), `event ${t}`);
    }
  } finally {
    await server.close();
  }
});
