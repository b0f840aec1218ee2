/**
 * The approval policy: reading is free; writing and running need the user's
 * approval unless `mlIntern.autoApprove` allows it. Every decision is recorded
 * in the transcript and shown to the UI. Below the sessions, the tools and the agent, which all
 * ask through it.
 */
import { AgentEvent } from '../events';
import { countLines } from '../review/hunks';
import { createReview } from '../review/reviewState';
import { ChangeOrigin, ProposedChange, ReviewDecision, Reviewer } from '../ports';
import { AutoApprovePolicy } from '../settings';
import type { SandboxNetwork } from '../sandboxSettings';
import { TranscriptEntry } from '../runs/types';
import { whySandboxedAsks } from '../sandbox/autoApprove';

/** A command the agent, a tool or a session wants to run, as the user is asked about it. */
export interface CommandApprovalRequest {
  argv: string[];
  /** Why the agent wants to run it (from the model or the recipe). */
  reason: string;
  origin: ChangeOrigin;
  cwd: string;
  /** Extra text to show with the request (e.g. the Python snippet). */
  detail?: string;
  /** The tool asking (run, run_python, a custom tool, an MCP tool). */
  tool: string;
  /** The sandbox it will run in (sandbox/command.ts); absent: unconfined. */
  sandbox?: { label: string; network: SandboxNetwork };
}

export interface CommandDecision {
  approved: boolean;
  /** The user's reason when refused. */
  reason?: string;
  /** True when the policy approved it without asking. */
  auto: boolean;
}

/** True when the policy lets this origin's writes and runs through without asking. */
export function isAutoApproved(policy: AutoApprovePolicy, origin: ChangeOrigin): boolean {
  if (policy === 'all') return true;
  if (policy === 'recipe' || policy === 'sandboxed') return origin === 'recipe' || origin === 'playbook';
  return false;
}

/** The host's way to ask before a process runs (a modal or an inline prompt; y/n on a TTY). */
export type CommandApprover = (request: CommandApprovalRequest, signal?: AbortSignal) => Promise<{ approved: boolean; reason?: string }>;

export interface ApprovalGateDeps {
  policy: () => AutoApprovePolicy;
  reviewer: Reviewer;
  approveCommand?: CommandApprover;
  runId: string;
  record(entry: TranscriptEntry): Promise<void>;
  emit(event: AgentEvent): void;
  /** Number of the next proposal (numbers the kept versions in scripts/). */
  nextChangeNumber(): Promise<number>;
  /** Keep a version of a proposed/accepted file in the run folder; returns where. */
  saveVersion(n: number, path: string, text: string, label: 'proposed' | 'accepted'): Promise<string>;
  write(path: string, text: string): Promise<void>;
  read(path: string): Promise<string | undefined>;
  workspaceCwd(cwd: string): string;
}

/**
 * Lines added and removed, counted on the review's own hunks (a trailing newline is not a line),
 * so the card says what the diff's CodeLens say.
 */
function lineDelta(original: string | null, text: string): { added: number; removed: number } {
  return countLines(createReview(original, text).hunks);
}

let changeCounter = 0;

export class ApprovalGate {
  constructor(private readonly deps: ApprovalGateDeps) {}

  /** Propose a file change; write what was accepted; keep every version. */
  async proposeChange(change: ProposedChange, signal?: AbortSignal): Promise<ReviewDecision & { savedAs: string[] }> {
    const d = this.deps;
    const changeId = `${d.runId}-change-${++changeCounter}`;
    const n = await d.nextChangeNumber();
    const savedAs = [await d.saveVersion(n, change.path, change.proposed, 'proposed')];
    const delta = lineDelta(change.original, change.proposed);
    d.emit({ type: 'change_proposed', runId: d.runId, changeId, path: change.path, description: change.description, origin: change.origin, ...delta, ...(change.original === null ? { isNew: true } : {}) });
    let decision: ReviewDecision;
    if (isAutoApproved(d.policy(), change.origin)) decision = { kind: 'accepted', text: change.proposed, userPatch: '', auto: true };
    else decision = await d.reviewer.propose({ ...change, runId: d.runId, id: changeId }, signal);
    if (decision.kind === 'accepted') {
      // The reviewer may already have written the file (an editable diff view); write only when it differs.
      if ((await d.read(change.path)) !== decision.text) await d.write(change.path, decision.text);
      savedAs.push(await d.saveVersion(n, change.path, decision.text, 'accepted'));
    }
    // Accepted in part or edited: what was written, so the card does not show the proposal's counts as accepted.
    const written = decision.kind === 'accepted' && decision.userPatch !== '' ? lineDelta(change.original, decision.text) : undefined;
    d.emit({
      type: 'change_decided',
      runId: d.runId,
      changeId,
      path: change.path,
      decision: decision.kind,
      auto: decision.kind === 'accepted' ? decision.auto : false,
      ...(decision.kind === 'rejected' && decision.reason ? { reason: decision.reason } : {}),
      ...(written ? { written } : {}),
    });
    await d.record({
      kind: 'decision',
      subject: 'change',
      path: change.path,
      origin: change.origin,
      decision: decision.kind,
      auto: decision.kind === 'accepted' ? decision.auto : false,
      ...(decision.kind === 'accepted' ? { edited: decision.userPatch !== '' } : { reason: decision.reason ?? '' }),
      savedAs,
      // What the panel needs to show the change card again after a reload.
      description: change.description,
      ...delta,
      ...(written ? { written } : {}),
    });
    return { ...decision, savedAs };
  }

  async approveCommand(request: Omit<CommandApprovalRequest, 'cwd'> & { cwd?: string }, signal?: AbortSignal): Promise<CommandDecision> {
    const d = this.deps;
    const full: CommandApprovalRequest = { ...request, cwd: d.workspaceCwd(request.cwd ?? '') };
    // The dialog says where it runs: "Sandboxed (bubblewrap, network off)." above the rest.
    if (request.sandbox) full.detail = `Sandboxed (${request.sandbox.label}).${request.detail ? `\n${request.detail}` : ''}`;
    let decision: CommandDecision;
    if (isAutoApproved(d.policy(), request.origin)) decision = { approved: true, auto: true };
    else if (d.policy() === 'sandboxed' && !whySandboxedAsks(request)) decision = { approved: true, auto: true };
    else if (!d.approveCommand) {
      decision = { approved: false, auto: false, reason: 'no way to ask the user here; allow runs with the mlIntern.autoApprove setting (or --approve=all)' };
    } else {
      const answer = await d.approveCommand(full, signal);
      decision = { approved: answer.approved, auto: false, ...(answer.reason ? { reason: answer.reason } : {}) };
    }
    await d.record({
      kind: 'decision',
      subject: 'command',
      tool: request.tool,
      argv: request.argv,
      origin: request.origin,
      decision: decision.approved ? 'approved' : 'refused',
      auto: decision.auto,
      ...(decision.reason ? { reason: decision.reason } : {}),
    });
    return decision;
  }
}
