/**
 * Training runs detached from the extension host: they survive a window
 * reload, a crashed extension host or a dropped SSH link. Everything needed to
 * find a run again is in its folder:
 *
 *   <runDir>/logs/train.log      stdout+stderr, as written (tqdm \r kept)
 *   <runDir>/logs/pid            the run's pid (= its process group: own session)
 *   <runDir>/logs/launcher.json  launcher and run pids with start-time tokens
 *   <runDir>/logs/exit_code      written when the run ends ("137\nSIGKILL\n")
 *
 * `startDetached` starts one; `attachDetached(runDir)` finds it again from the
 * folder alone. A run whose launcher was killed before writing exit_code is
 * reported lost, never with a made-up code.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ProcessExit } from '../ports';
import { Follower, FollowerSet, followFile, FollowOptions } from './fileFollower';
import { LAUNCHER_MARK, LAUNCHER_PY } from './launcherScript';
import { DEFAULT_STOP, killGroup, raceTimeout, runEnv, StopOptions } from './processBase';
import { cmdline, pidAlive, sameProcess } from './procInfo';
import { redactor } from '../util/redact';

export interface DetachedSpec {
  argv: string[];
  cwd: string;
  env?: Record<string, string>;
  /** The run folder (absolute); logs go to <runDir>/logs/. */
  runDir: string;
  name: string;
  /** Interpreter for the launcher (default python3). */
  python?: string;
  /**
   * Values the launcher hides from train.log (besides the key shapes it always hides); default:
   * every secret registered with the process-wide redactor. Sent on its stdin, never in the env.
   */
  secrets?: string[];
}

export interface DetachedOptions {
  stop?: Partial<StopOptions>;
  /** How often the log and the exit are polled (default 250 ms). */
  pollMs?: number;
  /** How long to wait for the launcher to report the pid (default 20 s). */
  startTimeoutMs?: number;
  /**
   * The folder of the run's records (train.log, pid, launcher.json, exit_code), when not
   * <runDir>/logs: the agent's commands keep one such folder each inside their run's logs/.
   */
  records?: string;
}

/** How a detached run ended; `lost` when its launcher died before it could record the exit. */
export interface DetachedExit extends ProcessExit {
  lost?: string;
}

export interface DetachedRun {
  readonly detached: true;
  readonly pid: number;
  readonly name: string;
  readonly runDir: string;
  readonly logFile: string;
  /** Follow the log (tail -f); returns the function that stops following. */
  follow(onData: (chunk: string) => void, options?: Pick<FollowOptions, 'from'>): () => void;
  /**
   * The same with the bytes as read, undecoded (each Buffer is only valid during the call):
   * for LogPipeline.pushBytes. Optional, so other DetachedRun views need not offer it.
   */
  followBytes?(onData: (chunk: Buffer) => void, options?: Pick<FollowOptions, 'from'>): () => void;
  /** Resolves when the run ends (code -1 with `lost` when its end could not be recorded). */
  readonly exit: Promise<DetachedExit>;
  /** SIGINT, then SIGTERM, then SIGKILL to the run's process group, with a note in the log at each step. */
  stop(reason?: string): Promise<DetachedExit>;
  /** SIGINT to the group (Ctrl+C in its terminal). */
  interrupt(): void;
  /** Stop watching (timers, followers). The run goes on. */
  dispose(): void;
}

export type AttachResult = DetachedRun | { ended: DetachedExit } | { lost: string };

interface LauncherInfo {
  launcherPid: number;
  launcherToken: string;
  pid: number;
  pidToken: string;
  argv: string[];
  name?: string;
}

export function logsDir(runDir: string): string {
  return path.join(runDir, 'logs');
}

function recordsDir(runDir: string, options: DetachedOptions): string {
  return options.records ?? logsDir(runDir);
}

function readExitCode(logs: string): DetachedExit | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(logs, 'exit_code'), 'utf8');
  } catch {
    return undefined;
  }
  const [code, signal] = text.split('\n').map((s) => s.trim());
  const n = Number(code);
  if (code === '' || Number.isNaN(n)) return undefined;
  return signal ? { code: n, signal } : { code: n };
}

/** The command the records' launcher started (launcher.json), whether it still runs or not. */
export function recordedArgv(runDir: string, options: DetachedOptions = {}): string[] | undefined {
  return readInfo(recordsDir(runDir, options))?.argv;
}

