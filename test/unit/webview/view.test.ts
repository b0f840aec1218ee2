import { test } from 'node:test';
import assert from 'node:assert/strict';
import { executableBits, makeView, RUN } from './helpers';

const $ = (root: Element, testid: string) => root.querySelector(`[data-testid="${testid}"]`) as HTMLElement | null;
const $$ = (root: Element, testid: string) => Array.from(root.querySelectorAll(`[data-testid="${testid}"]`)) as HTMLElement[];

test('the shell has the controls the E2E test uses', () => {
  const { root } = makeView();
  for (const id of ['chat-input', 'send-button', 'stop-button', 'runs-button', 'fine-tune-button', 'timeline', 'plan', 'usage-meter', 'untrusted-banner', 'recipe-mode-banner', 'runs-list', 'empty-state']) {
    assert.ok($(root, id), id);
  }
  for (const b of Array.from(root.querySelectorAll('[data-action]'))) assert.equal(b.tagName, 'BUTTON');
  const tl = $(root, 'timeline')!;
  assert.equal(tl.getAttribute('aria-live'), 'polite');
  assert.equal($(root, 'chat-input')!.getAttribute('aria-label'), 'Message ML Intern');
  assert.ok($(root, 'stop-button')!.hidden, 'Stop hidden with no active run');
});

test('Enter sends, Shift+Enter does not, Send button sends', () => {
  const { root, posted, window } = makeView();
  const input = $(root, 'chat-input') as HTMLTextAreaElement;
  input.value = 'line 1';
  input.dispatchEvent(new window.KeyboardEvent('keydown', { key: 'Enter', shiftKey: true, bubbles: true }) as unknown as Event);
  assert.equal(posted.length, 0);
  input.dispatchEvent(new window.KeyboardEvent('keydown', { key: 'Enter', bubbles: true }) as unknown as Event);
  assert.deepEqual(posted, [{ type: 'send', text: 'line 1' }]);
  assert.equal(input.value, '');
  input.value = '   ';
  $(root, 'send-button')!.click();
  assert.equal(posted.length, 1, 'blank is not sent');
  input.value = 'again';
  $(root, 'send-button')!.click();
  assert.deepEqual(posted[1], { type: 'send', text: 'again' });
});

test('assistant messages render Markdown; links post openLink; streaming is aria-busy', () => {
  const { root, posted, apply } = makeView();
  apply({ type: 'assistant_delta', runId: RUN, text: 'See [docs](https://huggingface.co/docs) <img src=x onerror=alert(1)>' });
  const msg = $(root, 'assistant-message')!;
  assert.equal(msg.getAttribute('aria-busy'), 'true');
  (msg.querySelector('a') as HTMLElement).click();
  assert.deepEqual(posted, [{ type: 'openLink', href: 'https://huggingface.co/docs' }]);
  apply({ type: 'assistant_message', runId: RUN, text: 'Done. [bad](javascript:alert(1))' });
  const msg2 = $(root, 'assistant-message')!;
  assert.equal(msg2.getAttribute('aria-busy'), null);
  assert.equal(msg2.querySelectorAll('a').length, 0);
  assert.deepEqual(executableBits(root), []);
  assert.equal($(root, 'empty-state')!.hidden, true);
});

