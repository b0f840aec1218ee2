import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentEvent, MetricPoint } from '../../../src/core/events';
import type { HostMessage, WebviewMessage } from '../../../src/core/protocol';
import { ChatApp, MAX_SAVED_EVENTS, SavedState } from '../../../media/app';
import { PanelController, PanelActions } from '../../../src/ui/chat/panelController';
import { RunEventLogs } from '../../../src/core/runs/eventLog';
import { listRuns, replayRun, transcriptEvents } from '../../../src/ui/chat/runReplay';
import { firstUserMessage } from '../../../src/core/agent/briefingText';
import { MemoryFileStore } from '../../../src/core/testing/memoryPorts';
import { dom, fakeCharts, identity, RUN } from './helpers';

const SCRIPT: AgentEvent[] = [
  { type: 'run_started', runId: RUN, title: 'SFT Qwen', folder: '.ml-intern/runs/r1' },
  { type: 'user_message', runId: RUN, text: 'fine-tune qwen on data/train.jsonl' },
  { type: 'plan', runId: RUN, items: [{ text: 'inspect', status: 'done' }, { text: 'train', status: 'in_progress' }] },
  { type: 'assistant_delta', runId: RUN, text: 'Inspecting ' },
  { type: 'assistant_delta', runId: RUN, text: 'the data…' },
  { type: 'assistant_message', runId: RUN, text: 'Inspecting the data…' },
  { type: 'tool_call', runId: RUN, callId: 'c1', name: 'inspect_data', args: { path: 'data/train.jsonl' } },
  { type: 'tool_result', runId: RUN, callId: 'c1', name: 'inspect_data', ok: true, summary: 'ok', data: { format: 'messages', rows: 10, columns: ['messages'] } },
  { type: 'change_proposed', runId: RUN, changeId: 'ch1', path: 'train.py', description: 'script', origin: 'recipe', added: 100, removed: 0 },
  { type: 'change_decided', runId: RUN, changeId: 'ch1', path: 'train.py', decision: 'accepted', auto: false },
  { type: 'process_started', runId: RUN, processId: 'p1', name: 'train', argv: [] },
  { type: 'metrics', runId: RUN, processId: 'p1', points: [{ step: 1, loss: 2 }, { step: 2, loss: 1 }] },
  { type: 'progress', runId: RUN, processId: 'p1', progress: { current: 2, total: 10 } },
  { type: 'usage', runId: RUN, totals: { inputTokens: 10, outputTokens: 5, cachedInputTokens: 0, costUsd: 0.001, llmCalls: 1 }, budget: { steps: 1, maxSteps: 40, tokens: 15, maxTokens: 0, costUsd: 0.001, maxCostUsd: 2 } },
];

function app(saved?: unknown) {
  const { root } = dom();
  const posted: WebviewMessage[] = [];
  let state: SavedState | undefined;
  const frames: Array<() => void> = [];
  const a = new ChatApp(
    root,
    { post: (m) => posted.push(m), getState: () => saved, setState: (s) => (state = s), frame: (fn) => frames.push(fn) },
    { chartFactory: fakeCharts().factory, purify: identity, chartIntervalMs: 0 },
  );
  const flushFrames = () => {
    while (frames.length) frames.shift()!();
  };
  return { root, a, posted, getSaved: () => state, flushFrames };
}

const timeline = (root: Element) => root.querySelector('[data-testid="timeline"]')!.textContent;

test('a replayed event log (state message) shows the same thing as the live events', () => {
  const live = app();
  for (const e of SCRIPT) live.a.onMessage({ type: 'event', event: e });
  live.flushFrames();
  const replayed = app();
  replayed.a.onMessage({ type: 'state', runId: RUN, events: SCRIPT } satisfies HostMessage);
  assert.equal(timeline(replayed.root), timeline(live.root));
  assert.ok((timeline(live.root) ?? '').includes('Inspecting the data…'));
  assert.equal(replayed.root.querySelector('[data-testid="run-title"]')!.textContent, 'SFT Qwen');
  assert.equal(replayed.root.querySelectorAll('[data-testid="plan-item"]').length, 2);
});

