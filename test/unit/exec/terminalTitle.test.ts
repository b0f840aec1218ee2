import { test } from 'node:test';
import assert from 'node:assert/strict';
import { terminalTitle } from '../../../src/ui/terminal/terminalTitle';

test('run terminals are named by what runs first, so a list of them cut short still tells them apart', () => {
  const names = ['ML Intern: train.py (attempt 1)', 'ML Intern: train.py (attempt 2)', 'ML Intern: pip install trl', 'python loop.py (re-attached)'];
  const titles = names.map(terminalTitle);
  assert.deepEqual(titles, ['train.py (attempt 1) · ML Intern', 'train.py (attempt 2) · ML Intern', 'pip install trl · ML Intern', 'python loop.py (re-attached) · ML Intern']);
  // Cut to the first 14 characters, as a narrow terminal list does, they still differ (they were all 'ML Intern: …').
  assert.equal(new Set(titles.map((t) => t.slice(0, 14))).size, 3);
  assert.equal(terminalTitle('ML Intern: '), 'ML Intern');
});