test('dataset inspection card: facts, mapping, columns, problems and samples — samples are text only', () => {
  const { root, apply } = makeView();
  apply(
    { type: 'tool_call', runId: RUN, callId: 'c1', name: 'inspect_data', args: { path: 'data/train.jsonl' } },
    {
      type: 'tool_result',
      runId: RUN,
      callId: 'c1',
      name: 'inspect_data',
      ok: true,
      summary: 'messages, 1200 rows',
      data: {
        format: 'messages',
        task: 'sft',
        rows: 1200,
        trainable: true,
        mapping: { messages: 'conversation' },
        columns: [{ name: 'conversation', type: 'list<object>', nonNull: 1200 }, { name: 'id', type: 'int', nonNull: 1200 }],
        problems: ['3 rows have an empty answer: drop them'],
        samples: [{ conversation: '<script>alert(1)</script>', id: '<img src=x onerror=alert(1)>' }, { conversation: '[x](javascript:alert(1))', id: 2 }],
      },
    },
  );
  const card = $(root, 'dataset-card')!;
  assert.ok(card);
  assert.match(card.textContent ?? '', /messages/);
  assert.match(card.textContent ?? '', /1,200/);
  assert.equal($(card, 'dataset-mapping')!.querySelectorAll('tbody tr').length, 1);
  assert.equal($(card, 'dataset-columns')!.querySelectorAll('tbody tr').length, 2);
  assert.equal($(card, 'dataset-problems')!.querySelectorAll('li').length, 1);
  const samples = $(card, 'dataset-samples')!;
  assert.match(samples.textContent ?? '', /<script>alert\(1\)<\/script>/);
  assert.deepEqual(executableBits(root), []);
  assert.equal(root.querySelectorAll('a').length, 0);
});

test('change card: Review diff / Accept / Reject… with an inline optional reason', () => {
  const { root, posted, apply } = makeView();
  apply({ type: 'change_proposed', runId: RUN, changeId: 'ch-1', path: 'train.py', description: 'SFT script <b>x</b>', origin: 'recipe', added: 120, removed: 0 });
  const card = $(root, 'change-card')!;
  assert.equal(card.getAttribute('data-change-id'), 'ch-1');
  assert.match(card.textContent ?? '', /SFT script <b>x<\/b>/);
  $(card, 'change-review')!.click();
  $(card, 'change-accept')!.click();
  assert.deepEqual(posted.splice(0), [
    { type: 'reviewChange', changeId: 'ch-1' },
    { type: 'acceptChange', changeId: 'ch-1' },
  ]);
  $(card, 'change-reject')!.click();
  const reason = $(root, 'change-reject-reason') as HTMLInputElement;
  assert.ok(reason);
  // A recipe's proposal has no agent to read the reason: the form does not promise one.
  assert.equal($(root, 'change-reject-form')!.querySelector('label')!.textContent, "Reason (optional, kept in the run's record)");
  reason.value = 'keep the batch size at 8';
  $(root, 'change-reject-confirm')!.click();
  assert.deepEqual(posted.splice(0), [{ type: 'rejectChange', changeId: 'ch-1', reason: 'keep the batch size at 8' }]);
  assert.equal($(root, 'change-reject-form'), null);
  $(card, 'change-reject')!.click();
  $(root, 'change-reject-confirm')!.click();
  assert.deepEqual(posted.splice(0), [{ type: 'rejectChange', changeId: 'ch-1' }]);
  apply({ type: 'change_decided', runId: RUN, changeId: 'ch-1', path: 'train.py', decision: 'accepted', auto: false });
  assert.equal($(root, 'change-accept'), null);
  assert.match($(root, 'change-decision')!.textContent ?? '', /Accepted/);
});

test('in an untrusted workspace Accept is disabled and the banner explains why', () => {
  const { root, view, apply, posted } = makeView();
  view.setConfig({ provider: 'openai', model: 'gpt', trusted: false, recipeMode: false, hasWorkspace: true });
  apply({ type: 'change_proposed', runId: RUN, changeId: 'c', path: 'a.py', description: '', origin: 'agent', added: 1, removed: 1 });
  assert.equal($(root, 'untrusted-banner')!.hidden, false);
  assert.match($(root, 'untrusted-banner')!.textContent ?? '', /not trusted/);
  assert.equal($(root, 'recipe-mode-banner')!.hidden, true);
  const accept = $(root, 'change-accept') as HTMLButtonElement;
  assert.ok(accept.hasAttribute('disabled'));
  accept.click();
  assert.equal(posted.length, 0);
  $(root, 'change-reject')!.click();
  assert.equal($(root, 'change-reject-form')!.querySelector('label')!.textContent, 'Reason (optional, the agent reads it and tries again)');
  assert.equal(($(root, 'chat-input') as HTMLTextAreaElement).disabled, false, 'questions still allowed');
});

