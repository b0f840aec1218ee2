// A training script the agent runs twice (a fix in between): each run's card gets its own chart
// and progress, and metrics.jsonl tells the two apart, as a fine-tune session's attempts are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentEvent } from '../../../src/core/events';
import { MemoryFileStore } from '../../../src/core/testing/memoryPorts';
import type { Logger } from '../../../src/core/ports';
import { CommandMetrics } from '../../../src/core/tools/commandMetrics';

const FOLDER = '.ml-intern/runs/r1';
const quiet: Logger = { info() {}, warn() {}, error() {}, debug() {} };

function context(files: MemoryFileStore, events: AgentEvent[]) {
  return { runId: 'r1', runFolder: FOLDER, files, emit: (e: AgentEvent) => void events.push(e), logger: quiet };
}

function trainerOutput(steps: number): string[] {
  const out: string[] = [];
  for (let step = 1; step <= steps; step++) {
    out.push(`\r${String(Math.floor((100 * step) / steps)).padStart(3)}%|██        | ${step}/${steps} [00:0${step}<00:10,  1.00it/s]`);
    if (step % 2 === 0) out.push(`\n{'loss': ${(2 / step).toFixed(4)}, 'grad_norm': 0.5, 'learning_rate': 0.0002, 'epoch': ${(step / steps).toFixed(2)}}\n`);
  }
  return out;
}

async function runCommand(files: MemoryFileStore, processId: string, events: AgentEvent[]): Promise<void> {
  const m = new CommandMetrics(context(files, events), processId);
  for (const chunk of trainerOutput(6)) m.push(chunk);
  await m.end();
}

test('two training commands: their cards get their own points and progress; metrics.jsonl numbers them as attempts', async () => {
  const files = new MemoryFileStore('/ws', { [`${FOLDER}/metrics.jsonl`]: '' });
  const events: AgentEvent[] = [];
  await runCommand(files, 'r1-cmd-1', events);
  await runCommand(files, 'r1-cmd-3', events);
  const pointsOf = (id: string) => events.flatMap((e) => (e.type === 'metrics' && e.processId === id ? e.points.map((p) => [p.step, p.loss]) : []));
  assert.deepEqual(pointsOf('r1-cmd-1'), [[2, 1], [4, 0.5], [6, 0.3333]]);
  assert.deepEqual(pointsOf('r1-cmd-3'), pointsOf('r1-cmd-1'));
  const progress = events.filter((e) => e.type === 'progress' && e.processId === 'r1-cmd-3');
  assert.ok(progress.length >= 1);
  const last = progress.at(-1);
  assert.ok(last && last.type === 'progress' && last.progress.current === 6 && last.progress.total === 6);
  const lines = (await files.read(`${FOLDER}/metrics.jsonl`)).trim().split('\n').map((l) => JSON.parse(l) as { step: number; attempt?: number });
  assert.deepEqual(lines.map((l) => [l.step, l.attempt ?? 1]), [[2, 1], [4, 1], [6, 1], [2, 2], [4, 2], [6, 2]]);
});

test('a command that logs no metrics writes nothing and sends no chart', async () => {
  const files = new MemoryFileStore('/ws', { [`${FOLDER}/metrics.jsonl`]: '' });
  const events: AgentEvent[] = [];
  const m = new CommandMetrics(context(files, events), 'r1-cmd-2');
  m.push('Collecting trl\nSuccessfully installed trl-0.19.1\n');
  await m.end();
  assert.deepEqual(events, []);
  assert.equal(await files.read(`${FOLDER}/metrics.jsonl`), '');
});
