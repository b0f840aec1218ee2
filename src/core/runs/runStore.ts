/**
 * The run folders: `.ml-intern/runs/<YYYYMMDD-HHMMSS>-<slug>/` holding
 * spec.json, status.json, transcript.jsonl, scripts/, logs/, observations/,
 * metrics.jsonl. Everything is written through the (workspace-confined)
 * FileStore and redacted before it is written.
 */
import { RunState } from '../events';
import { Clock, FileStore, Logger } from '../ports';
import { isDiskFull, isNotWritable, namingDiskFull, NotWritableError, overwriteInPlace } from '../util/diskErrors';
import { Redactor, redactor as defaultRedactor } from '../util/redact';
import { runId } from './ids';
import { ParsedTranscript, parseTranscript, serializeEntry } from './transcript';
import { RunSpec, RunStatus, RunSummary, TranscriptEntry, ZERO_TOTALS } from './types';
import { CheckedStatus, checkSpec, checkStatus, lostStatus } from './records';

export const RUNS_DIR = '.ml-intern/runs';

/** States a run ends (or pauses) in: the last thing its status.json must say. */
const ENDED = new Set<RunState>(['succeeded', 'failed', 'stopped', 'waiting', 'budget', 'lost']);

export interface RunStoreOptions {
  clock?: Pick<Clock, 'now'>;
  logger?: Logger;
  redactor?: Redactor;
}

export class RunStore {
  /** The store given, with a full disk reported as a DiskFullError naming the run file. */
  readonly files: FileStore;
  private readonly clock: Pick<Clock, 'now'>;
  private readonly redactor: Redactor;

  constructor(
    files: FileStore,
    private readonly options: RunStoreOptions = {},
  ) {
    this.files = namingDiskFull(files);
    this.clock = options.clock ?? { now: () => Date.now() };
    this.redactor = options.redactor ?? defaultRedactor;
  }

  /** Create a run folder with its spec and a 'starting' status. */
  async create(input: { goal: string; title?: string } & Partial<Omit<RunSpec, 'id' | 'created' | 'goal' | 'title'>>): Promise<RunHandle> {
    const now = this.clock.now();
    const title = (input.title ?? input.goal).split('\n')[0].slice(0, 80).trim() || 'run';
    const base = runId(now, title);
    // The folder is the reservation: creating it is atomic across processes (the
    // extension and the CLI may start a run with the same title in the same second),
    // so whoever finds it taken moves on to the next suffix.
    let id = base;
    try {
      for (let i = 2; !(await this.files.createDir(`${RUNS_DIR}/${id}`)); i++) id = `${base}-${i}`;
    } catch (err) {
      // The first write of a run: a read-only workspace is said as such, naming it, not as "EACCES … mkdir".
      throw isNotWritable(err) ? new NotWritableError(this.files.root, err as NodeJS.ErrnoException) : err;
    }
    const created = new Date(now).toISOString();
    const spec: RunSpec = { ...input, id, title, goal: input.goal, created };
    const handle = new RunHandle(this.files, id, this.clock, this.redactor, this.options.logger);
    await handle.writeJson('spec.json', spec);
    await this.files.write(`${handle.folder}/transcript.jsonl`, '');
    await this.files.write(`${handle.folder}/metrics.jsonl`, '');
    await handle.writeStatus({
      state: 'starting',
      title,
      created,
      updated: created,
      steps: 0,
      usage: { ...ZERO_TOTALS },
      costUsd: 0,
      lastMessage: '',
    });
    return handle;
  }

  /**
   * Every run with its status, newest first. A run whose status.json is unreadable or not a status
   * is listed as 'lost' saying why; wrong fields are defaulted and named in the summary's problems.
   */
  async list(): Promise<RunSummary[]> {
    if (!(await this.files.exists(RUNS_DIR))) return [];
    const entries = await this.files.list(RUNS_DIR, { limit: 10_000 });
    const out: RunSummary[] = [];
    for (const e of entries) {
      if (!e.endsWith('/')) continue;
      const id = e.slice(0, -1).split('/').pop() as string;
      const folder = `${RUNS_DIR}/${id}`;
      const checked = await readCheckedStatus(this.files, folder, id);
      out.push({ id, folder, status: checked.status, ...(checked.problems.length ? { problems: checked.problems } : {}) });
    }
    return out.sort((a, b) => (b.status.created.localeCompare(a.status.created) || b.id.localeCompare(a.id)));
  }

  async open(id: string): Promise<RunHandle> {
    if (!/^[A-Za-z0-9._-]+$/.test(id) || id.startsWith('.')) throw new Error(`'${id}' is not a run id. List runs with 'ml-intern runs'.`);
    if (!(await this.files.exists(`${RUNS_DIR}/${id}/spec.json`))) throw new Error(`No run '${id}' in ${this.files.root}/${RUNS_DIR}. List runs with 'ml-intern runs'.`);
    return new RunHandle(this.files, id, this.clock, this.redactor, this.options.logger);
  }
}

async function readCheckedStatus(files: FileStore, folder: string, id: string): Promise<CheckedStatus> {
  const file = `${folder}/status.json`;
  let text: string | undefined;
  try {
    text = await files.readIfExists(file);
  } catch (err) {
    const why = `${file} cannot be read (${err instanceof Error ? err.message : String(err)})`;
    return { status: lostStatus(id, why), problems: [why] };
  }
  return checkStatus(text, id, file);
}

