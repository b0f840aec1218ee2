/**
 * A model's reasoning (Anthropic thinking blocks, OpenAI reasoning items) goes back to the model
 * byte for byte, or the API refuses the request: a thinking block's signature covers its text. So
 * the secrets redaction, which everything written to disk goes through, cannot edit it. The rule:
 *
 * - in memory (this process's requests) an answer keeps its reasoning as the model sent it, to the
 *   same provider that produced it;
 * - on disk (transcript.jsonl) the reasoning is written only when redaction leaves every block of
 *   the answer unchanged; otherwise the answer's reasoning is left out and marked `reasoningDropped`.
 *   A resumed run then sends that answer without its reasoning (the Anthropic provider turns
 *   thinking off for a tool turn that lost it, as the API requires), never an altered block.
 */
import { ChatMessage } from '../llm/types';
import { Redactor } from '../util/redact';

export interface RedactedMessage {
  /** For the conversation sent to the model: redacted, reasoning untouched. */
  memory: ChatMessage;
  /** For the transcript: redacted, reasoning only when redaction would not change it. */
  disk: ChatMessage;
}

export function redactMessage(message: ChatMessage, redactor: Redactor): RedactedMessage {
  if (message.role !== 'assistant' || !message.reasoning?.length) {
    const clean = redactor.redactDeep(message);
    return { memory: clean, disk: clean };
  }
  const { reasoning, ...rest } = message;
  const clean = redactor.redactDeep(rest);
  const unchanged = JSON.stringify(redactor.redactDeep(reasoning)) === JSON.stringify(reasoning);
  return {
    memory: { ...clean, reasoning },
    disk: unchanged ? { ...clean, reasoning } : { ...clean, reasoningDropped: true },
  };
}
