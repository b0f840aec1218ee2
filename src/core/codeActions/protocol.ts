/**
 * The lines python/code_actions.py and the extension exchange (one JSON object per line). Read
 * defensively: a line that is not one of these is ignored rather than trusted.
 */

/** The exception a step raised: its type, its message and the last frames of the model's code. */
export interface StepError {
  type: string;
  message: string;
  traceback: string;
}

export type FromPython =
  | { type: 'ready'; python: string }
  | { type: 'initialized'; tools: string[] }
  | { type: 'output'; text: string }
  | { type: 'call'; id: number; name: string; args: Record<string, unknown> }
  | { type: 'done'; step: number; ok: boolean; value: string | null; error: StepError | null };

export interface ToolSpecForPython {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export type ToPython =
  | { type: 'init'; tools: ToolSpecForPython[]; maxCalls: number }
  | { type: 'exec'; step: number; code: string }
  | { type: 'result'; id: number; ok: boolean; output: string }
  | { type: 'interrupt' };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stepError(value: unknown): StepError | null {
  if (!isRecord(value)) return null;
  return { type: String(value.type ?? 'Error'), message: String(value.message ?? ''), traceback: String(value.traceback ?? '') };
}

/** One line from the interpreter, or undefined when it is not a message of the protocol. */
export function parseFromPython(line: string): FromPython | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  switch (value.type) {
    case 'ready':
      return { type: 'ready', python: String(value.python ?? '') };
    case 'initialized':
      return { type: 'initialized', tools: Array.isArray(value.tools) ? value.tools.map(String) : [] };
    case 'output':
      return typeof value.text === 'string' ? { type: 'output', text: value.text } : undefined;
    case 'call':
      if (typeof value.id !== 'number' || typeof value.name !== 'string') return undefined;
      return { type: 'call', id: value.id, name: value.name, args: isRecord(value.args) ? value.args : {} };
    case 'done':
      return {
        type: 'done',
        step: Number(value.step ?? 0),
        ok: value.ok === true,
        value: typeof value.value === 'string' ? value.value : null,
        error: stepError(value.error),
      };
    default:
      return undefined;
  }
}

/**
 * The interpreter starts from `-c` with this bootstrap and reads its own source as the first
 * line of stdin: no file has to be visible inside a sandbox or a container for it to start.
 */
export const BOOTSTRAP = "import sys,json;exec(compile(json.loads(sys.stdin.readline()),'ml-intern-code-actions','exec'))";
