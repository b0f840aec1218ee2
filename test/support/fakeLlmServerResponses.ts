/**
 * The fake LLM server's OpenAI Responses API (`POST /v1/responses`, stream: SSE with `event:` lines
 * named like the payload's `type`, no [DONE]): reasoning items (with encrypted_content) first, then
 * the message text, then function calls, then response.completed with usage — the order and the
 * fields of node_modules/openai/resources/responses/responses.d.ts.
 */
import type { FakeTurn } from './fakeLlmServer';

interface SseEvent {
  event?: string;
  data: string;
}

export function responsesEvents(turn: FakeTurn, model: string, usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number; cacheWriteTokens: number }): SseEvent[] {
  const size = turn.chunkSize ?? 4;
  let seq = 0;
  const ev = (type: string, payload: Record<string, unknown>): SseEvent => ({ event: type, data: JSON.stringify({ type, sequence_number: seq++, ...payload }) });
  const output: Array<Record<string, unknown>> = [];
  const out: SseEvent[] = [];
  const base = { id: 'resp_fake', object: 'response', created_at: 1_700_000_000, model, status: 'in_progress', output: [], usage: null, incomplete_details: null };
  out.push(ev('response.created', { response: base }));
  for (const r of turn.reasoning ?? []) {
    const index = output.length;
    const item = { type: 'reasoning', id: r.id, summary: r.summary ? [{ type: 'summary_text', text: r.summary }] : [], encrypted_content: r.encryptedContent };
    out.push(ev('response.output_item.added', { output_index: index, item: { ...item, summary: [], encrypted_content: null } }));
    out.push(ev('response.output_item.done', { output_index: index, item }));
    output.push(item);
  }
  if (turn.text) {
    const index = output.length;
    const id = 'msg_fake';
    out.push(ev('response.output_item.added', { output_index: index, item: { type: 'message', id, role: 'assistant', status: 'in_progress', content: [] } }));
    for (let i = 0; i < turn.text.length; i += size) {
      out.push(ev('response.output_text.delta', { item_id: id, output_index: index, content_index: 0, delta: turn.text.slice(i, i + size), logprobs: [] }));
    }
    const item = { type: 'message', id, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: turn.text, annotations: [] }] };
    out.push(ev('response.output_item.done', { output_index: index, item }));
    output.push(item);
  }
  (turn.toolCalls ?? []).forEach((c, i) => {
    const index = output.length;
    const id = `fc_${i}`;
    const callId = c.id ?? `call_${i}`;
    out.push(ev('response.output_item.added', { output_index: index, item: { type: 'function_call', id, call_id: callId, name: c.name, arguments: '', status: 'in_progress' } }));
    for (let k = 0; k < c.arguments.length; k += size) {
      out.push(ev('response.function_call_arguments.delta', { item_id: id, output_index: index, delta: c.arguments.slice(k, k + size) }));
    }
    const item = { type: 'function_call', id, call_id: callId, name: c.name, arguments: c.arguments, status: 'completed' };
    out.push(ev('response.output_item.done', { output_index: index, item }));
    output.push(item);
  });
  const incomplete = turn.stopReason === 'max_output_tokens';
  const input = usage.inputTokens + usage.cachedInputTokens + usage.cacheWriteTokens;
  out.push(
    ev(incomplete ? 'response.incomplete' : 'response.completed', {
      response: {
        ...base,
        status: incomplete ? 'incomplete' : 'completed',
        incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
        output,
        usage: {
          input_tokens: input,
          input_tokens_details: { cached_tokens: usage.cachedInputTokens },
          output_tokens: usage.outputTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: input + usage.outputTokens,
        },
      },
    }),
  );
  return out;
}