test('getState fast path: the saved state restores the panel before the host answers', () => {
  const first = app();
  first.a.start();
  assert.deepEqual(first.posted, [{ type: 'ready' }]);
  first.a.onMessage({ type: 'config', config: { provider: 'none', model: '', trusted: false, recipeMode: true, hasWorkspace: true } });
  for (const e of SCRIPT) first.a.onMessage({ type: 'event', event: e });
  first.flushFrames();
  const saved = first.getSaved()!;
  assert.equal(saved.v, 1);
  assert.ok(!saved.events.some((e) => e.type === 'assistant_delta'), 'deltas dropped once final');
  const second = app(JSON.parse(JSON.stringify(saved)));
  assert.equal(timeline(second.root), timeline(first.root));
  assert.equal((second.root.querySelector('[data-testid="untrusted-banner"]') as HTMLElement).hidden, false);
});

test('a run followed for days: the panel keeps a bounded log, and its saved state still restores it', () => {
  const x = app();
  x.a.onMessage({ type: 'event', event: SCRIPT[0] });
  x.a.onMessage({ type: 'event', event: { type: 'process_started', runId: RUN, processId: 'p1', name: 'train.py', argv: [] } });
  // A day of a run: a progress update per poll, a line of output every other, a loss every 10 steps.
  for (let step = 1; step <= 40_000; step++) {
    x.a.onMessage({ type: 'event', event: { type: 'progress', runId: RUN, processId: 'p1', progress: { current: step, total: 40_000 } } });
    if (step % 2 === 0) x.a.onMessage({ type: 'event', event: { type: 'process_output', runId: RUN, processId: 'p1', text: `step ${step}\n` } });
    if (step % 10 === 0) x.a.onMessage({ type: 'event', event: { type: 'metrics', runId: RUN, processId: 'p1', points: [{ step, loss: 1 / step, mean_token_accuracy: step / 40_000 }] } });
  }
  x.flushFrames();
  const saved = x.getSaved()!;
  assert.ok(saved.events.length > 0 && saved.events.length <= MAX_SAVED_EVENTS, `${saved.events.length} events saved`);
  const again = app(JSON.parse(JSON.stringify(saved)));
  const figures = (root: Element) => (root.querySelector('[data-testid="run-figures"]') as HTMLElement).textContent;
  assert.equal(figures(again.root), figures(x.root));
  assert.match(figures(again.root) ?? '', /token accuracy 100 %/);
});

test('a new run_started for another run resets the panel to that run', () => {
  const x = app();
  x.a.onMessage({ type: 'state', runId: RUN, events: SCRIPT });
  x.a.onMessage({ type: 'event', event: { type: 'run_started', runId: 'r2', title: 'DPO', folder: '' } });
  x.flushFrames();
  assert.equal(x.a.model.runId, 'r2');
  assert.equal(x.a.model.entries.length, 0);
  assert.equal(x.root.querySelector('[data-testid="run-title"]')!.textContent, 'DPO');
});

function controller(disk: Record<string, AgentEvent[]> = {}) {
  const posted: HostMessage[] = [];
  const calls: string[] = [];
  let delivering = true;
  const actions: PanelActions = {
    post: (m) => {
      if (!delivering) return false;
      posted.push(m);
      return true;
    },
    config: () => ({ provider: 'none', model: '', trusted: true, recipeMode: true, hasWorkspace: true }),
    listRuns: async () => Object.keys(disk).map((runId) => ({ runId, title: runId, state: 'succeeded' as const })),
    loadRun: async (id) => disk[id],
    chat: (text, runId) => void calls.push(`chat:${text}:${runId}`),
    stop: (runId) => void calls.push(`stop:${runId}`),
    accept: (id) => void calls.push(`accept:${id}`),
    reject: (id, reason) => void calls.push(`reject:${id}:${reason}`),
    review: (id) => void calls.push(`review:${id}`),
    openExternal: (href) => void calls.push(`open:${href}`),
    fineTune: () => void calls.push('fineTune'),
    showRuns: () => void calls.push('showRuns'),
    setApiKey: () => void calls.push('setApiKey'),
    modelAction: (action, folder) => void calls.push(`modelAction ${action} ${folder}`),
    log: (level, m) => void calls.push(`log:${level}:${m}`),
  };
  const c = new PanelController(actions);
  return { c, posted, calls, setDelivering: (v: boolean) => (delivering = v) };
}

