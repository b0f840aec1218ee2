/**
 * What a run folder's files must hold when they are read back: a hand edit, a crash mid-write or
 * a disk error can leave anything in them, and one broken run must not break `runs`, `--attach`
 * or `run --continue` of any other (nor its own past the broken record). Each reader checks the
 * shape it relies on and says what is wrong, naming the file and the field or line.
 */
import { RunState } from '../events';
import { RunSpec, RunStatus, TranscriptEntry, ZERO_TOTALS } from './types';

const RUN_STATES = new Set<RunState>(['starting', 'running', 'succeeded', 'failed', 'stopped', 'waiting', 'budget', 'lost']);
const ROLES = new Set(['system', 'user', 'assistant', 'tool']);

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

/** A JSON value, shortened for a message. */
function shown(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

export interface CheckedStatus {
  status: RunStatus;
  /** What was wrong, e.g. "status.json: created is missing"; empty when the file was sound. */
  problems: string[];
}

/** A run with no readable status: listed as 'lost', saying why. */
export function lostStatus(id: string, why: string): RunStatus {
  return { state: 'lost', title: id, created: '', updated: '', steps: 0, usage: { ...ZERO_TOTALS }, costUsd: 0, lastMessage: why };
}

/**
 * status.json as the code relies on it. A wrong field is replaced by its default and named in
 * `problems`; a file that is not a JSON object, or has no valid state, is a 'lost' run saying why.
 * Fields other code keeps there (an artifact run's step, Slurm job ids) are kept as they are.
 */
export function checkStatus(text: string | undefined, id: string, file: string): CheckedStatus {
  // The run's own line (a listing, --attach) already names the run: its message names just the file.
  const lost = (why: string): CheckedStatus => ({ status: lostStatus(id, `status.json ${why}`), problems: [`${file} ${why}`] });
  if (text === undefined) return lost('is missing');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return lost(`is not valid JSON${text.trim() ? '' : ' (empty)'}`);
  }
  if (!isObject(value)) return lost(`holds ${shown(value)}, not a status object`);
  const problems: string[] = [];
  const field = <T>(name: string, ok: (v: unknown) => v is T, fallback: T): T => {
    const v = value[name];
    if (ok(v)) return v;
    problems.push(v === undefined ? `${name} is missing` : `${name} is ${shown(v)}, not a ${typeof fallback}`);
    return fallback;
  };
  const optional = <T>(name: string, ok: (v: unknown) => v is T): T | undefined => {
    const v = value[name];
    if (v === undefined || ok(v)) return v as T | undefined;
    problems.push(`${name} is ${shown(v)}; ignored`);
    return undefined;
  };
  const stateValue = value.state;
  const validState = isString(stateValue) && RUN_STATES.has(stateValue as RunState);
  if (!validState) problems.push(stateValue === undefined ? 'state is missing' : `state is ${shown(stateValue)}, not one of ${[...RUN_STATES].join(', ')}`);
  const usage = isObject(value.usage) ? value.usage : {};
  if (value.usage !== undefined && !isObject(value.usage)) problems.push(`usage is ${shown(value.usage)}, not an object`);
  const status: RunStatus = {
    ...value,
    state: validState ? (stateValue as RunState) : 'lost',
    title: field('title', isString, id),
    created: field('created', isString, ''),
    updated: field('updated', isString, ''),
    steps: field('steps', isNumber, 0),
    usage: {
      inputTokens: isNumber(usage.inputTokens) ? usage.inputTokens : 0,
      outputTokens: isNumber(usage.outputTokens) ? usage.outputTokens : 0,
      cachedInputTokens: isNumber(usage.cachedInputTokens) ? usage.cachedInputTokens : 0,
      costUsd: isNumber(usage.costUsd) ? usage.costUsd : 0,
      llmCalls: isNumber(usage.llmCalls) ? usage.llmCalls : 0,
    },
    costUsd: field('costUsd', isNumber, 0),
    lastMessage: field('lastMessage', isString, ''),
  };
  for (const [name, ok] of [['question', isString], ['pid', isNumber], ['scriptPath', isString], ['attempt', isNumber], ['slurmJobId', isString], ['slurmJobIds', isStringArray]] as const) {
    const v = optional(name, ok as (v: unknown) => v is unknown);
    if (v === undefined) delete (status as unknown as Json)[name];
  }
  if (problems.length) {
    const named = problems.map((p) => `${file}: ${p}`);
    // A run whose state cannot be trusted is not followed or continued as if it could be.
    if (!validState) status.lastMessage = `status.json: ${problems.join('; ')}`;
    return { status, problems: named };
  }
  return { status, problems };
}

