/**
 * Rebuild the panel's event log of a run from its folder
 * (`.ml-intern/runs/<id>/`: status.json, transcript.jsonl, metrics.jsonl)
 * after a window reload, best-effort: a missing file is skipped, a corrupt
 * line is skipped, unknown entries are ignored.
 *
 * Uses only the FileStore port (workspace-confined), no vscode.
 */
import type { AgentEvent, MetricPoint, PlanItem, RunState, UsageTotals } from '../../core/events';
import type { FileStore } from '../../core/ports';
import type { RunSummary } from '../../core/protocol';
import { thinPoints } from '../../core/runs/thinPoints';
import { goalOf } from '../../core/agent/briefingText';
import type { SmokeReport } from '../../core/recipes/smokeReport';
import { SMOKE_MEASURED } from '../../core/session/smokeRun';
import { EVAL_FINISHED, parseComparison } from '../../core/session/artifactPlan';
import { latestSamples } from '../../core/logs/grpoSamples';
import { SAMPLES_FILE } from '../../core/recipes/templates/grpoSamples';

export const RUNS_DIR = '.ml-intern/runs';
const RUN_ID = /^[A-Za-z0-9._-]+$/;
const STATES = new Set<RunState>(['starting', 'running', 'succeeded', 'failed', 'stopped', 'waiting', 'budget', 'lost']);
const TERMINAL = new Set<RunState>(['succeeded', 'failed', 'stopped', 'budget', 'lost']);
/** Tool output shown in a replayed card (the full text stays in the run folder). */
const SUMMARY_MAX = 600;
/** Metrics points per replayed event. */
const METRICS_CHUNK = 500;