function readInfo(logs: string): LauncherInfo | undefined {
  try {
    return JSON.parse(readFileSync(path.join(logs, 'launcher.json'), 'utf8')) as LauncherInfo;
  } catch {
    return undefined;
  }
}

function launcherAlive(info: LauncherInfo): boolean {
  if (!sameProcess(info.launcherPid, info.launcherToken)) return false;
  const cl = cmdline(info.launcherPid);
  return cl === undefined || cl.includes(LAUNCHER_MARK);
}

class Detached implements DetachedRun {
  readonly detached = true as const;
  readonly pid: number;
  readonly name: string;
  readonly logFile: string;
  readonly exit: Promise<DetachedExit>;
  private resolveExit!: (e: DetachedExit) => void;
  private ended: DetachedExit | undefined;
  private readonly followers = new FollowerSet();
  private readonly timer: NodeJS.Timeout;
  private readonly stopOptions: StopOptions;
  private stopping: Promise<DetachedExit> | undefined;
  private launcherGoneSince: number | undefined;
  private readonly logs: string;

  constructor(
    readonly runDir: string,
    private readonly info: LauncherInfo,
    private readonly options: DetachedOptions,
  ) {
    this.pid = info.pid;
    this.name = info.name || path.basename(runDir);
    this.logs = recordsDir(runDir, options);
    this.logFile = path.join(this.logs, 'train.log');
    this.stopOptions = { ...DEFAULT_STOP, ...options.stop };
    this.exit = new Promise((r) => (this.resolveExit = r));
    this.timer = setInterval(() => this.check(), options.pollMs ?? 250);
    this.check();
  }

  private check(): void {
    if (this.ended) return;
    const logs = this.logs;
    const recorded = readExitCode(logs);
    if (recorded) return this.end(recorded);
    if (launcherAlive(this.info)) return;
    // The launcher is gone: it may have just written exit_code.
    const late = readExitCode(logs);
    if (late) return this.end(late);
    if (sameProcess(this.info.pid, this.info.pidToken)) {
      // Orphaned run: still going, but nobody can record how it ends.
      this.launcherGoneSince ??= Date.now();
      return;
    }
    this.end({ code: -1, lost: 'the launcher was killed before it could record the exit code; the run is no longer running' });
  }

  private end(exit: DetachedExit): void {
    if (this.ended) return;
    this.ended = exit;
    clearInterval(this.timer);
    // Followers read the last bytes before anyone hears of the end.
    this.followers.drainAndClose();
    this.resolveExit(exit);
  }

  follow(onData: (chunk: string) => void, options: Pick<FollowOptions, 'from'> = {}): () => void {
    return this.addFollower(followFile(this.logFile, onData, { from: options.from ?? 'start', pollMs: this.options.pollMs ?? 250 }));
  }

  followBytes(onData: (chunk: Buffer) => void, options: Pick<FollowOptions, 'from'> = {}): () => void {
    return this.addFollower(followFile(this.logFile, onData, { from: options.from ?? 'start', pollMs: this.options.pollMs ?? 250, raw: true }));
  }

  private addFollower(f: Follower): () => void {
    return this.followers.add(f);
  }


  private note(text: string): void {
    try {
      appendFileSync(this.logFile, `\nML Intern: ${text}\n`);
    } catch {
      // The log folder may be gone; the signal still goes out.
    }
  }

  interrupt(): void {
    if (this.ended) return;
    this.note(`sent SIGINT to process group ${this.pid} (Ctrl+C).`);
    killGroup(this.pid, 'SIGINT');
  }

  stop(reason?: string): Promise<DetachedExit> {
    if (this.ended) return this.exit;
    this.stopping ??= this.stopSequence(reason);
    return this.stopping;
  }

  private async stopSequence(reason?: string): Promise<DetachedExit> {
    const why = reason ? ` (${reason})` : '';
    const { interruptGraceMs: a, terminateGraceMs: b } = this.stopOptions;
    const steps: Array<[NodeJS.Signals, number, string]> = [
      ['SIGINT', a, `sent SIGINT to process group ${this.pid}${why}; waiting ${a / 1000} s before SIGTERM.`],
      ['SIGTERM', b, `still running: sent SIGTERM to process group ${this.pid}; waiting ${b / 1000} s before SIGKILL.`],
      ['SIGKILL', 0, `still running: sent SIGKILL to process group ${this.pid}.`],
    ];
    for (const [signal, grace, message] of steps) {
      if (this.ended || !sameProcess(this.info.pid, this.info.pidToken)) break;
      this.note(message);
      killGroup(this.pid, signal);
      if (signal === 'SIGKILL') break;
      if (await raceTimeout(this.exit, grace)) break;
    }
    // Wait for the launcher to record the end (or for the run to be found lost).
    return this.exit;
  }

