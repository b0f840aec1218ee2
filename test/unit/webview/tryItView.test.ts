// The side-by-side Try-it view in a DOM: prefilled prompts and settings, Run posting what the host
// accepts, the two columns streaming as events arrive, text never becoming markup, a strict CSP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dom } from './helpers';
import { TryItApp } from '../../../media/tryIt/app';
import { parseTryItMessage, TryItFromView, TryItViewInit } from '../../../src/core/export/tryItView';
import { tryItHtml } from '../../../src/ui/tryIt/tryItHtml';
import { tryItInit } from '../../../src/ui/tryIt/tryItInit';

const INIT: TryItViewInit = tryItInit('sft/outputs/run1', 'Qwen/Qwen2.5-0.5B-Instruct', ['What is a fever?', 'How long does a cold last?'], 'ml-intern');

function app() {
  const { document, root, window } = dom();
  const posted: TryItFromView[] = [];
  const a = new TryItApp(document, root, (m) => posted.push(m));
  a.start();
  a.onMessage({ type: 'init', init: INIT });
  const q = (id: string) => root.querySelector(`[data-testid="${id}"]`) as HTMLElement & { value: string; disabled: boolean };
  return { a, root, posted, q, window };
}

test('the view opens with the held-out prompts and try_it.py\'s sampling; Run posts a message the host accepts', () => {
  const { posted, q } = app();
  assert.deepEqual(posted[0], { type: 'ready' });
  assert.equal(q('tryit-prompt-1').value, 'What is a fever?');
  assert.equal(q('tryit-prompt-2').value, 'How long does a cold last?');
  assert.equal(q('tryit-temperature').value, '0.7');
  q('tryit-prompt-2').value = 'Is 38.5 °C a fever?';
  q('tryit-system').value = 'Be brief.';
  q('tryit-maxNewTokens').value = '64';
  q('tryit-run').click();
  const run = posted.at(-1)!;
  assert.deepEqual(parseTryItMessage(run), { type: 'run', backend: 'transformers', prompts: ['What is a fever?', 'Is 38.5 °C a fever?'], system: 'Be brief.', temperature: 0.7, topP: 0.9, maxNewTokens: 64, seed: 0 });
});

test('the vLLM backend shows its fields, prefilled with the export\'s served names, and sends them', () => {
  const { root, posted, q, window } = app();
  const backend = q('tryit-backend') as unknown as HTMLSelectElement;
  const fieldset = root.querySelector('fieldset.vllm') as HTMLElement;
  assert.equal(fieldset.hidden, true);
  backend.value = 'vllm';
  backend.dispatchEvent(new window.Event('change') as unknown as Event);
  assert.equal(fieldset.hidden, false);
  assert.equal(q('tryit-endpoint').value, 'http://127.0.0.1:8000/v1');
  assert.equal(q('tryit-baseName').value, 'Qwen/Qwen2.5-0.5B-Instruct');
  // Ctrl+Enter runs from any field.
  q('tryit-system').dispatchEvent(new window.KeyboardEvent('keydown', { key: 'Enter', ctrlKey: true, bubbles: true }) as unknown as Event);
  const run = parseTryItMessage(posted.at(-1));
  assert.ok(typeof run !== 'string' && run.type === 'run');
  assert.equal(run.backend, 'vllm');
  assert.equal(run.trainedName, INIT.vllm.trainedName);
});

