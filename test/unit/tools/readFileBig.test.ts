// read_file on a file too big to read whole (issue 24 item 4, inputs without bounds): a training log
// of hundreds of MB, or one JSON line of gigabytes, is paged from disk in pieces. The page says the
// same as for a small file (lines a-b of N, the next offset, a long line cut saying how long it
// was), and memory grows by the page, not by the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import { readFileTool } from '../../../src/core/tools/readFile';
import { ToolContext } from '../../../src/core/tools/types';
import { OBSERVATION_CAP } from '../../../src/core/tools/observationCap';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { tempDir } from '../exec/helpers';

const LONG = 96 * 1024 * 1024;

/** "first", one line of LONG bytes, then 3000 numbered rows and a trailing newline: written in pieces. */
function writeBigLog(file: string): void {
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, 'first\n');
    const piece = Buffer.alloc(1024 * 1024, 'x');
    for (let i = 0; i < LONG / piece.length; i++) writeSync(fd, piece);
    writeSync(fd, '\n');
    writeSync(fd, Array.from({ length: 3000 }, (_, i) => `row ${i + 1} ` + 'é'.repeat(20)).join('\n') + '\n');
  } finally {
    closeSync(fd);
  }
}

test('read_file pages a 96 MB file from disk: right lines, the count of all lines, a cut line named by its size, memory bounded', { timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir('mli-readbig-');
  try {
    writeBigLog(path.join(dir, 'train.log'));
    const ctx = { files: new NodeFileStore(dir) } as unknown as ToolContext;
    const total = 1 + 1 + 3000 + 1;
    const rssBefore = process.memoryUsage().rss;
    const first = await readFileTool.handler({ path: 'train.log' }, ctx);
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    assert.ok(first.ok, first.output.slice(0, 200));
    assert.ok(rssGrowth < 48 * 1024 * 1024, `memory grew by ${(rssGrowth / 1024 / 1024).toFixed(0)} MB for a ${LONG / 1024 / 1024} MB file`);
    assert.ok(first.output.length <= OBSERVATION_CAP, `the page fits one observation (${first.output.length} characters)`);
    const m = new RegExp(`^train\\.log: lines 1-(\\d+) of ${total} \\(next page: offset (\\d+)\\)\\n`).exec(first.output);
    assert.ok(m, first.output.slice(0, 200));
    assert.equal(Number(m[2]), Number(m[1]) + 1);
    assert.match(first.output, /^ {5}1\tfirst$/m);
    assert.match(first.output, new RegExp(`^ {5}2\\tx{2000} \\[\\.\\.\\. line cut: ${LONG} bytes\\]$`, 'm'));
    assert.match(first.output, /^ {5}3\trow 1 é{20}$/m, 'multi-byte characters read whole');
    assert.match(first.output, new RegExp(`\\[${total - Number(m[1])} more lines: call read_file with path "train\\.log" and offset ${m[2]}\\]$`));

    const later = await readFileTool.handler({ path: 'train.log', offset: 3000, limit: 10 }, ctx);
    assert.equal(later.output, `train.log: lines 3000-${total} of ${total}\n` + [2998, 2999, 3000].map((r, i) => `${String(3000 + i).padStart(6)}\trow ${r} ${'é'.repeat(20)}`).join('\n') + `\n${String(total).padStart(6)}\t`);
    const past = await readFileTool.handler({ path: 'train.log', offset: total + 1 }, ctx);
    assert.equal(past.ok, false);
    assert.match(past.output, new RegExp(`train\\.log has ${total} lines; offset ${total + 1} is past the end`));
  } finally {
    cleanup();
  }
});