async function readStatusOrLost(files: FileStore, folder: string, id: string, logger?: Logger): Promise<RunStatus> {
  const checked = await readCheckedStatus(files, folder, id);
  for (const p of checked.problems) logger?.warn(`run ${id}: ${p}`);
  return checked.status;
}

/** One run folder. Writes are serialised so concurrent appends never interleave. */
export class RunHandle {
  readonly folder: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly files: FileStore,
    readonly id: string,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly redactor: Redactor,
    private readonly logger?: Logger,
  ) {
    this.folder = `${RUNS_DIR}/${id}`;
  }

  private serial<T>(job: () => Promise<T>): Promise<T> {
    const next = this.queue.then(job, job);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Workspace-relative path of a file in the run folder. */
  path(relative: string): string {
    return `${this.folder}/${relative}`;
  }

  async spec(): Promise<RunSpec> {
    return checkSpec(await this.files.read(this.path('spec.json')), this.path('spec.json'));
  }

  /** Append entries to transcript.jsonl, redacted, each stamped with the time. */
  appendTranscript(...entries: TranscriptEntry[]): Promise<void> {
    const ts = new Date(this.clock.now()).toISOString();
    const text = entries.map((e) => serializeEntry(this.redactor.redactDeep({ ...e, ts }))).join('');
    return this.serial(() => this.files.append(this.path('transcript.jsonl'), text));
  }

  async readTranscript(): Promise<ParsedTranscript> {
    await this.queue;
    const parsed = parseTranscript((await this.files.readIfExists(this.path('transcript.jsonl'))) ?? '', this.path('transcript.jsonl'));
    for (const w of parsed.warnings) this.logger?.warn(`run ${this.id}: ${w}`);
    return parsed;
  }

  async readStatus(): Promise<RunStatus> {
    await this.queue;
    return readStatusOrLost(this.files, this.folder, this.id, this.logger);
  }

  writeStatus(status: RunStatus): Promise<void> {
    return this.writeJson('status.json', status);
  }

  /** Merge a patch into status.json (stamping `updated`). */
  updateStatus(patch: Partial<RunStatus>): Promise<RunStatus> {
    return this.serial(async () => {
      const current = await readStatusOrLost(this.files, this.folder, this.id);
      const next: RunStatus = { ...current, ...patch, updated: new Date(this.clock.now()).toISOString() };
      for (const k of Object.keys(patch) as (keyof RunStatus)[]) if (patch[k] === undefined) delete next[k];
      const text = JSON.stringify(this.redactor.redactDeep(next), null, 2) + '\n';
      try {
        await this.files.write(this.path('status.json'), text);
      } catch (err) {
        // The run's end on a full disk: recorded over the old status's bytes, or `runs` and --attach
        // would still say "running" (and later blame a killed launcher) once there is room again.
        if (!(isDiskFull(err) && patch.state && ENDED.has(patch.state) && overwriteInPlace(this.files.resolve(this.path('status.json')), text))) throw err;
        this.logger?.warn(`run ${this.id}: the disk is full; status.json was rewritten in place to record '${patch.state}'`);
      }
      return next;
    });
  }

  writeJson(relative: string, value: unknown): Promise<void> {
    return this.serial(() => this.files.write(this.path(relative), JSON.stringify(this.redactor.redactDeep(value), null, 2) + '\n'));
  }

  /** Write a text file in the run folder (redacted). Returns its workspace-relative path. */
  async writeFile(relative: string, text: string): Promise<string> {
    const p = this.path(relative);
    await this.serial(() => this.files.write(p, this.redactor.redact(text)));
    return p;
  }

  /**
   * Append points to metrics.jsonl, one JSON line each. From a run's second training attempt on,
   * each line also says `"attempt": N` (a line without it is from the first): a retry starts its
   * steps again, and a re-attached run must know which of the lines are its own (see lastMetricStep).
   */
  appendMetrics(points: object[], attempt?: number): Promise<void> {
    return this.serial(() => this.files.append(this.path('metrics.jsonl'), metricsJsonl(points, attempt)));
  }

  /** Next number of a numbered series in a run subfolder (`scripts/003-…` → 4), stable across reloads. */
  async nextNumber(subfolder: string, pattern: RegExp): Promise<number> {
    const entries = (await this.files.exists(this.path(subfolder))) ? await this.files.list(this.path(subfolder), { limit: 100_000 }) : [];
    let max = 0;
    for (const e of entries) {
      // A folder is listed with a trailing slash (a detached command's logs/cmd-N/).
      const m = pattern.exec(e.replace(/\/+$/, '').split('/').pop() ?? '');
      if (m) max = Math.max(max, Number(m[1]));
    }
    return max + 1;
  }
}

/** metrics.jsonl lines for these points: from a second training attempt on, each says `"attempt": N`. */
export function metricsJsonl(points: object[], attempt?: number): string {
  const line = attempt !== undefined && attempt > 1 ? (p: object) => JSON.stringify({ ...p, attempt }) : (p: object) => JSON.stringify(p);
  return points.map((p) => line(p) + '\n').join('');
}