test('events stream into the two columns; a running state disables Run and enables Stop; hostile text stays text', () => {
  const { a, root, posted, q } = app();
  a.onMessage({ type: 'status', state: 'running', message: '2 prompt(s)' });
  assert.equal(q('tryit-run').disabled, true);
  assert.equal(q('tryit-stop').disabled, false);
  a.onMessage({ type: 'events', events: [
    { event: 'start', base: 'Qwen/Qwen2.5-0.5B-Instruct', trained: '../sft/outputs/run1', system: '', settings: { temperature: 0.7, top_p: 0.9, max_new_tokens: 64, seed: 0 }, prompts: ['What is a fever?'] },
    { event: 'prompt', prompt: 0, text: 'What is a fever?' },
    { event: 'side', side: 'base', prompt: 0 },
    { event: 'delta', side: 'base', prompt: 0, text: 'A high ' },
  ] });
  assert.equal(q('tryit-base-0').textContent, 'A high ');
  // The trained column is named by its workspace folder, not try_it.py's ../ path.
  assert.deepEqual([...root.querySelectorAll('.col h3')].map((x) => x.textContent), ['Base · Qwen/Qwen2.5-0.5B-Instruct', 'Trained · sft/outputs/run1']);
  assert.equal(q('tryit-base-0').getAttribute('data-state'), 'streaming');
  assert.equal(q('tryit-trained-0').getAttribute('data-state'), 'waiting');
  a.onMessage({ type: 'events', events: [
    { event: 'delta', side: 'base', prompt: 0, text: 'temperature.' },
    { event: 'answer', side: 'base', prompt: 0, text: 'A high temperature.', tokens: 4, seconds: 0.2 },
    { event: 'delta', side: 'trained', prompt: 0, text: '<img src=x onerror=alert(1)>' },
  ] });
  assert.equal(q('tryit-base-0').textContent, 'A high temperature.');
  assert.equal(q('tryit-base-0').getAttribute('data-state'), 'done');
  assert.match(root.textContent ?? '', /4 tokens, 0.2 s/);
  assert.equal(root.querySelector('[data-testid="tryit-rows"] img'), null);
  assert.equal(q('tryit-trained-0').textContent, '<img src=x onerror=alert(1)>');
  a.onMessage({ type: 'log', lines: ['Traceback (most recent call last):'] });
  assert.match(q('tryit-log').textContent ?? '', /Traceback/);
  q('tryit-stop').click();
  assert.deepEqual(posted.at(-1), { type: 'stop' });
  a.onMessage({ type: 'status', state: 'failed', message: 'Step 1 of 1 failed' });
  assert.equal(q('tryit-run').disabled, false);
  assert.equal(q('tryit-status').textContent, 'Step 1 of 1 failed');
});

test('the page allows only its own nonce\'d script and style, nothing remote', () => {
  const html = tryItHtml({ cspSource: 'vscode-webview://x', scriptUri: 'vscode-webview://x/dist/tryit.js', nonce: 'abc123', title: 'Try <b>' });
  const csp = /Content-Security-Policy" content="([^"]+)"/.exec(html)![1];
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-abc123'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
  assert.match(html, /<script nonce="abc123" src="vscode-webview:\/\/x\/dist\/tryit.js"><\/script>/);
  assert.match(html, /<title>Try &lt;b><\/title>/);
});

test('"Start a vLLM server" posts serve; ready fills the endpoint and names; a full model shows why and the commands; Stop posts serve-stop', () => {
  const { a, posted, q } = app();
  assert.equal(q('tryit-serve').textContent, 'Start a vLLM server');
  assert.equal(q('tryit-serve-stop').disabled, true);
  q('tryit-serve').click();
  assert.deepEqual(parseTryItMessage(posted.at(-1)), { type: 'serve' });
  assert.equal(q('tryit-serve').disabled, true, 'one click, one server');
  a.onMessage({ type: 'server', server: { state: 'starting', message: 'vLLM is starting at http://127.0.0.1:45123/v1' } });
  assert.equal(q('tryit-serve-stop').disabled, false);
  a.onMessage({ type: 'server', server: { state: 'ready', message: 'vLLM is ready', endpoint: 'http://127.0.0.1:45123/v1', baseName: 'Qwen/Qwen2.5-0.5B-Instruct', trainedName: 'served-run1' } });
  assert.equal(q('tryit-endpoint').value, 'http://127.0.0.1:45123/v1');
  assert.equal(q('tryit-trainedName').value, 'served-run1');
  assert.equal(q('tryit-server-status').textContent, 'vLLM is ready');
  q('tryit-serve-stop').click();
  assert.deepEqual(parseTryItMessage(posted.at(-1)), { type: 'serve-stop' });
  a.onMessage({ type: 'server', server: { state: 'stopped', message: 'The vLLM server was stopped.' } });
  assert.equal(q('tryit-serve').disabled, false);
  assert.equal(q('tryit-serve-stop').disabled, true);
  a.onMessage({ type: 'server', server: { state: 'unavailable', message: 'merged is a full model, not a LoRA adapter: <b>x</b>', commands: ['vllm serve /ws/merged --port 1', 'vllm serve Qwen/Qwen2.5-0.5B-Instruct --port 2'] } });
  assert.equal(q('tryit-server-status').getAttribute('data-state'), 'failed');
  assert.equal(q('tryit-server-status').textContent, 'merged is a full model, not a LoRA adapter: <b>x</b>', 'text stays text');
  assert.equal(q('tryit-server-commands').hidden, false);
  assert.equal(q('tryit-server-commands').textContent, 'vllm serve /ws/merged --port 1\nvllm serve Qwen/Qwen2.5-0.5B-Instruct --port 2');
});
