import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isExternalLink, isHostMessage, isParseError, MAX_TEXT, parseWebviewMessage, WEBVIEW_MESSAGE_TYPES } from '../../../src/core/protocol';

const VALID: Record<string, Record<string, unknown>> = {
  ready: { type: 'ready' },
  send: { type: 'send', text: 'hello' },
  stop: { type: 'stop' },
  acceptChange: { type: 'acceptChange', changeId: 'c-1' },
  rejectChange: { type: 'rejectChange', changeId: 'c-1', reason: 'keep lr' },
  reviewChange: { type: 'reviewChange', changeId: 'c-1' },
  openRun: { type: 'openRun', runId: '20250101-120000-sft' },
  openLink: { type: 'openLink', href: 'https://huggingface.co' },
  fineTune: { type: 'fineTune' },
  showRuns: { type: 'showRuns' },
  setApiKey: { type: 'setApiKey' },
  modelAction: { type: 'modelAction', action: 'tryIt', folder: 'sft-qwen/outputs/run 1' },
  error: { type: 'error', message: 'boom' },
};

test('every message type in the table has a valid example that parses to an equal, fresh object', () => {
  assert.deepEqual([...WEBVIEW_MESSAGE_TYPES].sort(), Object.keys(VALID).sort());
  for (const [type, msg] of Object.entries(VALID)) {
    const r = parseWebviewMessage(msg);
    assert.ok(!isParseError(r), `${type}: ${JSON.stringify(r)}`);
    assert.deepEqual(r, msg);
    assert.notEqual(r, msg);
    assert.equal(Object.getPrototypeOf(r), Object.prototype);
  }
});

test('modelAction: only the three next steps, a folder of bounded length', () => {
  for (const action of ['tryIt', 'evaluate', 'export']) assert.ok(!isParseError(parseWebviewMessage({ type: 'modelAction', action, folder: 'out' })), action);
  for (const action of ['push', 'tryIt; rm -rf /', '', 'TRYIT']) assert.ok(isParseError(parseWebviewMessage({ type: 'modelAction', action, folder: 'out' })), action);
  assert.ok(isParseError(parseWebviewMessage({ type: 'modelAction', action: 'tryIt', folder: 'x'.repeat(1001) })));
  assert.ok(isParseError(parseWebviewMessage({ type: 'modelAction', action: 'tryIt' })));
});

test('rejectChange without a reason is valid', () => {
  assert.ok(!isParseError(parseWebviewMessage({ type: 'rejectChange', changeId: 'x' })));
});

test('non-objects, unknown and forged types are rejected', () => {
  for (const raw of [null, undefined, 42, 'send', [], [{ type: 'send', text: 'x' }], { type: 'runCommand', argv: ['rm'] }, { type: 'SEND', text: 'x' }, { type: 'toString' }, { type: '__proto__' }, { type: 'hasOwnProperty' }, {}]) {
    assert.ok(isParseError(parseWebviewMessage(raw)), JSON.stringify(raw));
  }
});

test('wrong payload types, missing and extra fields are rejected', () => {
  const bad: unknown[] = [
    { type: 'send' },
    { type: 'send', text: 42 },
    { type: 'send', text: { toString: 'x' } },
    { type: 'send', text: 'x', extra: 1 },
    { type: 'acceptChange', changeId: 7 },
    { type: 'acceptChange' },
    { type: 'acceptChange', changeId: '../../etc' },
    { type: 'acceptChange', changeId: 'a b' },
    { type: 'rejectChange', changeId: 'x', reason: 5 },
    { type: 'openRun', runId: 'x/../../y' },
    { type: 'openLink', href: ['https://x'] },
    { type: 'stop', runId: 'x' },
  ];
  for (const raw of bad) assert.ok(isParseError(parseWebviewMessage(raw)), JSON.stringify(raw));
});

test('extra-long strings are rejected', () => {
  assert.ok(!isParseError(parseWebviewMessage({ type: 'send', text: 'x'.repeat(MAX_TEXT) })));
  assert.ok(isParseError(parseWebviewMessage({ type: 'send', text: 'x'.repeat(MAX_TEXT + 1) })));
  assert.ok(isParseError(parseWebviewMessage({ type: 'acceptChange', changeId: 'a'.repeat(201) })));
  assert.ok(isParseError(parseWebviewMessage({ type: 'openLink', href: `https://x/${'a'.repeat(3000)}` })));
});

test('prototype-pollution keys and exotic objects are rejected', () => {
  const polluted = JSON.parse('{"type":"send","text":"x","__proto__":{"admin":true}}');
  assert.ok(isParseError(parseWebviewMessage(polluted)));
  assert.ok(isParseError(parseWebviewMessage(JSON.parse('{"type":"send","text":"x","constructor":{"prototype":{}}}'))));
  assert.ok(isParseError(parseWebviewMessage({ type: 'send', text: 'x', prototype: 1 })));
  class Msg {
    type = 'ready';
  }
  assert.ok(isParseError(parseWebviewMessage(new Msg())));
  const withGetter = { type: 'send' } as Record<string, unknown>;
  Object.defineProperty(withGetter, 'text', { enumerable: true, get: () => 'x' });
  assert.ok(isParseError(parseWebviewMessage(withGetter)));
  const sym = { type: 'ready', [Symbol('x')]: 1 };
  assert.ok(isParseError(parseWebviewMessage(sym)));
  assert.equal(({} as Record<string, unknown>).admin, undefined);
  // A null-prototype object from a structured clone is fine.
  const bare = Object.assign(Object.create(null), { type: 'stop' });
  assert.ok(!isParseError(parseWebviewMessage(bare)));
});

test('fuzz: arbitrary values never throw and anything accepted has a known type and string fields', () => {
  fc.assert(
    fc.property(fc.oneof(fc.anything(), fc.record({ type: fc.constantFrom(...WEBVIEW_MESSAGE_TYPES, 'x'), text: fc.anything(), changeId: fc.anything(), reason: fc.anything() }, { requiredKeys: ['type'] })), (raw) => {
      const r = parseWebviewMessage(raw);
      if (isParseError(r)) return true;
      assert.ok(WEBVIEW_MESSAGE_TYPES.includes(r.type));
      for (const [k, v] of Object.entries(r)) if (k !== 'type') assert.equal(typeof v, 'string');
      return true;
    }),
    { numRuns: 500 },
  );
});

test('only http(s) links are external', () => {
  assert.ok(isExternalLink('https://huggingface.co/docs'));
  assert.ok(isExternalLink('http://localhost:8000'));
  for (const h of ['javascript:alert(1)', 'JAVASCRIPT:alert(1)', 'file:///etc/passwd', 'command:workbench.action.terminal.new', 'vscode://x', 'data:text/html,x', 'not a url', '']) assert.ok(!isExternalLink(h), h);
});

test('isHostMessage accepts the host types only', () => {
  assert.ok(isHostMessage({ type: 'event', event: { type: 'notice', level: 'info', message: 'x' } }));
  assert.ok(isHostMessage({ type: 'state', runId: null, events: [] }));
  assert.ok(!isHostMessage({ type: 'send', text: 'x' }));
  assert.ok(!isHostMessage(null));
});
