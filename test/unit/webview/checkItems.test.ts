// The wizard's "before the full run" question: the smoke run is offered only where it can run (it
// starts on this machine; on the Slurm target the GPUs are a compute node's), the preview everywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkItems } from '../../../src/ui/session/checkItems';

test('local target: preview and smoke run; Slurm target: the preview only', () => {
  assert.deepEqual(checkItems(false).map((i) => i.check), ['preview', 'smoke']);
  assert.match(checkItems(false)[1].label, /^Smoke run \(\d+ steps\)$/);
  assert.deepEqual(checkItems(true).map((i) => i.check), ['preview']);
  assert.match(checkItems(true)[0].description, /no GPU/);
});