test('host: events are buffered while the panel is away and replayed on ready', async () => {
  const { c, posted } = controller();
  for (const e of SCRIPT.slice(0, 6)) c.onEvent(e);
  assert.equal(posted.length, 0, 'nothing posted before ready');
  await c.onMessage({ type: 'ready' });
  const state = posted.find((m) => m.type === 'state');
  assert.ok(state && state.type === 'state');
  assert.equal(state.runId, RUN);
  assert.deepEqual(state.events.map((e) => e.type), ['run_started', 'user_message', 'plan', 'assistant_message']);
  assert.equal(posted[0].type, 'config');
  posted.length = 0;
  c.onEvent(SCRIPT[6]);
  assert.deepEqual(posted, [{ type: 'event', event: SCRIPT[6] }]);
  c.onHidden();
  c.onEvent(SCRIPT[7]);
  assert.equal(posted.length, 1);
  await c.onMessage({ type: 'ready' });
  const again = posted.filter((m) => m.type === 'state').at(-1);
  assert.ok(again && again.type === 'state' && again.events.length === 6);
});

test('host: a failed post (webview gone) stops forwarding until the next ready', async () => {
  const { c, posted, setDelivering } = controller();
  await c.onMessage({ type: 'ready' });
  setDelivering(false);
  c.onEvent(SCRIPT[0]);
  assert.equal(c.isListening, false);
  setDelivering(true);
  c.onEvent(SCRIPT[1]);
  assert.ok(!posted.some((m) => m.type === 'event'));
});

test('host: after a window reload the latest run is rebuilt from disk', async () => {
  const { c, posted } = controller({ old: [{ type: 'run_started', runId: 'old', title: 'Old run', folder: '' }] });
  await c.onMessage({ type: 'ready' });
  const state = posted.find((m) => m.type === 'state');
  assert.ok(state && state.type === 'state' && state.runId === 'old' && state.events.length === 1);
  assert.ok(posted.some((m) => m.type === 'runs'));
});

test('host: messages are validated before acting; links only for http(s)', async () => {
  const { c, calls } = controller();
  await c.onMessage({ type: 'ready' });
  await c.onMessage({ type: 'send', text: 'hi' });
  await c.onMessage({ type: 'acceptChange', changeId: 'a1' });
  await c.onMessage({ type: 'rejectChange', changeId: 'a1', reason: 'no' });
  await c.onMessage({ type: 'reviewChange', changeId: 'a1' });
  await c.onMessage({ type: 'stop' });
  await c.onMessage({ type: 'openLink', href: 'https://hf.co' });
  await c.onMessage({ type: 'openLink', href: 'javascript:alert(1)' });
  await c.onMessage({ type: 'openLink', href: 'command:workbench.action.terminal.new' });
  await c.onMessage({ type: 'runShell', argv: ['rm', '-rf', '/'] });
  await c.onMessage(JSON.parse('{"type":"send","text":"x","__proto__":{"polluted":true}}'));
  await c.onMessage({ type: 'acceptChange', changeId: { toString: () => 'x' } });
  await c.onMessage({ type: 'modelAction', action: 'evaluate', folder: 'sft/outputs/x' });
  await c.onMessage({ type: 'modelAction', action: 'push', folder: 'sft/outputs/x' });
  assert.deepEqual(calls.filter((x) => !x.startsWith('log:')), ['chat:hi:null', 'accept:a1', 'reject:a1:no', 'review:a1', 'stop:null', 'open:https://hf.co', 'modelAction evaluate sft/outputs/x']);
  assert.equal(calls.filter((x) => x.startsWith('log:warn')).length, 6);
});

