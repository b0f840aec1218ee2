/**
 * Where everything an agent run says goes: the panel (events), the run folder's transcript and
 * numbered files, and the conversation the model reads — each message redacted once, the same
 * way for all three. The loop decides what to say; this file keeps the three in step.
 */
import { AgentEvent } from '../events';
import { ChatMessage, ToolCall } from '../llm/types';
import { EventSink, Logger } from '../ports';
import { RunHandle } from '../runs/runStore';
import { TranscriptEntry } from '../runs/types';
import { errorMessage } from '../tools/text';
import { ToolResult } from '../tools/types';
import { Redactor } from '../util/redact';
import { firstLine, safeParse } from './loopText';
import { capObservation } from './observation';
import { redactMessage } from './reasoning';

/** The numbered files of a run folder, by series: a new file never overwrites one written before a reload. */
const SERIES: Record<string, { folder: string; pattern: RegExp }> = {
  change: { folder: 'scripts', pattern: /^(\d+)-/ },
  snippet: { folder: 'scripts', pattern: /^snippet-(\d+)\.py$/ },
  // logs/cmd-N.log (through the executor) or logs/cmd-N/ (a detached command's records).
  cmd: { folder: 'logs', pattern: /^cmd-(\d+)(?:\.log)?$/ },
  obs: { folder: 'observations', pattern: /^obs-(\d+)\.txt$/ },
};

export interface JournalPorts {
  run: RunHandle;
  events: EventSink;
  logger: Logger;
  redactor: Redactor;
}

export class RunJournal {
  private readonly counters = new Map<string, number>();
  /** Said once, at the end of the next tool result the model reads (e.g. the budget is nearly spent). */
  private pendingNote: string | undefined;

  constructor(
    private readonly ports: JournalPorts,
    private conversation: ChatMessage[],
  ) {}

  /** The conversation as the model reads it (redacted). */
  get messages(): ChatMessage[] {
    return this.conversation;
  }

  /** After a compaction: the shorter conversation (already redacted) goes on. */
  replaceMessages(messages: ChatMessage[]): void {
    this.conversation = messages;
  }

  /** A note for the end of the next tool result; undefined keeps the one waiting. */
  noteOnNextResult(note: string | undefined): void {
    this.pendingNote = note ?? this.pendingNote;
  }

  /** Add a message to the conversation (redacted) and to the transcript. */
  async push(message: ChatMessage): Promise<void> {
    const { memory, disk } = redactMessage(message, this.ports.redactor);
    this.conversation.push(memory);
    await this.record({ kind: 'message', message: disk });
  }

  /** Add a tool result to the conversation and the transcript; returns the (capped, redacted) content the model sees. */
  async recordResult(call: ToolCall, result: ToolResult): Promise<string> {
    const { run, redactor } = this.ports;
    let text = redactor.redact(result.output || (result.ok ? 'Done.' : 'Failed.'));
    const capped = await capObservation(text, async (full) => run.writeFile(`observations/obs-${await this.nextNumber('obs')}.txt`, full));
    text = capped.text;
    if (this.pendingNote) {
      text += `\n\n[note] ${this.pendingNote}`;
      this.pendingNote = undefined;
    }
    await this.record({
      kind: 'tool_result',
      callId: call.id,
      name: call.name,
      ok: result.ok,
      output: text,
      ...(result.data !== undefined ? { data: result.data } : {}),
      ...(capped.savedAs ? { fullOutput: capped.savedAs } : {}),
    });
    await this.push({ role: 'tool', toolCallId: call.id, name: call.name, content: text, ...(result.ok ? {} : { isError: true }) });
    this.emit({
      type: 'tool_result',
      runId: run.id,
      callId: call.id,
      name: call.name,
      ok: result.ok,
      summary: redactor.redact(firstLine(result.output)),
      ...(result.data !== undefined ? { data: redactor.redactDeep(result.data) } : {}),
    });
    return text;
  }

  /** A tool call the model made, into the transcript. */
  recordCall(call: ToolCall): Promise<void> {
    return this.record({ kind: 'tool_call', callId: call.id, name: call.name, args: safeParse(call.arguments) });
  }

  /** A tool call shown in the panel, its arguments redacted. */
  showCall(call: ToolCall): void {
    this.emit({ type: 'tool_call', runId: this.ports.run.id, callId: call.id, name: call.name, args: this.ports.redactor.redactDeep(safeParse(call.arguments)) });
  }

  /** A transcript entry; a failed write is logged, never thrown: the run goes on. */
  record(entry: TranscriptEntry): Promise<void> {
    return this.ports.run.appendTranscript(entry).catch((err: unknown) => this.ports.logger.error(`run ${this.ports.run.id}: transcript write failed: ${errorMessage(err)}`));
  }

  /** An event for the panel; a listener that throws does not stop the run. */
  emit(event: AgentEvent): void {
    try {
      this.ports.events.emit(event);
    } catch (err) {
      this.ports.logger.warn(`event listener failed: ${errorMessage(err)}`);
    }
  }

  /** The next number of a series of run-folder files: above both what is on disk and what this session handed out. */
  async nextNumber(series: string): Promise<number> {
    const s = SERIES[series] ?? { folder: 'scripts', pattern: new RegExp(`^${series.replace(/[^a-z0-9_-]/gi, '')}-(\\d+)`) };
    const fromDisk = await this.ports.run.nextNumber(s.folder, s.pattern);
    const next = Math.max(fromDisk, (this.counters.get(series) ?? 0) + 1);
    this.counters.set(series, next);
    return next;
  }
}