  dispose(): void {
    clearInterval(this.timer);
    this.followers.stopAll();
  }
}

/** Start `spec.argv` detached; resolves once the launcher reported the run's pid. */
export async function startDetached(spec: DetachedSpec, options: DetachedOptions = {}): Promise<DetachedRun> {
  if (spec.argv.length === 0) throw new Error('Nothing to run: the command is empty.');
  const logs = recordsDir(spec.runDir, options);
  mkdirSync(logs, { recursive: true });
  const previous = await attachDetached(spec.runDir, options);
  if (previous && 'pid' in previous) {
    previous.dispose();
    throw new Error(`A run is still going in ${spec.runDir} (pid ${previous.pid}). Stop it first (ML Intern: Stop Run).`);
  }
  for (const f of ['exit_code', 'pid', 'launcher.json', 'launcher_error.txt']) rmSync(path.join(logs, f), { force: true });
  const launcher = path.join(logs, 'launch_detached.py');
  writeFileSync(launcher, LAUNCHER_PY);
  const env = runEnv(spec.env);
  env.ML_INTERN_RUN_NAME = spec.name;
  const python = spec.python ?? 'python3';
  const child = spawn(python, [launcher, LAUNCHER_MARK, logs, '--', ...spec.argv], { cwd: spec.cwd, env, detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  let spawnError: Error | undefined;
  child.on('error', (err) => (spawnError = err));
  // One line, then EOF: the launcher reads it before it starts the run.
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(`${JSON.stringify(spec.secrets ?? redactor.knownSecrets())}\n`);
  child.unref();

  const deadline = Date.now() + (options.startTimeoutMs ?? 20000);
  for (;;) {
    if (spawnError) throw new Error(`Cannot start the launcher with '${python}': ${spawnError.message}. Set mlIntern.pythonPath to a Python 3 interpreter.`);
    const info = existsSync(path.join(logs, 'pid')) ? readInfo(logs) : undefined;
    if (info) return new Detached(spec.runDir, info, options);
    const failed = readExitCode(logs);
    if (failed) {
      let detail = '';
      try {
        detail = readFileSync(path.join(logs, 'train.log'), 'utf8').trim().split('\n').pop() ?? '';
      } catch {
        // no log
      }
      throw new Error(detail || `The run could not start (exit code ${failed.code}).`);
    }
    if (existsSync(path.join(logs, 'launcher_error.txt'))) {
      const tb = readFileSync(path.join(logs, 'launcher_error.txt'), 'utf8').trim().split('\n').pop();
      throw new Error(`The launcher failed: ${tb}`);
    }
    if (Date.now() > deadline) {
      // Given up on: stop the launcher, and the run if it started meanwhile, so nothing goes on unseen.
      if (child.pid) killGroup(child.pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 100));
      const late = existsSync(path.join(logs, 'pid')) ? readInfo(logs) : undefined;
      if (late) killGroup(late.pid, 'SIGKILL');
      throw new Error(`The launcher did not report the run's pid within ${(options.startTimeoutMs ?? 20000) / 1000} s, so ML Intern stopped it${late ? ` and the run it had just started (pid ${late.pid})` : ''}: nothing runs unseen (see ${logs}).`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Find a run from its folder alone: a DetachedRun to follow when it is still
 * going, `{ended}` when it ended (also while nobody watched), `{lost}` when its
 * launcher died without recording the end, undefined when the folder holds no
 * detached run.
 */
export async function attachDetached(runDir: string, options: DetachedOptions = {}): Promise<AttachResult | undefined> {
  const logs = recordsDir(runDir, options);
  const recorded = readExitCode(logs);
  if (recorded) return { ended: recorded };
  const info = readInfo(logs);
  if (!info) return undefined;
  if (launcherAlive(info) || sameProcess(info.pid, info.pidToken)) return new Detached(runDir, info, options);
  const late = readExitCode(logs);
  if (late) return { ended: late };
  const recycled = pidAlive(info.pid) ? ` (pid ${info.pid} now belongs to another process)` : '';
  return { lost: `The run in ${runDir} is no longer running and its exit code was never recorded${recycled}: its launcher was killed.` };
}
