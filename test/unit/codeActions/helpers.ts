// A real workspace, a real approval gate and a real registry for the code-action tests: the
// interpreter is a real Python process; only the user's answers are scripted.
import { mkdirSync, mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AgentEvent } from '../../../src/core/events';
import { ChildProcessExecutor } from '../../../src/core/exec/childProcessExecutor';
import { ApprovalGate } from '../../../src/core/policy/approval';
import { TranscriptEntry } from '../../../src/core/runs/types';
import { AutoApprovePolicy, DEFAULT_SETTINGS, Settings } from '../../../src/core/settings';
import type { SandboxSettings } from '../../../src/core/sandbox/types';
import { coreTools } from '../../../src/core/tools/coreTools';
import { ToolRegistry } from '../../../src/core/tools/registry';
import { CommandApprovalRequest, ToolContext } from '../../../src/core/tools/types';
import { NodeFileStore } from '../../../src/core/util/nodeFileStore';

export interface Harness {
  ctx: ToolContext;
  registry: ToolRegistry;
  asked: CommandApprovalRequest[];
  recorded: TranscriptEntry[];
  events: AgentEvent[];
  workspace: string;
  abort: AbortController;
}

export interface HarnessOptions {
  workspace?: string;
  policy?: AutoApprovePolicy;
  /** The user's answer to a command dialog (default: yes to the code step itself, no to anything else). */
  answer?: (request: CommandApprovalRequest) => boolean;
  sandbox?: SandboxSettings;
  env?: Record<string, string>;
}

export function harness(options: HarnessOptions = {}): Harness {
  const workspace = options.workspace ?? mkdtempSync(path.join(os.tmpdir(), 'ml-intern-code-'));
  const files = new NodeFileStore(workspace);
  const asked: CommandApprovalRequest[] = [];
  const recorded: TranscriptEntry[] = [];
  const events: AgentEvent[] = [];
  const runFolder = '.ml-intern/runs/r1';
  mkdirSync(path.join(workspace, runFolder, 'logs'), { recursive: true });
  const answer = options.answer ?? ((request: CommandApprovalRequest) => request.tool === 'python');
  const gate = new ApprovalGate({
    policy: () => options.policy ?? 'never',
    // The user rejects every proposed change in these tests: a refused write must leave no file.
    reviewer: { propose: async () => ({ kind: 'rejected', reason: 'not this file' }) },
    approveCommand: async (request) => {
      asked.push(request);
      return answer(request) ? { approved: true } : { approved: false, reason: 'no' };
    },
    runId: 'r1',
    record: async (e) => void recorded.push(e),
    emit: (e) => void events.push(e),
    nextChangeNumber: async () => 1,
    saveVersion: async (n, p, text, label) => {
      const where = `${runFolder}/scripts/${n}-${label}-${path.basename(p)}`;
      await files.write(where, text);
      return where;
    },
    write: (p, text) => files.write(p, text),
    read: (p) => files.readIfExists(p),
    workspaceCwd: (cwd) => path.join(workspace, cwd),
  });
  const settings: Settings = { ...DEFAULT_SETTINGS, autoApprove: options.policy ?? 'never', sandbox: options.sandbox ?? { mode: 'off', network: 'off', image: '' } };
  const abort = new AbortController();
  const counters = new Map<string, number>();
  const ctx: ToolContext = {
    runId: 'r1',
    runFolder,
    files,
    executor: new ChildProcessExecutor(),
    settings,
    signal: abort.signal,
    logger: { info() {}, warn() {}, error() {}, debug() {} },
    env: options.env ?? {},
    python: 'python3',
    emit: (e) => void events.push(e),
    proposeChange: (change) => gate.proposeChange({ ...change, runId: 'r1' }),
    approveCommand: (request) => gate.approveCommand(request),
    saveRunFile: async (rel, text) => {
      const where = `${runFolder}/${rel}`;
      await files.write(where, text);
      return where;
    },
    nextNumber: async (series) => {
      const next = (counters.get(series) ?? 0) + 1;
      counters.set(series, next);
      return next;
    },
    setPlan: () => undefined,
  };
  return { ctx, registry: new ToolRegistry(coreTools()), asked, recorded, events, workspace, abort };
}