/** spec.json, or an error naming the file and what to do: a run cannot be reopened without it. */
export function checkSpec(text: string, file: string): RunSpec {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not valid JSON: this run cannot be reopened. Start a new run (the scripts it wrote are kept in the workspace).`);
  }
  const missing = ['id', 'title', 'goal', 'created'].filter((k) => !isObject(value) || !isString(value[k]));
  // A fine-tune run is reopened from its request: the fields its script folder and recipe come from.
  if (isObject(value) && value.kind === 'fine-tune') {
    const request = value.request;
    missing.push(...['baseModel', 'dataset', 'method', 'adapter'].filter((k) => !isObject(request) || !isString(request[k])).map((k) => `request.${k}`));
  }
  if (!isObject(value) || missing.length) {
    const what = isObject(value) ? `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing or not text` : `it holds ${shown(value)}, not a run spec`;
    throw new Error(`${file}: ${what}; this run cannot be reopened. Start a new run (the scripts it wrote are kept in the workspace).`);
  }
  return value as RunSpec;
}

function checkMessage(m: unknown): string | undefined {
  if (!isObject(m)) return `message is ${shown(m)}, not a chat message`;
  if (!isString(m.role) || !ROLES.has(m.role)) return `message role is ${shown(m.role)}`;
  if (!isString(m.content)) return `message content is ${shown(m.content)}, not text`;
  if (m.role === 'tool' && !(isString(m.toolCallId) && isString(m.name))) return 'tool message without toolCallId or name';
  if (m.role === 'assistant' && m.toolCalls !== undefined) {
    const calls = m.toolCalls;
    if (!Array.isArray(calls) || !calls.every((c) => isObject(c) && isString(c.id) && isString(c.name) && isString(c.arguments))) return 'assistant toolCalls are not a list of {id, name, arguments}';
  }
  return undefined;
}

/** Why a transcript entry cannot be used, or undefined when its kind's fields are there. Unknown kinds pass (newer versions add some). */
export function entryProblem(e: Json): string | undefined {
  const need = (ok: boolean, what: string) => (ok ? undefined : what);
  switch (e.kind) {
    case 'message':
      return checkMessage(e.message);
    case 'compaction':
      if (!Array.isArray(e.messages)) return 'compaction without a messages list';
      return e.messages.map(checkMessage).find(Boolean) ?? need(isString(e.summary), 'compaction summary is not text');
    case 'tool_call':
      return need(isString(e.callId) && isString(e.name), 'tool_call without callId or name');
    case 'tool_result':
      return need(isString(e.callId) && isString(e.name) && isBool(e.ok) && isString(e.output), 'tool_result without callId, name, ok or output');
    case 'usage': {
      const u = e.usage;
      const sound = isObject(u) && ['inputTokens', 'outputTokens', 'cachedInputTokens', 'cacheWriteTokens'].every((k) => isNumber(u[k]));
      return need(sound && isNumber(e.costUsd) && isBool(e.step), 'usage without its token counts, costUsd or step');
    }
    case 'plan':
      return need(Array.isArray(e.items) && e.items.every((i) => isObject(i) && isString(i.text) && isString(i.status)), 'plan items are not a list of {text, status}');
    case 'state':
      return need(isString(e.state) && RUN_STATES.has(e.state as RunState), `state is ${shown(e.state)}`);
    case 'limits': {
      const l = e.limits;
      return need(isObject(l) && isNumber(l.maxSteps) && isNumber(l.maxTokens) && isNumber(l.maxCostUsd), 'limits without maxSteps, maxTokens and maxCostUsd numbers');
    }
    case 'process':
      return need(isString(e.callId) && isString(e.dir) && isString(e.processId) && isString(e.name) && isStringArray(e.argv) && isNumber(e.attempt) && isNumber(e.startedAt), 'process entry without callId, dir, processId, name, argv, attempt or startedAt');
    case 'queued':
      return need(isNumber(e.id) && isString(e.text), 'queued entry without id or text');
    case 'dequeued':
      return need(isNumber(e.id), 'dequeued entry without id');
    case 'guard':
      return need((e.level === 'warn' || e.level === 'stop') && isString(e.reason), 'guard entry without level or reason');
    case 'note':
      return need(isString(e.text), 'note without text');
    default:
      return undefined;
  }
}

/** The entry, typed, when entryProblem found nothing wrong. */
export function asEntry(e: Json): TranscriptEntry {
  return e as unknown as TranscriptEntry;
}

/**
 * launch.json (how a fine-tune run starts each attempt: local or Slurm, its argv), or an error
 * naming the file: guessing a default would start the next attempt on another target or GPU count.
 */
export function checkLaunchPlan(text: string, file: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  const sound =
    isObject(value) &&
    (value.target === 'local' || value.target === 'slurm') &&
    isNumber(value.gpus) &&
    isStringArray(value.argv) &&
    ['configFile', 'sbatchPath', 'outputPattern', 'timeLimit'].every((k) => value[k] === undefined || isString(value[k]));
  if (!sound || !isObject(value)) throw new Error(`${file} is not a launch plan ({target, gpus, argv, …}): this run cannot be picked up again. Its training, if it still runs, goes on; start the fine-tune again to train anew.`);
  return value;
}
