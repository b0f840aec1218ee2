/**
 * What a fine-tune session's LLM calls cost is counted on its run, like an
 * agent's: adapting the script to the user's instructions and repairing a
 * failure the playbook does not know both go through the real OpenAI provider
 * to the fake LLM server; their tokens and cost land in status.json and the
 * transcript and reach the panel's meter as 'usage' events, and a spent
 * mlIntern.maxCostUsd / mlIntern.maxTokens stops the asking (the playbook
 * still repairs what it knows). Real processes: the fixture trainer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { RunStore } from '../../../src/core/runs/runStore';
import { DEFAULT_SETTINGS, Settings } from '../../../src/core/settings';
import { FineTuneSession, scriptFolder } from '../../../src/core/session/fineTuneSession';
import { startDetached } from '../../../src/core/exec/detached';
import { OpenAiProvider } from '../../../src/core/llm/openaiProvider';
import { readConfig } from '../../../src/core/recipes/configBlock';
import { FakeLlmServer, startFakeLlmServer } from '../../support/fakeLlmServer';
import { MEDICAL_QA_REQUEST } from '../../support/sampleRequest';

const request = { ...MEDICAL_QA_REQUEST, instructions: 'Train for a single epoch.' };
const script = `${scriptFolder(request)}/train.py`;

/** USD per million tokens for the fake server's model, through the same setting users override prices with. */
const PRICES: Settings['prices'] = { 'fake-model': { input: 2, output: 8, cachedInput: 0.5 } };

const ADAPT = 'FIX: one epoch, as asked\n<<<<<<< SEARCH\nNUM_TRAIN_EPOCHS = 3\n=======\nNUM_TRAIN_EPOCHS = 1\n>>>>>>> REPLACE\n';
const REPAIR = 'FIX: two epochs after all\n<<<<<<< SEARCH\nNUM_TRAIN_EPOCHS = 1\n=======\nNUM_TRAIN_EPOCHS = 2\n>>>>>>> REPLACE\n';

/**
 * The environment of each training attempt, in order (then the last one again): the fixture
 * trainer fails as the test needs. `--fail exit137` is a kill with nothing in the log, which no
 * playbook rule fixes (the LLM's turn); no FAKE_OOM_ABOVE is a CUDA OOM the playbook fixes.
 */
function attempts(...envs: Record<string, string>[]): () => Promise<Record<string, string>> {
  let n = 0;
  return async () => envs[Math.min(n++, envs.length - 1)];
}

