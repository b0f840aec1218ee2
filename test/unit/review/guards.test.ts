import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_REVIEW_BYTES, autoApproves, refuseContent } from '../../../src/core/review/guards';
import { sanitizeFindings } from '../../../src/core/review/findings';
import { ReviewQueue } from '../../../src/core/review/queue';

test('text files pass; binary and oversized content is refused with a clear reason', () => {
  assert.equal(refuseContent('train.py', 'print(1)\n', 'proposed'), undefined);
  assert.equal(refuseContent('train.py', new Uint8Array([104, 105, 10]), 'current'), undefined);
  assert.match(refuseContent('model.bin', new Uint8Array([1, 0, 2]), 'current') ?? '', /'model\.bin' on disk is binary \(it contains NUL bytes\)/);
  assert.match(refuseContent('x.py', 'a\u0000b', 'proposed') ?? '', /the proposed content for 'x\.py' is binary/);
  const big = new Uint8Array(MAX_REVIEW_BYTES + 1).fill(97);
  assert.match(refuseContent('data.jsonl', big, 'current') ?? '', /^Refused: 'data\.jsonl' on disk is 1\.0 MB, over the 1\.0 MB review limit/);
  assert.equal(refuseContent('ok.txt', new Uint8Array(MAX_REVIEW_BYTES).fill(97), 'current'), undefined);
});

test('auto-approve policy', () => {
  assert.equal(autoApproves('never', 'recipe'), false);
  assert.equal(autoApproves('recipe', 'recipe'), true);
  assert.equal(autoApproves('recipe', 'playbook'), true);
  assert.equal(autoApproves('recipe', 'agent'), false);
  assert.equal(autoApproves('recipe', 'user'), false);
  assert.equal(autoApproves('all', 'agent'), true);
});

test('findings from a validator are sanitized', () => {
  assert.deepEqual(sanitizeFindings('nope'), []);
  assert.deepEqual(
    sanitizeFindings([{ line: 3, column: 4, endColumn: 9, severity: 'error', code: 'E1', message: 'bad', suggestion: 'fix' }, { line: 'x' }, null, { line: 0, message: 'm' }]),
    [
      { line: 3, column: 4, endColumn: 9, severity: 'error', code: 'E1', message: 'bad', suggestion: 'fix' },
      { line: 1, column: 1, endColumn: undefined, severity: 'warning', code: '', message: 'm', suggestion: undefined },
    ],
  );
});

test('the queue shows changes first in, first out and drops none', () => {
  const q = new ReviewQueue<{ id: string; path: string }>();
  q.add({ id: 'c1', path: 'train.py' });
  q.add({ id: 'c2', path: 'accelerate_config.yaml' });
  assert.throws(() => q.add({ id: 'c1', path: 'x' }));
  assert.equal(q.head()?.id, 'c1');
  assert.deepEqual(q.list().map((i) => i.path), ['train.py', 'accelerate_config.yaml']);
  assert.equal(q.remove('c2')?.path, 'accelerate_config.yaml');
  assert.equal(q.remove('c2'), undefined);
  assert.equal(q.head()?.id, 'c1');
  q.remove('c1');
  assert.equal(q.size, 0);
});
