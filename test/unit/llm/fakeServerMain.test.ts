/** The fake LLM server as a process (how the E2E tests launch it). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { OpenAiProvider } from '../../../src/core/llm/openaiProvider';

test('fakeLlmServerMain prints its URL, answers from the script file and records requests', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fake-llm-'));
  const script = join(dir, 'script.json');
  const record = join(dir, 'requests.json');
  writeFileSync(script, JSON.stringify({ turns: [{ text: 'scripted answer' }], whenEmpty: { text: 'fallback' } }));
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/fakeLlmServerMain.ts', '--script', script, '--record', record], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const [first] = (await once(child.stdout, 'data')) as [Buffer];
    const url = first.toString().split('\n')[0];
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const p = new OpenAiProvider({ apiKey: 'e2e-key-123456', model: 'gpt-4.1-mini', baseUrl: `${url}/v1` });
    assert.equal((await p.chat({ messages: [{ role: 'user', content: 'hi' }] })).text, 'scripted answer');
    assert.equal((await p.chat({ messages: [{ role: 'user', content: 'again' }] })).text, 'fallback');
    const recorded = JSON.parse(readFileSync(record, 'utf8')) as Array<{ body: { messages: Array<{ content: string }> } }>;
    assert.equal(recorded.length, 2);
    assert.equal(recorded[1].body.messages[0].content, 'again');
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});
