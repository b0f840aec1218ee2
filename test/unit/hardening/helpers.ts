/**
 * Shared by the hardening tests: real SDK providers over the fake LLM server,
 * agent deps on a temp workspace, and the run-folder consistency check every
 * fault scenario ends with.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AgentDeps } from '../../../src/core/agent/agentLoop';
import { AnthropicProvider } from '../../../src/core/llm/anthropicProvider';
import { OpenAiProvider } from '../../../src/core/llm/openaiProvider';
import { CallPolicyOptions } from '../../../src/core/llm/retry';
import { LlmProvider } from '../../../src/core/llm/types';
import { rebuildConversation, RebuiltConversation } from '../../../src/core/runs/rebuild';
import { RunStatus, TranscriptEntry } from '../../../src/core/runs/types';
import { Settings } from '../../../src/core/settings';
import { ManualClock, RecordingEventSink, ScriptedReviewer } from '../../../src/core/testing/memoryPorts';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';
import { FakeExecutor, makeDeps } from '../agent/helpers';
import { FakeLlmServer, FakeToolCall } from '../../support/fakeLlmServer';

export { FakeExecutor };

export function tempDir(prefix = 'mli-hard-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export interface Flavour {
  name: 'openai' | 'anthropic';
  make(server: FakeLlmServer, opts?: CallPolicyOptions & { apiKey?: string }): LlmProvider;
}

/** Short timeouts and a manual clock: retries cost no wall-clock time, hangs are cut quickly. */
export const FAST: CallPolicyOptions = {
  retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
  timeouts: { firstByteTimeoutMs: 400, idleTimeoutMs: 2_000, overallTimeoutMs: 20_000 },
  random: () => 0.5,
};

export const FLAVOURS: Flavour[] = [
  {
    name: 'openai',
    make: (s, o = {}) => new OpenAiProvider({ apiKey: 'sk-test-aaaaaaaaaaaaaaaaaaaaaaaa', model: 'gpt-4.1', baseUrl: s.openaiBaseUrl, clock: new ManualClock(), ...FAST, ...o }),
  },
  {
    name: 'anthropic',
    make: (s, o = {}) =>
      new AnthropicProvider({ apiKey: 'sk-ant-' + 'test-bbbbbbbbbbbbbbbbbbbb', model: 'claude-haiku-4-5', baseUrl: s.anthropicBaseUrl, clock: new ManualClock(), ...FAST, ...o }),
  },
];

export const call = (name: string, args: unknown, id?: string): FakeToolCall => ({ ...(id ? { id } : {}), name, arguments: JSON.stringify(args) });
export const finish = (summary = 'Done.') => ({ toolCalls: [call('finish', { summary, artefacts: [] })] });

export interface HardDeps extends AgentDeps {
  files: NodeFileStore;
  reviewer: ScriptedReviewer;
  events: RecordingEventSink;
  executor: FakeExecutor;
}

/** The agent suite's makeDeps, in a hardening temp folder, typed with the doubles the hardening tests read. */
export function agentDeps(llm: LlmProvider, overrides: Partial<Omit<AgentDeps, 'settings'>> & { settings?: Partial<Settings>; root?: string } = {}): HardDeps {
  return makeDeps(llm, { ...overrides, root: overrides.root ?? tempDir() }) as HardDeps;
}

export interface FolderState {
  status: RunStatus;
  entries: TranscriptEntry[];
  rebuilt: RebuiltConversation;
  transcriptText: string;
  statusText: string;
}

/** status.json parses, every transcript line parses on its own, and the conversation rebuilds. */
export function assertConsistentFolder(root: string, folder: string, agentRun = true): FolderState {
  const dir = path.join(root, folder);
  const statusText = readFileSync(path.join(dir, 'status.json'), 'utf8');
  const status = JSON.parse(statusText) as RunStatus;
  const transcriptText = readFileSync(path.join(dir, 'transcript.jsonl'), 'utf8');
  assert.ok(transcriptText === '' || transcriptText.endsWith('\n'), 'transcript ends with a complete line');
  const entries = transcriptText
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        return JSON.parse(l) as TranscriptEntry;
      } catch {
        return assert.fail(`transcript line ${i + 1} is not JSON: ${l.slice(0, 120)}`);
      }
    });
  for (const e of entries) assert.equal(typeof e.kind, 'string');
  const rebuilt = rebuildConversation(entries);
  if (agentRun) assert.equal(rebuilt.messages[0]?.role, 'system');
  return { status, entries, rebuilt, transcriptText, statusText };
}

/** The JSON bodies the fake server received, as text (for "did X reach the model?"). */
export function sentBodies(server: FakeLlmServer): string[] {
  return server.requests.map((r) => JSON.stringify(r.body ?? {}));
}

/** Wait for a condition (polling), never a fixed sleep. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