test('host: openRun shows another run; an unknown run gives a notice', async () => {
  const { c, posted } = controller({ r9: [{ type: 'run_started', runId: 'r9', title: 'Nine', folder: '' }] });
  c.onEvent(SCRIPT[0]);
  await c.onMessage({ type: 'ready' });
  posted.length = 0;
  await c.onMessage({ type: 'openRun', runId: 'r9' });
  assert.equal(c.viewRunId, 'r9');
  assert.ok(posted.some((m) => m.type === 'state' && m.runId === 'r9'));
  // Events of the run not shown are kept, not forwarded.
  posted.length = 0;
  c.onEvent({ type: 'assistant_message', runId: RUN, text: 'x' });
  assert.ok(!posted.some((m) => m.type === 'event'));
  assert.equal(c.logs.get(RUN).length, 2);
  await c.onMessage({ type: 'openRun', runId: 'nope' });
  assert.ok(posted.some((m) => m.type === 'event' && m.event.type === 'notice'));
});

test('event log stays bounded: deltas dropped, output tail, one progress, thinned metrics', () => {
  const logs = new RunEventLogs({ outputPerProcess: 3, metricsPerProcess: 4, perRun: 1000, runs: 2 });
  for (let i = 0; i < 10; i++) logs.append(RUN, { type: 'process_output', runId: RUN, processId: 'p', text: `l${i}` });
  for (let i = 0; i < 5; i++) logs.append(RUN, { type: 'progress', runId: RUN, processId: 'p', progress: { current: i } });
  for (let i = 0; i < 9; i++) logs.append(RUN, { type: 'metrics', runId: RUN, processId: 'p', points: [{ step: i, loss: 1 }] });
  logs.append(RUN, { type: 'assistant_delta', runId: RUN, text: 'a' });
  logs.append(RUN, { type: 'assistant_message', runId: RUN, text: 'a' });
  const log = logs.get(RUN);
  assert.equal(log.filter((e) => e.type === 'process_output').length, 3);
  assert.equal(log.filter((e) => e.type === 'progress').length, 1);
  const metrics = log.filter((e) => e.type === 'metrics');
  assert.ok(metrics.length <= 4);
  assert.equal(metrics.flatMap((e) => (e.type === 'metrics' ? e.points : [])).length, 9, 'no point lost');
  assert.ok(!log.some((e) => e.type === 'assistant_delta'));
  logs.append('a', SCRIPT[0]);
  logs.append('b', SCRIPT[0]);
  assert.deepEqual(logs.runIds(), ['a', 'b']);
});

test('a long live run: the event log keeps a few thousand of its points, every eval and the latest among them', () => {
  const logs = new RunEventLogs();
  for (let step = 1; step <= 30_000; step++) {
    const points: MetricPoint[] = [{ step, loss: 1 / step }];
    if (step % 300 === 0) points.push({ step, evalLoss: 2 / step });
    logs.append(RUN, { type: 'metrics', runId: RUN, processId: 'p', points });
  }
  const kept = logs.get(RUN).flatMap((e) => (e.type === 'metrics' ? e.points : []));
  assert.ok(kept.length <= 8000 + 100, `${kept.length} points`);
  assert.equal(kept.filter((p) => p.evalLoss !== undefined).length, 100);
  assert.deepEqual(kept.at(-1), { step: 30_000, evalLoss: 2 / 30_000 });
  assert.equal(kept.filter((p) => p.loss !== undefined).at(-1)!.step, 30_000);
  for (let i = 1; i < kept.length; i++) assert.ok(kept[i].step >= kept[i - 1].step, 'in order');
});

