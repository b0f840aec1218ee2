/**
 * The smoke run's card in the chat panel, built from a report of the fixture trainer's real output:
 * the numbers a user decides on (step time, peak memory, ETA, the fitted plan) are on it as text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { renderRecipe } from '../../../src/core/recipes';
import { readConfig } from '../../../src/core/recipes/configBlock';
import { formatDuration } from '../../../media/dom';
import { smokeReport, smokeScript } from '../../../src/core/session/smokeRun';
import { MEDICAL_QA_REQUEST } from '../../support/sampleRequest';
import { makeView, RUN } from './helpers';

const $ = (root: Element, testid: string) => root.querySelector(`[data-testid="${testid}"]`) as HTMLElement | null;

test('a smoke_result event becomes a card with step time, peak memory, ETA and the fitted plan', () => {
  const train = renderRecipe({ ...MEDICAL_QA_REQUEST, outputDir: 'outputs/run' }).files.find((f) => f.path.endsWith('train.py'))!.content;
  const dir = mkdtempSync(join(tmpdir(), 'ml-intern-smoke-card-'));
  let output: string;
  try {
    writeFileSync(join(dir, 'train.smoke.py'), smokeScript(train, 10, 'out'));
    output = execFileSync(resolve('test/fixtures/trainer/fake-python'), [join(dir, 'train.smoke.py')], {
      cwd: resolve('examples/medical-qa'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FAKE_OOM_ABOVE: '2', FAKE_DELAY_MS: '5', FAKE_TRAINER_ARGS: '--logging-steps 2' },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const report = smokeReport(output, { config: readConfig(train), steps: 10, method: 'sft' });
  assert.ok(report.fitted && Object.keys(report.fitted.changes).length, 'the fixture run leaves a plan to fit');

  const { root, apply } = makeView();
  apply({ type: 'smoke_result', runId: RUN, report });
  const card = $(root, 'smoke-card');
  assert.ok(card, 'the card is in the timeline');
  assert.match($(card, 'smoke-peak')!.textContent ?? '', /18\.8 of 22\.1 GiB/);
  assert.match($(card, 'smoke-eta')!.textContent ?? '', new RegExp(`${report.fullRunSteps} steps, about ${formatDuration(report.etaSeconds!)}`));
  const plan = $(card, 'smoke-plan')!.textContent ?? '';
  for (const [k, v] of Object.entries(report.fitted.changes)) assert.ok(plan.includes(`${k} = ${String(v)}`), plan);
  assert.match($(card, 'smoke-step-time')!.textContent ?? '', / s$/);
  assert.equal(card.querySelector('script'), null);
});
