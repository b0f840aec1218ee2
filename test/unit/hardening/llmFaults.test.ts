/**
 * LLM faults through the REAL SDK providers (OpenAI and Anthropic) against the
 * fake server, inside an AgentSession run: every fault ends in a state the
 * user can act on, the run folder stays consistent (status.json parses, every
 * transcript line parses, the conversation rebuilds), and the run can be
 * reopened from its folder and continued.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { AgentSession } from '../../../src/core/agent/agentLoop';
import { SUMMARY_PROMPT } from '../../../src/core/agent/compaction';
import { LlmProvider } from '../../../src/core/llm/types';
import { ManualClock } from '../../../src/core/testing/memoryPorts';
import { FakeLlmServer, FakeTurn, startFakeLlmServer } from '../../support/fakeLlmServer';
import { agentDeps, assertConsistentFolder, call, finish, Flavour, FLAVOURS, HardDeps, sentBodies } from './helpers';

/** Reopen the run from its folder alone (as after a window reload), continue it, and check it finishes. */
async function continueFromFolder(deps: HardDeps, server: FakeLlmServer, runId: string, llm: LlmProvider): Promise<void> {
  server.push(finish('Finished after the fault.'));
  const reopened = await AgentSession.reopen({ ...deps, llm }, runId);
  const outcome = await reopened.continueRun('Please go on.');
  assert.equal(outcome.state, 'succeeded', outcome.message);
  const state = assertConsistentFolder(deps.files.root, reopened.folder);
  assert.equal(state.status.state, 'succeeded');
  assert.deepEqual(state.rebuilt.messages, reopened.conversation);
}