test('runReplay: rebuilds a run from status.json, transcript.jsonl (corrupt line tolerated) and metrics.jsonl', async () => {
  const folder = '.ml-intern/runs/20250101-120000-sft';
  const transcript = [
    { kind: 'message', message: { role: 'user', content: firstUserMessage('train it\n\non 2 GPUs', '## This machine (checked when the run started)\n- torch 2.5.1, trl 0.19.0\n- 1 × H100 80 GB') } },
    { kind: 'limits', limits: { maxSteps: 40, maxTokens: 0, maxCostUsd: 2 } },
    { kind: 'plan', items: [{ text: 'inspect', status: 'done' }, { text: 'bad', status: 'weird' }] },
    { kind: 'message', message: { role: 'assistant', content: 'On it.' } },
    { kind: 'tool_call', callId: 'c1', name: 'inspect_data', args: { path: 'd.jsonl' } },
    { kind: 'tool_result', callId: 'c1', name: 'inspect_data', ok: true, output: 'x'.repeat(2000), data: { format: 'alpaca' } },
    { kind: 'decision', subject: 'change', path: 'train.py', origin: 'recipe', description: 'SFT training script (lora)', added: 235, removed: 0, decision: 'accepted', auto: true },
    { kind: 'usage', usage: { inputTokens: 100, outputTokens: 20, cachedInputTokens: 50, cacheWriteTokens: 10 }, costUsd: 0.002, model: 'x', step: true },
    { kind: 'message', message: { role: 'user', content: 'now this:\n\n## This machine is mine' } },
    { kind: 'state', state: 'failed', message: 'gave up' },
  ]
    .map((e) => JSON.stringify(e))
    .join('\n');
  const files = new MemoryFileStore('/ws', {
    [`${folder}/status.json`]: JSON.stringify({ state: 'failed', title: 'SFT run', created: '2025-01-01T12:00:00Z', updated: '2025-01-01T12:30:00Z' }),
    [`${folder}/spec.json`]: '{}',
    [`${folder}/transcript.jsonl`]: `${transcript}\n{"kind":"message","mess`,
    [`${folder}/metrics.jsonl`]: '{"step":1,"loss":2.5}\nnot json\n{"step":2,"loss":"NaN","kind":"train"}\n{"step":3,"loss":1.5,"learning_rate":0.0002}\n',
    '.ml-intern/runs/20240101-000000-old/status.json': '{broken',
  });
  const runs = await listRuns(files);
  assert.deepEqual(runs.map((r) => [r.runId, r.state]), [
    ['20250101-120000-sft', 'failed'],
    ['20240101-000000-old', 'unknown'],
  ]);
  const events = (await replayRun(files, '20250101-120000-sft'))!;
  const types = events.map((e) => e.type);
  assert.equal(types[0], 'run_started');
  // What the user typed, without the environment briefing the model got with it; a later message stays whole.
  assert.deepEqual(events.flatMap((e) => (e.type === 'user_message' ? [e.text] : [])), ['train it\n\non 2 GPUs', 'now this:\n\n## This machine is mine']);
  assert.ok(types.includes('user_message') && types.includes('assistant_message') && types.includes('tool_result') && types.includes('change_decided') && types.includes('usage') && types.includes('metrics'));
  // The change card comes back with its description and size, not +0/−0.
  const proposed = events.find((e) => e.type === 'change_proposed');
  assert.ok(proposed && proposed.type === 'change_proposed' && proposed.added === 235 && proposed.description === 'SFT training script (lora)');
  const plan = events.find((e) => e.type === 'plan');
  assert.ok(plan && plan.type === 'plan' && plan.items.length === 1);
  const usage = events.find((e) => e.type === 'usage');
  assert.ok(usage && usage.type === 'usage' && usage.totals.inputTokens === 110 && usage.budget.maxCostUsd === 2);
  const tr = events.find((e) => e.type === 'tool_result');
  assert.ok(tr && tr.type === 'tool_result' && tr.summary.length < 700);
  const points = events.flatMap((e) => (e.type === 'metrics' ? e.points : []));
  assert.deepEqual(points.map((p) => p.step), [1, 2, 3]);
  assert.equal(points[1].loss, undefined);
  assert.equal(events.at(-1)?.type === 'process_exited' || events.some((e) => e.type === 'process_exited'), true);
  // The panel shows it.
  const x = app();
  x.a.onMessage({ type: 'state', runId: '20250101-120000-sft', events });
  assert.equal(x.root.querySelector('[data-testid="run-title"]')!.textContent, 'SFT run');
  assert.equal(x.root.querySelector('[data-testid="run-state"]')!.textContent, 'failed');
  assert.ok(x.root.querySelector('[data-testid="dataset-card"]'));
  assert.ok(x.root.querySelector('[data-testid="loss-chart-canvas"]'));
  assert.equal(await replayRun(files, '../etc'), undefined);
  assert.equal(await replayRun(files, 'missing'), undefined);
});

test('transcriptEvents ignores junk entries', () => {
  assert.deepEqual(transcriptEvents(RUN, [null, 1, 'x', [], { kind: 'message' }, { kind: 'tool_call' }, { kind: 'unknown' }]), []);
});
