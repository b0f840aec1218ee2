/** A ToolContext double over a real temp workspace: records proposals and approval requests. */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { executeToolCall } from '../../../../src/core/agent/toolCall';
import { ProposedChange, ReviewDecision } from '../../../../src/core/ports';
import { DEFAULT_SETTINGS } from '../../../../src/core/settings';
import { RecordingEventSink } from '../../../../src/core/testing/memoryPorts';
import { domainTools } from '../../../../src/core/tools/domain';
import { ToolRegistry } from '../../../../src/core/tools/registry';
import { CommandApprovalRequest, ToolContext, ToolResult } from '../../../../src/core/tools/types';
import { NodeFileStore } from '../../../../src/core/util/nodeFileStore';
import { FakeExecutor } from '../../agent/helpers';

export const ROOT = resolve('.');
export const STUBS = join(ROOT, 'test', 'fixtures', 'stubs');
export const FAKE_SMI = join(ROOT, 'test', 'fixtures', 'fake-nvidia-smi');

let n = 0;

/** A temp workspace holding the medical-qa example. */
export function workspace(): string {
  const ws = mkdtempSync(join(tmpdir(), 'mli-domain-'));
  cpSync(join(ROOT, 'examples', 'medical-qa'), ws, { recursive: true });
  return ws;
}

export interface Harness {
  ctx: ToolContext;
  files: NodeFileStore;
  proposals: ProposedChange[];
  approvals: Array<Omit<CommandApprovalRequest, 'cwd'> & { cwd?: string }>;
  events: RecordingEventSink;
  registry: ToolRegistry;
  call(name: string, args: Record<string, unknown>): Promise<ToolResult>;
}

export function harness(
  root: string,
  opts: { env?: Record<string, string>; decide?: (c: ProposedChange) => ReviewDecision; python?: string } = {},
): Harness {
  const files = new NodeFileStore(root);
  const proposals: ProposedChange[] = [];
  const approvals: Harness['approvals'] = [];
  const events = new RecordingEventSink();
  const runId = `domain-${process.pid}-${++n}`;
  const decide = opts.decide ?? ((c: ProposedChange): ReviewDecision => ({ kind: 'accepted', text: c.proposed, userPatch: '', auto: false }));
  const ctx: ToolContext = {
    runId,
    runFolder: `.ml-intern/runs/${runId}`,
    files,
    executor: new FakeExecutor(),
    settings: DEFAULT_SETTINGS,
    signal: new AbortController().signal,
    logger: { info() {}, warn() {}, error() {}, debug() {} },
    env: opts.env ?? {},
    python: opts.python ?? 'python3',
    emit: (e) => events.emit(e),
    async proposeChange(change) {
      proposals.push({ ...change });
      const d = decide({ ...change });
      if (d.kind === 'accepted') await files.write(change.path, d.text);
      return { ...d, savedAs: [] };
    },
    async approveCommand(request) {
      approvals.push(request);
      return { approved: false, auto: false, reason: 'the test refuses every command' };
    },
    saveRunFile: async (rel, text) => {
      await files.write(`.ml-intern/runs/${runId}/${rel}`, text);
      return `.ml-intern/runs/${runId}/${rel}`;
    },
    nextNumber: async () => 1,
    setPlan: () => undefined,
  };
  const registry = new ToolRegistry(domainTools());
  let callNo = 0;
  return {
    ctx,
    files,
    proposals,
    approvals,
    events,
    registry,
    async call(name, args) {
      const executed = await executeToolCall({ id: `c${++callNo}`, name, arguments: JSON.stringify(args) }, registry, ctx);
      return executed.result;
    },
  };
}

/** PATH with the fake nvidia-smi (2x T4 + 1x A100 80GB) first. */
export function fakeGpuEnv(): Record<string, string> {
  return { PATH: `${FAKE_SMI}:${process.env.PATH ?? ''}` };
}