function scenario(f: Flavour) {
  describe(`LLM faults in an agent run (${f.name})`, () => {
    let server: FakeLlmServer;
    before(async () => {
      server = await startFakeLlmServer();
    });
    after(async () => {
      await server.close();
    });

    async function run(turns: FakeTurn[], opts: { clock?: ManualClock; llm?: LlmProvider; deps?: Partial<HardDeps> } = {}) {
      server.script(turns);
      server.requests.length = 0;
      const llm = opts.llm ?? f.make(server, opts.clock ? { clock: opts.clock } : {});
      const deps = agentDeps(llm, opts.deps ?? {});
      const { session, outcome } = await AgentSession.startRun(deps, { goal: 'Fine-tune a small model on data/train.jsonl' });
      return { session, outcome, deps, llm, folder: assertConsistentFolder(deps.files.root, session.folder) };
    }

    test('401: the run fails with a message naming "ML Intern: Set API Key", no retry, and resumes with a good key', async () => {
      const r = await run([{ status: 401 }]);
      assert.equal(r.outcome.state, 'failed');
      assert.match(r.outcome.message, /ML Intern: Set API Key/);
      assert.match(r.outcome.message, /401/);
      assert.doesNotMatch(r.outcome.message, /sk-test-a|sk-ant-test|at .*\.ts:\d+/, 'no key, no stack trace');
      assert.equal(server.requests.length, 1, 'a rejected key is not retried');
      assert.equal(r.folder.status.state, 'failed');
      assert.match(r.folder.status.lastMessage, /ML Intern: Set API Key/);
      await continueFromFolder(r.deps, server, r.session.id, f.make(server));
    });

    test('429 with retry-after: waits what the server asked, then goes on', async () => {
      const clock = new ManualClock();
      const r = await run([{ status: 429, retryAfter: 3 }, finish()], { clock });
      assert.equal(r.outcome.state, 'succeeded', r.outcome.message);
      assert.deepEqual(clock.sleeps, [3000]);
      await continueFromFolder(r.deps, server, r.session.id, f.make(server));
    });

    test('429 without retry-after: backs off, then goes on; a persistent 429 fails with a clear message', async () => {
      const clock = new ManualClock();
      const ok = await run([{ status: 429 }, finish()], { clock });
      assert.equal(ok.outcome.state, 'succeeded', ok.outcome.message);
      assert.equal(clock.sleeps.length, 1);
      assert.ok(clock.sleeps[0] > 0 && clock.sleeps[0] <= 50);

      const bad = await run([{ status: 429 }, { status: 429 }, { status: 429 }]);
      assert.equal(bad.outcome.state, 'failed');
      assert.match(bad.outcome.message, /rate-limited/);
      assert.match(bad.outcome.message, /gave up after 3 attempts/);
      assert.match(bad.outcome.message, /ML Intern: Select Model/);
      await continueFromFolder(bad.deps, server, bad.session.id, f.make(server));
    });

    test('500 then 503: retried, the run succeeds', async () => {
      const r = await run([{ status: 500 }, { status: 503 }, finish()]);
      assert.equal(r.outcome.state, 'succeeded', r.outcome.message);
      assert.equal(server.requests.length, 3);
      assert.equal(r.folder.entries.filter((e) => e.kind === 'usage').length, 1, 'failed attempts are not billed');
      await continueFromFolder(r.deps, server, r.session.id, f.make(server));
    });

    test('time-out before the first byte: retried; when it never answers the run fails saying so', async () => {
      const r = await run([{ delayFirstByteMs: 5_000, ...finish() }, finish()]);
      assert.equal(r.outcome.state, 'succeeded', r.outcome.message);
      assert.equal(server.requests.length, 2);

      const never = await run([{ delayFirstByteMs: 5_000 }, { delayFirstByteMs: 5_000 }, { delayFirstByteMs: 5_000 }]);
      assert.equal(never.outcome.state, 'failed');
      assert.match(never.outcome.message, /sent nothing for/);
      await continueFromFolder(never.deps, server, never.session.id, f.make(server));
    });

    test('stream cut mid-text: the partial answer is not kept as if complete; the run fails cleanly and continues', async () => {
      const r = await run([{ text: 'I will inspect the dataset first and then write the script.', cutAfterChunks: 5 }]);
      assert.equal(r.outcome.state, 'failed');
      assert.match(r.outcome.message, /dropped before the answer was complete/);
      assert.equal(r.folder.rebuilt.messages.filter((m) => m.role === 'assistant').length, 0, 'no half answer in the conversation');
      await continueFromFolder(r.deps, server, r.session.id, f.make(server));
    });

    test('stream cut mid-tool-call: the half call is never executed', async () => {
      const content = 'print("hello")\n'.repeat(20);
      const r = await run([{ toolCalls: [call('write_file', { path: 'x.py', content, description: 'a script' })], cutAfterChunks: 6 }, finish()]);
      assert.ok(['failed', 'succeeded'].includes(r.outcome.state), r.outcome.message);
      if (r.outcome.state === 'failed') assert.match(r.outcome.message, /dropped before the answer was complete/);
      assert.equal(existsSync(path.join(r.deps.files.root, 'x.py')), false);
      assert.equal(r.deps.reviewer.seen.length, 0, 'nothing was proposed from a cut call');
      await continueFromFolder(r.deps, server, r.session.id, f.make(server));
    });

    test('malformed tool arguments and an unknown tool: error observations, the model corrects itself', async () => {
      const server2 = server;
      const r = await run(
        [
          { toolCalls: [{ name: 'read_file', arguments: '{"path": "notes.txt"' }] },
          { toolCalls: [call('read_the_file', { path: 'notes.txt' })] },
          { toolCalls: [call('read_file', { path: 'notes.txt' })] },
          finish('Read the notes.'),
        ],
        {
          deps: {
            files: (() => {
              const d = agentDeps(f.make(server2)).files;
              writeFileSync(path.join(d.root, 'notes.txt'), 'remember the eval split\n');
              return d;
            })(),
          },
        },
      );
      assert.equal(r.outcome.state, 'succeeded', r.outcome.message);
      const bodies = sentBodies(server);
      assert.equal(bodies.length, 4);
      assert.match(bodies[1], /not valid JSON/);
      assert.match(bodies[2], /Unknown tool 'read_the_file'/);
      assert.match(bodies[2], /read_file/);
      assert.match(bodies[3], /remember the eval split/);
      const results = r.folder.entries.filter((e) => e.kind === 'tool_result') as Array<{ ok: boolean }>;
      assert.deepEqual(results.map((x) => x.ok), [false, false, true, true]);
      await continueFromFolder(r.deps, server, r.session.id, f.make(server));
    });

    test('an empty answer: the run waits for the user instead of spinning, then continues', async () => {
      const r = await run([{ text: '' }]);
      assert.equal(r.outcome.state, 'waiting');
      assert.match(r.outcome.question ?? '', /stopped without calling a tool/);
      assert.equal(r.folder.status.state, 'waiting');
      assert.equal(server.requests.length, 1);
      await continueFromFolder(r.deps, server, r.session.id, f.make(server));
    });

    test('a refusal: shown to the user as the run\'s question, then the run continues', async () => {
      const refusal = "I'm sorry, but I can't help with that.";
      const r = await run([{ text: refusal, stopReason: f.name === 'openai' ? 'content_filter' : 'refusal' }]);
      assert.equal(r.outcome.state, 'waiting');
      assert.equal(r.outcome.question, refusal);
      await continueFromFolder(r.deps, server, r.session.id, f.make(server));
    });

    test('context-length error: the conversation is compacted, the call retried, and the run goes on', async () => {
      const deps0 = agentDeps(f.make(server));
      writeFileSync(path.join(deps0.files.root, 'a.txt'), 'x'.repeat(3000));
      const tooLong = f.name === 'openai'
        ? "This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens."
        : 'prompt is too long: 210000 tokens > 200000 maximum';
      const r = await run(
        [
          { toolCalls: [call('read_file', { path: 'a.txt' })] },
          { toolCalls: [call('list_files', {})] },
          { toolCalls: [call('read_file', { path: 'a.txt', limit: 5 })] },
          { status: 400, message: tooLong },
          { text: 'SUMMARY: read a.txt (3000 x) and listed the files.' },
          finish('Done after compaction.'),
        ],
        { deps: { files: deps0.files } },
      );
      assert.equal(r.outcome.state, 'succeeded', r.outcome.message);
      const bodies = server.requests.map((q) => q.body as Record<string, unknown>);
      assert.equal(bodies.length, 6);
      assert.match(JSON.stringify(bodies[4]), new RegExp(SUMMARY_PROMPT.split('\n')[0].slice(0, 40)));
      assert.match(JSON.stringify(bodies[5]), /SUMMARY: read a\.txt/);
      assert.ok(JSON.stringify(bodies[5]).length < JSON.stringify(bodies[3]).length, 'the retried prompt is smaller');
      assert.equal(r.folder.entries.filter((e) => e.kind === 'compaction').length, 1);
      assert.deepEqual(r.folder.rebuilt.messages, r.session.conversation);
      await continueFromFolder(r.deps, server, r.session.id, f.make(server));
    });
  });
}

for (const f of FLAVOURS) scenario(f);