test('recipe mode banner offers Fine-tune and Set API key', () => {
  const { root, posted } = makeView();
  assert.equal($(root, 'recipe-mode-banner')!.hidden, false);
  $(root, 'recipe-fine-tune')!.click();
  $(root, 'recipe-set-key')!.click();
  assert.deepEqual(posted, [{ type: 'fineTune' }, { type: 'setApiKey' }]);
});

test('run card: live status, progress bar, ETA, GPU memory, chart and Stop', () => {
  const { root, apply, charts, posted } = makeView();
  apply(
    { type: 'run_started', runId: RUN, title: 'SFT Qwen2.5-0.5B', folder: '.ml-intern/runs/r1' },
    { type: 'run_state', runId: RUN, state: 'running' },
    { type: 'process_started', runId: RUN, processId: 'p1', name: 'train.py', argv: ['python', 'train.py'] },
    { type: 'progress', runId: RUN, processId: 'p1', progress: { current: 50, total: 200, etaSeconds: 125, loss: 1.2345, gpuMemoryMiB: 10240 } },
    { type: 'metrics', runId: RUN, processId: 'p1', points: [{ step: 10, loss: 2 }, { step: 20, loss: 1.5, learningRate: 2e-4 }] },
  );
  assert.equal($(root, 'run-title')!.textContent, 'SFT Qwen2.5-0.5B');
  assert.equal($(root, 'run-state')!.textContent, 'running');
  const stop = $(root, 'stop-button')!;
  assert.equal(stop.hidden, false);
  stop.click();
  assert.deepEqual(posted, [{ type: 'stop' }]);
  const card = $(root, 'run-card')!;
  assert.equal($(card, 'run-progress')!.getAttribute('aria-valuenow'), '25');
  const stats = $(card, 'run-stats')!.textContent ?? '';
  assert.match(stats, /step 50 \/ 200/);
  assert.match(stats, /ETA 2m 5s/);
  assert.match(stats, /loss 1\.23/);
  assert.match($(card, 'run-gpu')!.textContent ?? '', /10\.0 GiB/);
  assert.ok($(card, 'loss-chart-canvas'));
  assert.equal(charts.renderers.length, 1);
  const chartEl = $(card, 'loss-chart');
  apply({ type: 'metrics', runId: RUN, processId: 'p1', points: [{ step: 30, loss: 1.2 }] });
  assert.equal($(root, 'loss-chart'), chartEl, 'the chart survives updates');
  assert.equal(charts.renderers.length, 1);
  assert.equal(charts.renderers[0].data.at(-1)![0].length, 3);
  apply({ type: 'process_exited', runId: RUN, processId: 'p1', code: 0 }, { type: 'run_state', runId: RUN, state: 'succeeded' });
  assert.equal($(card, 'run-card-status')!.textContent, 'finished');
  assert.equal($(root, 'stop-button')!.hidden, true);
});

