/**
 * The panel at its minimum width (issue 25 polish): the recipe-mode banner above the timeline gives its
 * full explanation while the panel is empty and one line once a run fills the timeline (it ate a narrow
 * panel's height and hid the cards), and a chart follows the panel's width instead of being clipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatModel } from '../../../media/model';
import { ChatView } from '../../../media/view';
import { dom, fakeCharts, identity, makeView, RUN } from './helpers';

const $ = (root: HTMLElement, id: string) => root.querySelector(`[data-testid="${id}"]`) as HTMLElement | null;

test('the recipe banner explains in full on an empty panel and shrinks to one line with a Set API key link once a run is shown', () => {
  const { root, view, apply, posted } = makeView();
  view.setConfig({ provider: 'none', model: '', trusted: true, recipeMode: true, hasWorkspace: true });
  assert.equal($(root, 'recipe-mode-banner')!.hidden, false);
  assert.equal($(root, 'recipe-mode-full')!.hidden, false);
  assert.equal($(root, 'recipe-mode-short')!.hidden, true);

  apply({ type: 'run_started', runId: RUN, title: 'Fine-tune', folder: 'f' }, { type: 'assistant_message', runId: RUN, text: 'Writing the recipe.' });
  assert.equal($(root, 'recipe-mode-full')!.hidden, true);
  const short = $(root, 'recipe-mode-short')!;
  assert.equal(short.hidden, false);
  assert.equal(short.textContent, 'Recipe mode (no language model) · Set an API key');
  $(root, 'recipe-set-key-short')!.click();
  assert.deepEqual(posted, [{ type: 'setApiKey' }]);
});

test('a chart follows the panel\'s width when the panel is resized', () => {
  const { window, root } = dom();
  let onResize: (() => void) | undefined;
  (window as unknown as { ResizeObserver: unknown }).ResizeObserver = class {
    constructor(cb: () => void) {
      onResize = cb;
    }
    observe(): void {}
    disconnect(): void {}
  };
  const charts = fakeCharts();
  const model = new ChatModel();
  const view = new ChatView(root, model, { post: () => undefined, chartFactory: charts.factory, purify: identity, chartIntervalMs: 0 });
  model.applyAll([
    { type: 'process_started', runId: RUN, processId: 'p1', name: 'train.py', argv: [] },
    { type: 'metrics', runId: RUN, processId: 'p1', points: [{ step: 1, loss: 2 }] },
  ]);
  view.render();
  assert.equal(charts.renderers.length, 1);
  const container = root.querySelector('[data-testid="loss-chart-canvas"]')!.parentElement!;
  Object.defineProperty(container, 'clientWidth', { value: 150, configurable: true });
  assert.ok(onResize, 'the view watches the timeline\'s size');
  onResize!();
  assert.deepEqual(charts.renderers[0].widths, [150]);
});