async function session(ws: string, server: FakeLlmServer, o: { settings: Settings; processEnv?: () => Promise<Record<string, string>>; approve?: boolean }) {
  const files = new NodeFileStore(ws);
  const events = new RecordingEventSink();
  const reviewer = new ScriptedReviewer();
  const s = await FineTuneSession.create(request, {
    files,
    runs: new RunStore(files),
    settings: () => o.settings,
    python: resolve('test/fixtures/trainer/fake-python'),
    launch: (spec) => startDetached(spec),
    llm: new OpenAiProvider({ apiKey: 'test-key', model: 'fake-model', baseUrl: server.openaiBaseUrl }),
    reviewer,
    events,
    approveCommand: async () => ({ approved: o.approve !== false }),
    ...(o.processEnv ? { processEnv: o.processEnv } : {}),
  });
  const outcome = await s.execute();
  const folder = join(ws, s.handle.folder);
  const status = JSON.parse(readFileSync(join(folder, 'status.json'), 'utf8'));
  const transcript = readFileSync(join(folder, 'transcript.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return { outcome, events, reviewer, status, transcript };
}

function workspace(): string {
  const ws = mkdtempSync(join(tmpdir(), 'ml-intern-llm-spend-'));
  cpSync('examples/medical-qa', ws, { recursive: true });
  return ws;
}

const near = (a: number, b: number) => Math.abs(a - b) < 1e-12;

test("a fine-tune session's LLM calls (adapting, repairing) add their tokens and cost to the run and reach the panel's meter", { timeout: 60_000 }, async () => {
  const server = await startFakeLlmServer();
  const ws = workspace();
  try {
    server.script([
      { text: ADAPT, usage: { inputTokens: 1200, outputTokens: 300 } },
      { text: REPAIR, usage: { inputTokens: 3000, cachedInputTokens: 1000, outputTokens: 500 } },
    ]);
    const r = await session(ws, server, {
      settings: { ...DEFAULT_SETTINGS, prices: PRICES },
      processEnv: attempts({ FAKE_OOM_ABOVE: '100000', FAKE_TRAINER_ARGS: '--fail exit137' }, { FAKE_OOM_ABOVE: '100000' }),
    });
    assert.equal(r.outcome.kind, 'succeeded', JSON.stringify(r.outcome));
    assert.equal(server.requests.length, 2);
    assert.deepEqual(r.reviewer.seen.filter((c) => c.path === script).map((c) => c.origin), ['recipe', 'agent', 'agent'], 'adapted, then repaired by the LLM');
    assert.equal(readConfig(readFileSync(join(ws, script), 'utf8')).NUM_TRAIN_EPOCHS, 2);

    // What the fake server reported, priced by mlIntern.prices: (1200×2 + 300×8) / 1e6 and (3000×2 + 1000×0.5 + 500×8) / 1e6.
    const adaptCost = 0.0048;
    const repairCost = 0.0105;
    const totals = { inputTokens: 4200, outputTokens: 800, cachedInputTokens: 1000, llmCalls: 2 };

    // status.json: the run's totals, as an agent run's.
    const { costUsd, ...tokens } = r.status.usage;
    assert.deepEqual(tokens, totals);
    assert.ok(near(costUsd, adaptCost + repairCost), `usage.costUsd ${costUsd}`);
    assert.ok(near(r.status.costUsd, adaptCost + repairCost), `costUsd ${r.status.costUsd}`);

    // transcript.jsonl: one usage line per call, with the provider's own counts, and the limits the meter shows.
    const usage = r.transcript.filter((e) => e.kind === 'usage');
    assert.deepEqual(usage.map((e) => [e.usage, e.model, e.step]), [
      [{ inputTokens: 1200, outputTokens: 300, cachedInputTokens: 0, cacheWriteTokens: 0 }, 'fake-model', false],
      [{ inputTokens: 3000, outputTokens: 500, cachedInputTokens: 1000, cacheWriteTokens: 0 }, 'fake-model', false],
    ]);
    assert.ok(near(usage[0].costUsd, adaptCost) && near(usage[1].costUsd, repairCost), JSON.stringify(usage));
    assert.deepEqual(r.transcript.find((e) => e.kind === 'limits')?.limits, { maxSteps: 0, maxTokens: DEFAULT_SETTINGS.maxTokens, maxCostUsd: DEFAULT_SETTINGS.maxCostUsd });

    // The panel's meter: one usage event per call, the running totals against the configured limits.
    const meter = r.events.ofType('usage');
    assert.equal(meter.length, 2);
    assert.deepEqual(meter.map((e) => e.totals.llmCalls), [1, 2]);
    const { costUsd: shownCost, ...shownTokens } = meter[1].totals;
    assert.deepEqual(shownTokens, totals);
    assert.ok(near(shownCost, adaptCost + repairCost));
    assert.equal(meter[1].budget.maxCostUsd, DEFAULT_SETTINGS.maxCostUsd);
    // mlIntern.maxTokens counts new spend: uncached input + output (4200 + 800); the 1000 cache reads are shown apart.
    assert.equal(meter[1].budget.tokens, 5000);
    assert.equal(meter[1].budget.cachedTokens, 1000);
  } finally {
    await server.close();
    rmSync(ws, { recursive: true, force: true });
  }
});

test('with a tiny mlIntern.maxCostUsd the call after the one that spent it is not made: the session asks, naming the setting; the playbook still repairs', { timeout: 60_000 }, async () => {
  const server = await startFakeLlmServer();
  const ws = workspace();
  try {
    server.script([{ text: ADAPT, usage: { inputTokens: 1200, outputTokens: 300 } }, { text: REPAIR }]);
    const r = await session(ws, server, {
      settings: { ...DEFAULT_SETTINGS, prices: PRICES, maxCostUsd: 0.001 },
      // 1st attempt: CUDA OOM (the playbook's); 2nd: killed with nothing in the log (the LLM's).
      processEnv: attempts({}, { FAKE_TRAINER_ARGS: '--fail exit137' }),
    });
    assert.equal(server.requests.length, 1, 'only the call that spent the budget was made');
    assert.deepEqual(r.events.ofType('diagnosis').map((e) => e.category), ['cuda_oom', 'unknown']);
    assert.deepEqual(r.reviewer.seen.filter((c) => c.path === script).map((c) => c.origin), ['recipe', 'agent', 'playbook']);

    assert.equal(r.outcome.kind, 'needs_user');
    const question = r.outcome.kind === 'needs_user' ? r.outcome.question : '';
    assert.match(question, /No playbook rule fixes 'unknown'\. The LLM was not asked: this run's LLM budget is spent \(cost \$0\.0048\/\$0\.001\)\. Raise mlIntern\.maxCostUsd \(0 = no limit\) to let ML Intern ask it again\. How should the script change\?$/);
    // Nothing waits for an answer in a recipe run: it ends, the question and what to do next in its message.
    assert.equal(r.events.ofType('run_state').at(-1)?.state, 'stopped');
    assert.equal(r.events.ofType('ask_user').length, 0, 'no "answer in the box below" card for a question nobody waits on');
    assert.ok(r.status.lastMessage?.includes(question), r.status.lastMessage);
    assert.equal(r.status.question, undefined);
    assert.ok(near(r.status.costUsd, 0.0048));
    assert.equal(r.status.usage.llmCalls, 1);
  } finally {
    await server.close();
    rmSync(ws, { recursive: true, force: true });
  }
});

test('with a tiny mlIntern.maxTokens a malformed answer gets no second call: the recipe script is used and the notice names the setting', { timeout: 60_000 }, async () => {
  const server = await startFakeLlmServer();
  const ws = workspace();
  try {
    server.script([{ text: 'I would lower the epochs.', usage: { inputTokens: 900, outputTokens: 200 } }, { text: ADAPT }]);
    // Refused at the approval: this test is about the script.
    const r = await session(ws, server, { settings: { ...DEFAULT_SETTINGS, prices: PRICES, maxTokens: 1000 }, approve: false });
    assert.equal(server.requests.length, 1, 'the retry was not sent');
    const notice = r.events.ofType('notice').find((e) => e.level === 'warning');
    assert.equal(
      notice?.message,
      "Adapting the script to your instructions failed: The LLM was not asked: this run's LLM budget is spent (tokens 1100/1000). Raise mlIntern.maxTokens (0 = no limit) to let ML Intern ask it again. The recipe's script is used as it is.",
    );
    assert.deepEqual(r.reviewer.seen.filter((c) => c.path === script).map((c) => c.origin), ['recipe']);
    assert.equal(readConfig(readFileSync(join(ws, script), 'utf8')).NUM_TRAIN_EPOCHS, 3);
    assert.equal(r.status.usage.inputTokens + r.status.usage.outputTokens, 1100);
    assert.equal(r.events.ofType('usage').at(-1)?.budget.maxTokens, 1000);
  } finally {
    await server.close();
    rmSync(ws, { recursive: true, force: true });
  }
});