export function isRunId(id: string): boolean {
  return RUN_ID.test(id) && !id.startsWith('.') && id.length <= 200;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

async function readJson(files: FileStore, path: string): Promise<unknown> {
  try {
    const text = await files.readIfExists(path);
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function readLines(files: FileStore, path: string): Promise<unknown[]> {
  let text: string | undefined;
  try {
    text = await files.readIfExists(path);
  } catch {
    return [];
  }
  if (!text) return [];
  const out: unknown[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // A half-written last line (the run was killed mid-write) or a corrupt one: skip it.
    }
  }
  return out;
}

/** The runs in the workspace, newest first; unreadable ones are listed as 'unknown'. */
export async function listRuns(files: FileStore, limit = 200): Promise<RunSummary[]> {
  let entries: string[];
  try {
    if (!(await files.exists(RUNS_DIR))) return [];
    entries = await files.list(RUNS_DIR, { limit: 10_000 });
  } catch {
    return [];
  }
  const out: Array<RunSummary & { created: string }> = [];
  for (const e of entries) {
    const id = e.replace(/\/$/, '').split('/').pop() ?? '';
    if (!isRunId(id)) continue;
    const status = obj(await readJson(files, `${RUNS_DIR}/${id}/status.json`));
    if (!status && !e.endsWith('/')) continue; // a stray file, not a run folder
    const state = str(status?.state) as RunState | undefined;
    const updated = Date.parse(str(status?.updated) ?? '');
    out.push({
      runId: id,
      title: str(status?.title) || id,
      state: state && STATES.has(state) ? state : 'unknown',
      updatedAt: Number.isFinite(updated) ? updated : undefined,
      created: str(status?.created) ?? '',
    });
  }
  out.sort((a, b) => b.created.localeCompare(a.created) || b.runId.localeCompare(a.runId));
  return out.slice(0, limit).map(({ created: _c, ...r }) => r);
}

/** The events that show this run in the panel, or undefined when the folder does not exist. */
export async function replayRun(files: FileStore, runId: string): Promise<AgentEvent[] | undefined> {
  if (!isRunId(runId)) return undefined;
  const folder = `${RUNS_DIR}/${runId}`;
  try {
    if (!(await files.exists(folder))) return undefined;
  } catch {
    return undefined;
  }
  const status = obj(await readJson(files, `${folder}/status.json`));
  const spec = obj(await readJson(files, `${folder}/spec.json`));
  const title = str(status?.title) || str(spec?.title) || runId;
  const events: AgentEvent[] = [{ type: 'run_started', runId, title, folder }];
  const transcript = await readLines(files, `${folder}/transcript.jsonl`);
  events.push(...transcriptEvents(runId, transcript));
  await putBackSmokeCard(files, folder, runId, events);
  await putBackEvalCard(files, folder, runId, events, obj(spec?.request));
  const metrics = metricsEvents(runId, await readLines(files, `${folder}/metrics.jsonl`), 'training', attemptExitCodes(transcript), num(status?.attempt));
  events.push(...metrics);
  // GRPO: the newest sampled completions, as the live run last showed them (its samples.jsonl).
  const samples = latestSamples(((await files.readIfExists(`${folder}/${SAMPLES_FILE}`).catch(() => undefined)) ?? '').split('\n'));
  if (samples) events.push({ type: 'grpo_samples', runId, processId: 'training', step: samples.step, samples: samples.samples });
  const state = str(status?.state) as RunState | undefined;
  if (metrics.some((e) => e.type === 'process_started' && e.processId === 'training') && state && TERMINAL.has(state)) {
    // The replayed training card is over when the run is.
    events.push({ type: 'process_exited', runId, processId: 'training', code: state === 'succeeded' ? 0 : state === 'stopped' ? 130 : 1 });
  }
  const last = [...events].reverse().find((e) => e.type === 'run_state');
  if (state && STATES.has(state) && (!last || last.type !== 'run_state' || last.state !== state)) {
    // status.json is the latest word (a run killed with the window may say 'running' while nothing runs: the host decides).
    events.push({ type: 'run_state', runId, state, message: str(status?.question) });
  }
  const model = str(status?.model);
  if (state === 'succeeded' && model && model.length <= 1000) events.push({ type: 'model_ready', runId, folder: model });
  return events;
}

/** A smoke.json the panel's card can show: the measurement it always has (the file may be old, cut or edited). */
function smokeReportOf(v: unknown): SmokeReport | undefined {
  const r = obj(v);
  const m = obj(r?.measurement);
  if (!r || !m || num(r.steps) === undefined || num(m.steps) === undefined || num(m.stepSeconds) === undefined) return undefined;
  if (!Array.isArray(m.losses) || !Array.isArray(r.warnings) || !r.warnings.every((w) => typeof w === 'string')) return undefined;
  const fitted = r.fitted === undefined ? {} : obj(r.fitted);
  if (!fitted || (r.fitted !== undefined && (!obj(fitted.changes) || !Array.isArray(fitted.notes)))) return undefined;
  return r as unknown as SmokeReport;
}

/** The smoke card after a reload: right after the chat line that announced it, from smoke.json. */
async function putBackSmokeCard(files: FileStore, folder: string, runId: string, events: AgentEvent[]): Promise<void> {
  const at = events.findIndex((e) => e.type === 'assistant_message' && e.text.startsWith(SMOKE_MEASURED));
  if (at < 0) return;
  const report = smokeReportOf(await readJson(files, `${folder}/smoke.json`));
  if (report) events.splice(at + 1, 0, { type: 'smoke_result', runId, report });
}

/**
 * The evaluation's table card after a reload: before the message that ends the evaluation, from
 * results/comparison.json in the run folder (the message itself does not repeat the rows). Runs
 * from before had the table in the message: they keep it and get no card.
 */
async function putBackEvalCard(files: FileStore, folder: string, runId: string, events: AgentEvent[], request: Record<string, unknown> | undefined): Promise<void> {
  const at = events.findIndex((e) => e.type === 'assistant_message' && e.text.startsWith(EVAL_FINISHED));
  if (at < 0 || (events[at] as { text: string }).text.includes('| task |')) return;
  const text = await files.readIfExists(`${folder}/results/comparison.json`).catch(() => undefined);
  if (text === undefined) return;
  let rows;
  try {
    rows = parseComparison(text);
  } catch {
    return;
  }
  // The evaluated folder, still in the workspace, keeps the card's Try it.
  const model = request?.kind === 'eval' ? str(request.model) : '';
  const tryable = model && (await files.exists(model).catch(() => false)) ? { model } : {};
  if (rows.length) events.splice(at, 0, { type: 'eval_results', runId, rows, ...tryable });
}

/** transcript.jsonl entries → panel events. */
export function transcriptEvents(runId: string, lines: unknown[]): AgentEvent[] {
  const events: AgentEvent[] = [];
  const totals: UsageTotals = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, costUsd: 0, llmCalls: 0 };
  let steps = 0;
  let limits: { maxSteps: number; maxTokens: number; maxCostUsd: number } | undefined;
  let sawUsage = false;
  let changeSeq = 0;
  let dequeuedNext = false;
  for (const raw of lines) {
    const e = obj(raw);
    if (!e) continue;
    switch (e.kind) {
      case 'message': {
        const m = obj(e.message);
        const content = str(m?.content);
        if (!m || content === undefined) break;
        // A queued message was shown when it was sent (below); its delivery to the model is not shown again.
        if (m.role === 'user' && dequeuedNext) dequeuedNext = false;
        // The first one carries the environment briefing the model was given: the user sees what they typed.
        else if (m.role === 'user') events.push({ type: 'user_message', runId, text: events.some((x) => x.type === 'user_message') ? content : goalOf(content) });
        else if (m.role === 'assistant' && content.trim()) events.push({ type: 'assistant_message', runId, text: content });
        break;
      }
      case 'queued': {
        const text = str(e.text);
        if (text !== undefined) events.push({ type: 'user_message', runId, text });
        break;
      }
      case 'dequeued':
        dequeuedNext = true;
        break;
      case 'tool_call': {
        const callId = str(e.callId);
        const name = str(e.name);
        if (callId && name) events.push({ type: 'tool_call', runId, callId, name, args: e.args });
        break;
      }
      case 'tool_result': {
        const callId = str(e.callId);
        const name = str(e.name);
        if (!callId || !name) break;
        const output = str(e.output) ?? '';
        events.push({ type: 'tool_result', runId, callId, name, ok: e.ok !== false, summary: output.length > SUMMARY_MAX ? `${output.slice(0, SUMMARY_MAX)}…` : output, data: e.data });
        break;
      }
      case 'decision': {
        if (e.subject !== 'change') break;
        const path = str(e.path) ?? '';
        const decision = e.decision === 'accepted' ? 'accepted' : e.decision === 'rejected' ? 'rejected' : undefined;
        if (!decision) break;
        // The transcript records decisions, not proposals: show them as decided change cards.
        const changeId = `replayed-${++changeSeq}`;
        const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
        events.push({ type: 'change_proposed', runId, changeId, path, description: str(e.description) ?? '', origin: str(e.origin) ?? '', added: count(e.added), removed: count(e.removed) });
        const w = obj(e.written);
        const written = w ? { added: count(w.added), removed: count(w.removed) } : undefined;
        events.push({ type: 'change_decided', runId, changeId, path, decision, auto: e.auto === true, reason: str(e.reason), ...(written ? { written } : {}) });
        break;
      }
      case 'usage': {
        const u = obj(e.usage);
        if (!u) break;
        sawUsage = true;
        if (e.step) steps++;
        totals.inputTokens += (num(u.inputTokens) ?? 0) + (num(u.cacheWriteTokens) ?? 0);
        totals.outputTokens += num(u.outputTokens) ?? 0;
        totals.cachedInputTokens += num(u.cachedInputTokens) ?? 0;
        totals.costUsd += num(e.costUsd) ?? 0;
        totals.llmCalls++;
        break;
      }
      case 'limits': {
        const l = obj(e.limits);
        if (l) limits = { maxSteps: num(l.maxSteps) ?? 0, maxTokens: num(l.maxTokens) ?? 0, maxCostUsd: num(l.maxCostUsd) ?? 0 };
        break;
      }
      case 'plan':
        if (Array.isArray(e.items)) {
          const items: PlanItem[] = [];
          for (const it of e.items) {
            const o = obj(it);
            const text = str(o?.text);
            const st = o?.status;
            if (text !== undefined && (st === 'pending' || st === 'in_progress' || st === 'done' || st === 'skipped')) items.push({ text, status: st });
          }
          events.push({ type: 'plan', runId, items });
        }
        break;
      case 'state': {
        const state = str(e.state) as RunState | undefined;
        if (state && STATES.has(state)) events.push({ type: 'run_state', runId, state, message: str(e.message) ?? str(e.question) });
        if (state === 'waiting' && str(e.question)) events.push({ type: 'ask_user', runId, question: str(e.question) as string });
        break;
      }
      case 'note':
        if (str(e.text)) events.push({ type: 'notice', runId, level: 'info', message: str(e.text) as string });
        break;
      case 'guard':
        if (str(e.reason)) events.push({ type: 'notice', runId, level: e.level === 'stop' ? 'error' : 'warning', message: str(e.reason) as string });
        break;
      case 'compaction':
        events.push({ type: 'notice', runId, level: 'info', message: 'The conversation was summarised to fit the context window.' });
        break;
      default:
        break;
    }
  }
  if (sawUsage) {
    events.push({
      type: 'usage',
      runId,
      totals,
      budget: { steps, maxSteps: limits?.maxSteps ?? 0, tokens: totals.inputTokens + totals.outputTokens, maxTokens: limits?.maxTokens ?? 0, costUsd: totals.costUsd, maxCostUsd: limits?.maxCostUsd ?? 0 },
    });
  }
  return events;
}

/** The exit code of each training attempt, from the session's notes ("attempt 2: exit code 137"). */
function attemptExitCodes(transcript: unknown[]): Map<number, number> {
  const codes = new Map<number, number>();
  for (const raw of transcript) {
    const o = obj(raw);
    if (o?.kind !== 'note') continue;
    const m = /^attempt (\d+): exit code (-?\d+)/.exec(str(o.text) ?? '');
    if (m) codes.set(Number(m[1]), Number(m[2]));
  }
  return codes;
}

/**
 * metrics.jsonl lines → metrics events: one replayed card per training attempt (lines from the
 * second attempt on say `"attempt": N`; a retry starts its steps again, so one chart would drop
 * them). The current attempt's card (status.json's `attempt`, else the last one with points) is
 * "training", the one a re-attached run keeps drawing on; the earlier ones are over.
 */
export function metricsEvents(
  runId: string,
  lines: unknown[],
  processId = 'training',
  exitCodes: ReadonlyMap<number, number> = new Map(),
  currentAttempt?: number,
): AgentEvent[] {
  const byAttempt = new Map<number, MetricPoint[]>();
  for (const raw of lines) {
    const o = obj(raw);
    const step = num(o?.step);
    if (!o || step === undefined) continue;
    const attempt = num(o.attempt) ?? 1;
    const p: MetricPoint = { step };
    for (const [k, v] of Object.entries(o)) {
      if (k === 'step' || k === 'kind' || k === 'attempt' || k === '__proto__') continue;
      const n = num(v);
      if (n !== undefined) p[k] = n;
    }
    let points = byAttempt.get(attempt);
    if (!points) byAttempt.set(attempt, (points = []));
    points.push(p);
  }
  const attempts = [...byAttempt.keys()].sort((a, b) => a - b);
  const current = currentAttempt ?? attempts[attempts.length - 1];
  const events: AgentEvent[] = [];
  attempts.forEach((attempt) => {
    const last = attempt === current;
    const id = last ? processId : `attempt-${attempt}`;
    const name = attempts.length === 1 && last ? 'Training (replayed from metrics.jsonl)' : `Training, attempt ${attempt} (replayed from metrics.jsonl)`;
    events.push({ type: 'process_started', runId, processId: id, name, argv: [] });
    const points = thinPoints(byAttempt.get(attempt)!);
    for (let k = 0; k < points.length; k += METRICS_CHUNK) events.push({ type: 'metrics', runId, processId: id, points: points.slice(k, k + METRICS_CHUNK) });
    // An earlier attempt ended (the transcript noted its exit code); the last one ends with the run.
    if (!last) events.push({ type: 'process_exited', runId, processId: id, code: exitCodes.get(attempt) ?? 1 });
  });
  return events;
}
