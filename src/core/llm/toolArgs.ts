/**
 * Tool-call arguments arrive as raw JSON text from the model. A malformed
 * payload must not fail the LLM call: the agent loop turns the error below
 * into an observation so the model can correct itself.
 */
import { ToolCall } from './types';

export type ParsedArguments = { ok: true; value: Record<string, unknown> } | { ok: false; error: string };

export function parseToolArguments(call: Pick<ToolCall, 'name' | 'arguments'>): ParsedArguments {
  const raw = call.arguments.trim();
  if (raw === '') return { ok: true, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    const preview = raw.length > 200 ? `${raw.slice(0, 200)}…` : raw;
    return { ok: false, error: `The arguments for '${call.name}' are not valid JSON (${why}). Received: ${preview}. Call the tool again with a single JSON object.` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, error: `The arguments for '${call.name}' must be a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}.` };
  }
  return { ok: true, value: value as Record<string, unknown> };
}
