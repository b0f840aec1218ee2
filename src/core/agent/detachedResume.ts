/**
 * A run reopened after a window reload mid-step: the tool calls of the model's last answer that got
 * no result are answered so the conversation stays valid. A detached command one of them started
 * (a training, a Slurm job) is waited for, or read when it ended while the window was away, so the
 * model gets its real exit code and output instead of "interrupted".
 */
import { ChatMessage, ToolCall } from '../llm/types';
import { RunHandle } from '../runs/runStore';
import { TranscriptEntry } from '../runs/types';
import { attachDetached } from '../exec/detached';
import { defaultSlurmDeps } from '../run/slurmJobs';
import { CommandRecord } from '../tools/detachedCommand';
import { DetachedCommands, ToolResult } from '../tools/types';
import { AgentDeps } from './agentTypes';
import { RunJournal } from './runJournal';

const INTERRUPTED = 'Interrupted before this call completed (the run was stopped or the window reloaded). Check its effect before repeating it.';

/** The tool calls of the last assistant message that have no result (a reload mid-step). */
export function danglingCalls(messages: readonly ChatMessage[]): ToolCall[] {
  const answered = new Set(messages.filter((m) => m.role === 'tool').map((m) => (m as { toolCallId: string }).toolCallId));
  const last = [...messages].reverse().find((m) => m.role === 'assistant');
  if (!last || last.role !== 'assistant' || !last.toolCalls) return [];
  return last.toolCalls.filter((call) => !answered.has(call.id));
}

/** The detached commands a run's transcript recorded ('process' entries), by the tool call that started each. */
export function commandsFrom(entries: readonly TranscriptEntry[]): Map<string, CommandRecord> {
  const commands = new Map<string, CommandRecord>();
  for (const e of entries) {
    if (e.kind !== 'process') continue;
    const { kind: _kind, callId, ts: _ts, ...record } = e;
    commands.set(callId, record);
  }
  return commands;
}

/** One tool call's means to run its command detached; `remember` keeps where the command is, for a reopened run. */
export function detachedPorts(detached: NonNullable<AgentDeps['detached']>, metrics: RunHandle, remember: (record: CommandRecord) => Promise<void>): DetachedCommands {
  return {
    launch: detached.launch,
    attach: detached.attach ?? attachDetached,
    show: detached.show,
    fullOutput: detached.fullOutput,
    slurm: detached.slurm ?? defaultSlurmDeps,
    metrics,
    remember,
  };
}

/**
 * Answer every dangling call: with its detached command's real result when `resume` finds the
 * command, else as interrupted (so the model checks its effect before repeating it).
 */
export async function answerDanglingCalls(
  journal: RunJournal,
  commands: ReadonlyMap<string, CommandRecord>,
  resume: ((call: ToolCall, command: CommandRecord) => Promise<ToolResult | undefined>) | undefined,
): Promise<void> {
  for (const call of danglingCalls(journal.messages)) {
    const command = commands.get(call.id);
    const resumed = command && resume ? await resume(call, command) : undefined;
    if (resumed) {
      journal.showCall(call);
      await journal.recordResult(call, resumed);
      continue;
    }
    if (!command) await journal.recordCall(call);
    await journal.recordResult(call, { ok: false, output: INTERRUPTED });
  }
}