test('recovery timeline and evaluation table render', () => {
  const { root, apply } = makeView();
  apply(
    { type: 'diagnosis', runId: RUN, attempt: 1, category: 'out-of-memory', summary: 'CUDA OOM at step 3', fix: 'batch 8 → 4, gradient accumulation ×2' },
    { type: 'process_started', runId: RUN, processId: 'p2', name: 'train', argv: [] },
    { type: 'process_exited', runId: RUN, processId: 'p2', code: 0 },
    { type: 'eval_results', runId: RUN, rows: [{ task: 'hellaswag', base: 0.41, trained: 0.45 }, { task: 'gsm8k', base: 0.3, trained: 0.28 }, { task: 'x' }] },
  );
  const tl = $(root, 'recovery-timeline')!;
  assert.equal($$(tl, 'recovery-attempt').length, 1);
  assert.match(tl.textContent ?? '', /CUDA OOM at step 3/);
  assert.match(tl.textContent ?? '', /batch 8 → 4/);
  assert.match($(tl, 'recovery-outcome')!.textContent ?? '', /fixed/);
  const table = $(root, 'eval-table')!;
  const rows = Array.from(table.querySelectorAll('tbody tr')).map((r) => Array.from(r.querySelectorAll('td')).map((c) => c.textContent));
  assert.deepEqual(rows, [
    ['hellaswag', '0.41', '0.45', '+0.04'],
    ['gsm8k', '0.3', '0.28', '-0.02'],
    ['x', '–', '–', '–'],
  ]);
});

test('plan and token/cost meter follow the agent', () => {
  const { root, apply } = makeView();
  assert.equal($(root, 'plan')!.hidden, true);
  apply({ type: 'plan', runId: RUN, items: [{ text: 'Inspect data', status: 'done' }, { text: 'Write train.py', status: 'in_progress' }, { text: 'Train', status: 'pending' }] });
  const items = $$(root, 'plan-item');
  assert.deepEqual(items.map((i) => i.getAttribute('data-status')), ['done', 'in_progress', 'pending']);
  assert.match($(root, 'plan')!.textContent ?? '', /Plan \(1\/3\)/);
  apply({ type: 'plan', runId: RUN, items: [{ text: 'Inspect data', status: 'done' }, { text: 'Write train.py', status: 'done' }] });
  assert.equal($$(root, 'plan-item').length, 2);
  apply({
    type: 'usage',
    runId: RUN,
    totals: { inputTokens: 150_000, outputTokens: 12_000, cachedInputTokens: 90_000, costUsd: 0.4567, llmCalls: 5 },
    budget: { steps: 5, maxSteps: 40, tokens: 162_000, maxTokens: 2_000_000, costUsd: 0.4567, maxCostUsd: 2 },
  });
  const meter = $(root, 'usage-meter')!;
  assert.equal(meter.hidden, false);
  assert.match($(meter, 'usage-tokens')!.textContent ?? '', /162\.0k \/ 2\.00M \(90\.0k cached\)/);
  assert.match($(meter, 'usage-cost')!.textContent ?? '', /\$0\.457 \/ \$2\.00/);
  assert.equal($(meter, 'usage-cost')!.querySelector('[role="meter"]')!.getAttribute('aria-valuenow'), '23');
  assert.match($(meter, 'usage-steps')!.textContent ?? '', /5 \/ 40/);
  // A fine-tune session's LLM spend: no agent steps, no step limit, so no Steps meter.
  apply({
    type: 'usage',
    runId: RUN,
    totals: { inputTokens: 1_000, outputTokens: 200, cachedInputTokens: 0, costUsd: 0.01, llmCalls: 1 },
    budget: { steps: 0, maxSteps: 0, tokens: 1_200, maxTokens: 2_000_000, costUsd: 0.01, maxCostUsd: 2 },
  });
  assert.match($(root, 'usage-tokens')!.textContent ?? '', /1\.2k/);
  assert.equal($(root, 'usage-steps'), null);
});

test('runs list: items open their run; the Runs button asks the host for the list', () => {
  const { root, view, posted } = makeView();
  view.setRuns([
    { runId: 'r2', title: 'DPO run', state: 'running' },
    { runId: 'r1', title: 'SFT run', state: 'succeeded' },
  ]);
  $(root, 'runs-button')!.click();
  assert.deepEqual(posted.splice(0), [{ type: 'showRuns' }]);
  const items = $$(root, 'run-list-item');
  assert.equal(items.length, 2);
  items[1].click();
  assert.deepEqual(posted, [{ type: 'openRun', runId: 'r1' }]);
});
