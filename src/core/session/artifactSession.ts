/**
 * Evaluate / Merge / Push: the deterministic path for what comes after training,
 * with no LLM needed.
 *
 *   request → recipe (eval | merge | push) → reviewable diffs → approval of each
 *   command → the commands run detached, in order, watched by the log pipeline →
 *   the first failure stops with a diagnosis; an evaluation ends with the
 *   base-vs-trained table (results/comparison.json → an `eval_results` event).
 *
 * "Merge" from the command palette merges a LoRA adapter into its base model:
 * the recipe engine's merge method is mergekit (several full models), so that
 * request uses the eval recipe's merge_adapter.py (peft merge_and_unload) with
 * MERGED_DIR pointed at the chosen output. A mergekit merge is the 'merge' kind.
 *
 * Scripts go to a workspace folder and run from it; workspace paths in the request
 * are rewritten relative to that folder. Everything lands in the run folder:
 * spec, transcript of decisions, every script version, one log per command.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AgentEvent, RunState } from '../events';
import { ProposedChange } from '../ports';
import { ApprovalGate } from '../policy/approval';
import { gateFor } from './runGate';
import { RunHandle } from '../runs/runStore';
import { TranscriptEntry } from '../runs/types';
import { RecipeCommand, SpecError } from '../recipes';
import { diagnose } from '../recovery';
import { attachDetached, AttachResult, DetachedRun, recordedArgv } from '../exec/detached';
import { attachSlurmRun, endsWithoutRepair, isSlurmExit, readSlurmRecord, SlurmRun, submitSlurmJob } from '../exec/slurmRun';
import { endedRun } from '../run/reattach';
import { describeSlurm } from './launchPlan';
import { slurmSandboxClause } from './slurmSandboxNote';
import { defaultSlurmDeps } from '../run/slurmJobs';
import { watchRun } from '../run/watch';
import { RunResult } from '../recovery/repairLoop';
import { followAfterFailure } from '../run/followAfterFailure';
import { SessionOutcome } from './types';
import { diskFullMessage, namingDiskFull } from '../util/diskErrors';
import { stateText } from '../exec/slurm';
import { approvePlan } from './artifactApproval';
import { WorkFolderError, workFolderOf } from '../workFolder';
import { againHint } from './fineTuneParts';
import { isRun, JobScript, stepJob } from './artifactJobs';
import { claimRun } from '../runs/runLocks';
import { HeldLock } from '../runs/ownerLock';

// The plan of a request (and the texts of its results) lives in artifactPlan.ts; re-exported for this module's users.
import { ArtifactRequestError, artifactFolder, describeArtifact, notInstalled, planArtifact, resolveProgram, ArtifactDeps, ArtifactPlan, ArtifactRequest } from './artifactPlan';
import { finishedSummary } from './artifactFinish';
export { ArtifactRequestError, artifactFolder, comparisonCaveats, describeArtifact, parseComparison, planArtifact, resolveProgram } from './artifactPlan';
export type { ArtifactDeps, ArtifactPlan, ArtifactRequest, EvalRow, WorkspaceView } from './artifactPlan';

/** The recipe each kind of request renders. */
const RECIPE_OF: Record<ArtifactRequest['kind'], 'eval' | 'merge' | 'push' | 'try-it' | 'export'> = { eval: 'eval', 'merge-adapter': 'merge', merge: 'merge', push: 'push', 'try-it': 'try-it', export: 'export' };

/** A command's process the session follows, and which step of the plan it is. */
interface RunningStep {
  run: DetachedRun;
  step: number;
  plan: ArtifactPlan;
}

export class ArtifactSession {
  readonly abort = new AbortController();
  /** The command's process from its start until it is seen to end: Stop reaches it, and a failure keeps following it. */
  private current: RunningStep | undefined;
  /** The approved batch scripts of the node steps, by step index. */
  private readonly jobScripts = new Map<number, JobScript>();
  /** Where the scripts are (in mlIntern.workFolder; plan.json's folder for a reopened run); `scriptFolder` outside. */
  private folder: string | undefined;
  /** The run folder's owner lock while this process drives it: another window leaves the run to it. */
  private owner: HeldLock | undefined;

  private constructor(
    readonly handle: RunHandle,
    readonly request: ArtifactRequest,
    private readonly deps: ArtifactDeps,
    private readonly gate: ApprovalGate,
  ) {}

  get runId(): string {
    return this.handle.id;
  }

  get scriptFolder(): string | undefined {
    return this.folder;
  }

  /** Create the run folder; `execute()` then does the work. */
  static async create(request: ArtifactRequest, deps: ArtifactDeps): Promise<ArtifactSession> {
    const { title, goal } = describeArtifact(request);
    // Workspace writes (the accepted scripts) name their file on a full disk, as run-folder writes do.
    deps = { ...deps, files: namingDiskFull(deps.files) };
    const handle = await deps.runs.create({ goal, title, request, kind: RECIPE_OF[request.kind], autoApprove: deps.settings().autoApprove });
    return new ArtifactSession(handle, request, deps, gateFor(handle, deps)).claimed();
  }

  /** A run whose folder exists (window reload): `resume()` then goes on with it. LockBusyError while another process drives it. */
  static async reopen(handle: RunHandle, deps: ArtifactDeps): Promise<ArtifactSession> {
    const spec = await handle.spec();
    deps = { ...deps, files: namingDiskFull(deps.files) };
    return new ArtifactSession(handle, spec.request as ArtifactRequest, deps, gateFor(handle, deps)).claimed();
  }

  private claimed(): this {
    this.owner = claimRun(this.handle.files, this.handle.id);
    return this;
  }

  /** The lock goes with the session's end, whatever the end (a later window may then pick the run up). */
  private async owned<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } finally {
      this.owner?.release();
    }
  }

  /**
   * After a window reload: follow the step that was running — still going, or read to its end when
   * it ended meanwhile — then the steps after it (all approved before the first one started), and
   * end as execute() does. Undefined when the run folder holds no step to pick up.
   */
  resume(): Promise<SessionOutcome | undefined> {
    return this.owned(() => this.resumeSteps());
  }

  private async resumeSteps(): Promise<SessionOutcome | undefined> {
    let plan: ArtifactPlan;
    let i: number;
    let found: AttachResult | undefined;
    try {
      const saved = await this.deps.files.read(this.handle.path('plan.json'));
      plan = { files: [], ...(JSON.parse(saved) as Omit<ArtifactPlan, 'files'>) };
      this.folder = plan.folder;
      // (plan.json written before it named the table: the eval recipe's place for it.)
      if (this.request.kind === 'eval' && !plan.comparisonFile) plan.comparisonFile = `${plan.folder}/results/comparison.json`;
      const step = Number((await this.handle.readStatus() as { step?: unknown }).step);
      if (!Number.isInteger(step) || step < 1 || step > plan.commands.length) return undefined;
      i = step - 1;
      found = await this.findStep(step, this.argv(plan.commands[i]));
    } catch (err) {
      this.deps.logger?.warn(`Run ${this.runId}: cannot pick it up again: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
    // The window went away before the step started (its approval was given): start it now.
    if (!found) return this.runFrom(plan, i);
    // (A live run first: the Detached class has a private `ended` field too.)
    const live = isRun(found) ? found : undefined;
    if (!live && 'lost' in found) {
      await this.setState('lost', found.lost);
      return { kind: 'failed', summary: found.lost };
    }
    try {
      this.emit({ type: 'run_started', runId: this.runId, title: (await this.handle.readStatus()).title, folder: this.handle.folder });
      const runDirAbs = this.deps.files.resolve(this.handle.folder);
      const run = live ?? endedRun(runDirAbs, (found as { ended: { code: number } }).ended.code);
      const name = `${plan.commands[i].argv.slice(0, 2).join(' ')} (re-attached)`;
      if (live) this.deps.showRun?.(live, name);
      this.emit({ type: 'process_started', runId: this.runId, processId: `step-${i + 1}`, name, argv: this.argv(plan.commands[i]) });
      await this.setState('running', `Step ${i + 1} of ${plan.commands.length}: ${plan.commands[i].description} (re-attached after a reload)`);
      const failed = await this.followStep(plan, i, run);
      return failed ?? (await this.runFrom(plan, i + 1));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await this.setState('failed', message).catch(() => undefined);
      return { kind: 'failed', summary: message };
    }
  }

  /** The steps from index `first` on, then the end (eval: the table). */
  private async runFrom(plan: ArtifactPlan, first: number): Promise<SessionOutcome> {
    for (let j = first; j < plan.commands.length; j++) {
      const stopped = await this.runStep(plan, j);
      if (stopped) return stopped;
    }
    return this.finish(plan);
  }

  /**
   * The process of step `step`: its Slurm job (logs/step-N/slurm.json), or the run folder's detached
   * launcher when its records are this step's command (not the step before's). Undefined: not started.
   */
  private async findStep(step: number, argv: string[]): Promise<AttachResult | undefined> {
    const runDir = this.deps.files.resolve(this.handle.folder);
    const records = path.join(runDir, 'logs', `step-${step}`);
    if (readSlurmRecord(runDir, records)) {
      const slurm = this.deps.slurm ?? defaultSlurmDeps;
      return attachSlurmRun(runDir, slurm.backend(), { records, ...(slurm.pollMs ? { pollMs: slurm.pollMs } : {}) });
    }
    const started = recordedArgv(runDir);
    if (!started || started.join('\0') !== argv.join('\0')) return undefined;
    return attachDetached(runDir);
  }

  private emit(event: AgentEvent): void {
    this.deps.events.emit(event);
  }

  private record(entry: TranscriptEntry): Promise<void> {
    return this.handle.appendTranscript(entry);
  }

  private async setState(state: RunState, message: string): Promise<void> {
    this.emit({ type: 'run_state', runId: this.runId, state, message });
    await this.handle.updateStatus({ state, lastMessage: message });
    await this.record({ kind: 'state', state, message });
  }

  private async say(text: string): Promise<void> {
    this.emit({ type: 'assistant_message', runId: this.runId, text });
    await this.record({ kind: 'message', message: { role: 'assistant', content: text } });
  }

  /** Recipe → review → approval → run each command → results. Never throws: every end is a state the panel shows. */
  execute(): Promise<SessionOutcome> {
    return this.owned(() => this.executeSteps());
  }

  private async executeSteps(): Promise<SessionOutcome> {
    try {
      this.emit({ type: 'run_started', runId: this.runId, title: (await this.handle.readStatus()).title, folder: this.handle.folder });
      await this.setState('running', 'Writing the scripts from the recipe');
      let plan: ArtifactPlan;
      try {
        // A work folder outside the workspace is refused here (WorkFolderError), before anything is written.
        this.folder = artifactFolder(this.request, workFolderOf(this.deps.settings()));
        plan = await planArtifact(this.request, this.deps.files, this.deps, this.folder);
      } catch (err) {
        if (err instanceof SpecError || err instanceof ArtifactRequestError || err instanceof WorkFolderError) {
          const message = err.message;
          await this.setState('failed', message);
          return { kind: 'failed', summary: message };
        }
        throw err;
      }
      // Also what a window reload needs to go on with the steps (see resume()).
      await this.handle.writeFile('plan.json', JSON.stringify({ folder: plan.folder, commands: plan.commands, notes: plan.notes, ...(plan.comparisonFile ? { comparisonFile: plan.comparisonFile } : {}) }, null, 2));
      const notes = plan.notes.length ? `\n\nNotes from the recipe:\n${plan.notes.map((n) => `- ${n}`).join('\n')}` : '';
      await this.say(`${describeArtifact(this.request).goal} I wrote ${plan.files.map((f) => `\`${plan.folder}/${f.path}\``).join(', ')} from the recipe; review them (a new file opens on its own, a changed one as a diff).${notes}`);

      const rejected = await this.proposeFiles(plan);
      if (rejected) return rejected;
      const refused = await this.approveAll(plan);
      if (refused) return refused;
      for (let i = 0; i < plan.commands.length; i++) {
        const failed = await this.runStep(plan, i);
        if (failed) return failed;
      }
      return await this.finish(plan);
    } catch (err) {
      const raw = err instanceof Error ? err.message : String(err);
      this.deps.logger?.error(`Run ${this.runId}: ${raw}`);
      const message = diskFullMessage(err, { what: `the run folder ${this.handle.folder}`, resume: this.resumeHint() }) ?? raw;
      if (this.current) return this.followAfterFailure(this.current, message);
      await this.setState('failed', message).catch(() => undefined);
      return { kind: 'failed', summary: message };
    }
  }

  /** Failed with a command's process still running: keep following it (Stop still works), then say how it ended. */
  private async followAfterFailure(live: RunningStep, failure: string): Promise<SessionOutcome> {
    const { run, step, plan } = live;
    const message = await followAfterFailure({
      run,
      failure,
      what: `Step ${step} of ${plan.commands.length} (${plan.commands[step - 1].description}, pid ${run.pid})`,
      log: `${this.handle.folder}/logs/train.log`,
      tell: async (text) => {
        this.emit({ type: 'notice', runId: this.runId, level: 'error', message: text });
        await this.setState('running', text);
      },
      watch: (r) => this.watch(r, step, plan),
      stopped: () => this.abort.signal.aborted,
    });
    const end = this.abort.signal.aborted ? 'stopped' : 'failed';
    await this.setState(end, message).catch(() => undefined);
    return { kind: end, summary: message };
  }

  /** How to go on after a full disk: the same command again reuses the scripts already accepted. */
  private resumeHint(): string {
    const command = { eval: 'Evaluate', 'merge-adapter': 'Merge Models', merge: 'Merge Models', push: 'Push to Hub', 'try-it': 'Try It…', export: 'Export Model…' }[this.request.kind];
    return againHint(command, this.folder);
  }

  /** Propose every file (origin 'recipe'); any rejection stops: the commands need all of them. */
  private async proposeFiles(plan: ArtifactPlan): Promise<SessionOutcome | undefined> {
    for (const file of plan.files) {
      const target = `${plan.folder}/${file.path}`;
      const original = (await this.deps.files.readIfExists(target)) ?? null;
      if (original === file.content) continue;
      const change: ProposedChange = { path: target, original, proposed: file.content, description: file.description, origin: 'recipe', runId: this.runId };
      const decision = await this.gate.proposeChange(change, this.abort.signal);
      if (decision.kind === 'rejected') {
        const why = decision.reason ? ` (${decision.reason})` : '';
        const message = `${target} was rejected${why}, so nothing was run. Run the command again with other choices, or edit the file and run it yourself.`;
        await this.setState('stopped', message);
        return { kind: 'rejected', summary: `${file.path} rejected${why}` };
      }
    }
    return undefined;
  }

  private argv(command: RecipeCommand): string[] {
    return [resolveProgram(command.argv[0], this.deps.python), ...command.argv.slice(1)];
  }

  /** On the Slurm target a step that loads models runs as a batch job on a compute node, not on the login node. */
  private onNode(command: RecipeCommand): boolean {
    return this.deps.settings().executionTarget === 'slurm' && command.heavy === true;
  }

  /**
   * A node step's batch script (mlIntern.slurm.*), kept as scripts/step-N.sbatch in the run folder.
   * Written once, when it is approved: what is submitted is what the user saw, even if the settings
   * change meanwhile.
   */
  private async jobScript(plan: ArtifactPlan, i: number): Promise<JobScript> {
    const written = this.jobScripts.get(i);
    if (written) return written;
    const { spec, text } = stepJob(this.deps.settings(), { workspace: this.deps.files.resolve('.'), runId: this.runId, runDir: this.deps.files.resolve(this.handle.folder), i, argv: this.argv(plan.commands[i]), workdir: this.deps.files.resolve(plan.folder), python: this.deps.python });
    const rel = await this.handle.writeFile(`scripts/step-${i + 1}.sbatch`, text);
    const job = { path: this.deps.files.resolve(rel), text, spec };
    this.jobScripts.set(i, job);
    return job;
  }

  /** Ask for every command before the first one starts: a refusal never leaves a half-done sequence. */
  private async approveAll(plan: ArtifactPlan): Promise<SessionOutcome | undefined> {
    // Steps run here are approved as one plan (artifactApproval.ts); a Slurm step's batch script is still shown on its own.
    if (plan.commands.length > 1 && !plan.commands.some((c) => this.onNode(c))) {
      const refused = await approvePlan(plan, { gate: this.gate, argv: (c) => this.argv(c), record: (e) => this.record(e), signal: this.abort.signal });
      if (refused) await this.setState('stopped', refused);
      return refused ? { kind: 'stopped', summary: refused } : undefined;
    }
    for (const [i, command] of plan.commands.entries()) {
      const steps = plan.commands.length > 1 ? ` (step ${i + 1} of ${plan.commands.length})` : '';
      const then = i === 0 && plan.commands.length > 1 ? `Then:\n${plan.commands.slice(1).map((c) => `- ${c.argv.join(' ')}${this.onNode(c) ? ' (a Slurm job)' : ''}`).join('\n')}` : '';
      const job = this.onNode(command) ? await this.jobScript(plan, i) : undefined;
      const request = job
        ? { argv: ['sbatch', job.path], reason: `${command.description}${steps} — Slurm job: ${describeSlurm(this.deps.settings(), job.spec.gpus ?? 0)}${slurmSandboxClause(job.spec, undefined, this.deps.settings().sandbox)}`, detail: [job.text, then].filter(Boolean).join('\n') }
        : { argv: this.argv(command), reason: `${command.description}${steps}`, ...(then ? { detail: then } : {}) };
      const decision = await this.gate.approveCommand({ ...request, origin: 'recipe', tool: 'run', cwd: plan.folder }, this.abort.signal);
      if (!decision.approved) {
        const message = `Not started: \`${command.argv.join(' ')}\` was not approved${decision.reason ? ` (${decision.reason})` : ''}. The scripts are saved in ${plan.folder}/.`;
        await this.setState('stopped', message);
        return { kind: 'stopped', summary: message };
      }
    }
    return undefined;
  }

  /** One command, detached from the folder; on failure: a diagnosis and the failed state. */
  private async runStep(plan: ArtifactPlan, i: number): Promise<SessionOutcome | undefined> {
    if (this.abort.signal.aborted) {
      await this.setState('stopped', 'The run was stopped.');
      return { kind: 'stopped', summary: 'stopped' };
    }
    const command = plan.commands[i];
    const step = i + 1;
    const argv = this.argv(command);
    const runDirAbs = this.deps.files.resolve(this.handle.folder);
    const env = { ...(this.deps.processEnv ? await this.deps.processEnv() : {}), PYTHONUNBUFFERED: '1' };
    await this.setState('running', `Step ${step} of ${plan.commands.length}: ${command.description}`);
    // Before the start: a window closed the moment after must find this step, not the one before.
    await this.handle.updateStatus({ step, pid: undefined } as never);
    let run: DetachedRun;
    if (this.onNode(command)) {
      const submitted = await this.submitStep(plan, i, env);
      if ('failed' in submitted) return submitted.failed;
      run = submitted.run;
    } else {
      try {
        run = await this.deps.launch({ argv, cwd: this.deps.files.resolve(plan.folder), env, runDir: runDirAbs, name: `ML Intern: ${command.argv.slice(0, 2).join(' ')}`, python: this.deps.python });
      } catch (err) {
        // The launcher could not start the program at all (not installed, not executable).
        const text = err instanceof Error ? err.message : String(err);
        if (!/could not start/.test(text)) throw err;
        await fs.copyFile(path.join(runDirAbs, 'logs', 'train.log'), path.join(runDirAbs, 'logs', `step-${step}.log`)).catch(() => undefined);
        return this.failStep(plan, i, 127, this.notInstalled(command), text);
      }
    }
    // From here on Stop reaches it and a failure keeps following it, even before the lines below are written (they may fail).
    this.current = { run, step, plan };
    // Stopped while it was starting: it must not go on without anyone watching it.
    if (this.abort.signal.aborted) void run.stop('stopped by the user');
    const job = run instanceof SlurmRun ? `Slurm job ${run.jobId}` : `pid ${run.pid}`;
    this.emit({ type: 'process_started', runId: this.runId, processId: `step-${step}`, name: `${run instanceof SlurmRun ? `${job}: ` : ''}${command.argv.slice(0, 2).join(' ')}`, argv, python: this.deps.python });
    await this.handle.updateStatus({ pid: run.pid, step } as never);
    await this.record({ kind: 'note', text: `step ${step}: started ${argv.join(' ')} in ${plan.folder} (${job})` });
    return this.followStep(plan, i, run);
  }

  /** A started (or re-attached) step to its end: its log kept, a failure diagnosed. */
  private async followStep(plan: ArtifactPlan, i: number, run: DetachedRun): Promise<SessionOutcome | undefined> {
    const step = i + 1;
    const command = plan.commands[i];
    const runDirAbs = this.deps.files.resolve(this.handle.folder);
    const result = await this.watch(run, step, plan);
    const kept = path.join(runDirAbs, 'logs', `step-${step}.log`);
    await fs.copyFile(run.logFile, kept).catch(() => undefined);
    await this.record({ kind: 'note', text: `step ${step}: exit code ${result.exitCode}` });
    if (result.exitCode === 0) return undefined;
    if (this.abort.signal.aborted) {
      await this.setState('stopped', 'The run was stopped.');
      return { kind: 'stopped', summary: 'stopped' };
    }
    // The cluster ended the job (time limit, an outside cancel, a node failure): its word, not a log diagnosis.
    const exit = run instanceof SlurmRun ? await run.exit : undefined;
    if (exit && isSlurmExit(exit) && endsWithoutRepair(exit)) {
      return this.failStep(plan, i, result.exitCode, { category: 'slurm', summary: exit.message, fix: 'Change the mlIntern.slurm.* settings if the cluster asks for it, then run the command again.' });
    }
    if (result.exitCode === 127 && /could not start/.test(result.logText)) return this.failStep(plan, i, 127, this.notInstalled(command), result.logText);
    const d = diagnose(result.logText);
    await this.record({ kind: 'note', text: `step ${step} diagnosis: ${d.category}: ${d.summary}` });
    return this.failStep(plan, i, result.exitCode, { category: d.category, summary: d.summary, fix: d.fix.description });
  }

  /** Submit a node step's batch script; a refusal by sbatch fails the step with what to check. */
  private async submitStep(plan: ArtifactPlan, i: number, env: Record<string, string>): Promise<{ run: SlurmRun } | { failed: SessionOutcome }> {
    const step = i + 1;
    const job = await this.jobScript(plan, i);
    const slurm = this.deps.slurm ?? defaultSlurmDeps;
    const name = `ML Intern: ${plan.commands[i].argv.slice(0, 2).join(' ')} (step ${step})`;
    let run: SlurmRun | undefined;
    try {
      run = await submitSlurmJob(
        slurm.backend(env),
        { scriptPath: job.path, runDir: this.deps.files.resolve(this.handle.folder), name, outputPattern: job.spec.outputFile, records: path.dirname(job.spec.outputFile) },
        {
          ...(slurm.pollMs ? { pollMs: slurm.pollMs } : {}),
          ...(job.spec.timeLimit ? { timeLimit: job.spec.timeLimit } : {}),
          onState: (s) => void this.setState('running', `Step ${step} of ${plan.commands.length}: Slurm job ${run?.jobId ?? ''} ${stateText(s)}`).catch(() => undefined),
        },
      );
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return { failed: await this.failStep(plan, i, 1, { category: 'slurm', summary: `Submitting ${job.path} to Slurm failed: ${why}.`, fix: 'Check the mlIntern.slurm.* settings (partition, GPUs, time limit, extra directives) against `sinfo`.' }) };
    }
    this.deps.showRun?.(run, `${plan.commands[i].argv.slice(0, 2).join(' ')} — Slurm job ${run.jobId} (step ${step})`);
    return { run };
  }

  /** Follow one command's process to its end (output, progress, metrics to the panel). */
  private async watch(run: DetachedRun, step: number, plan: ArtifactPlan): Promise<RunResult> {
    this.current = { run, step, plan };
    try {
      return await watchRun(run, { runId: this.runId, processId: `step-${step}`, handle: this.handle, events: this.deps.events });
    } finally {
      this.current = undefined;
      run.dispose();
    }
  }

  private notInstalled(command: RecipeCommand): { category: string; summary: string; fix: string } {
    return notInstalled(command, this.deps.python);
  }

  /** The failed state with the diagnosis, in the panel and the run folder. */
  private async failStep(plan: ArtifactPlan, i: number, exitCode: number, d: { category: string; summary: string; fix: string }, detail?: string): Promise<SessionOutcome> {
    const step = i + 1;
    const command = plan.commands[i];
    if (detail) await this.record({ kind: 'note', text: `step ${step}: ${detail.trim().slice(0, 500)}` });
    this.emit({ type: 'diagnosis', runId: this.runId, attempt: step, category: d.category, summary: d.summary, fix: d.fix });
    const logRel = `${this.handle.folder}/logs/step-${step}.log`;
    const message = `Step ${step} of ${plan.commands.length} (${command.description}) failed with exit code ${exitCode}: ${d.summary} Fix: ${d.fix} Log: ${logRel}.`;
    await this.setState('failed', message);
    return { kind: 'failed', summary: message };
  }

  private async finish(plan: ArtifactPlan): Promise<SessionOutcome> {
    const { summary, said } = await finishedSummary(this.request, plan, { files: this.deps.files, handle: this.handle, emit: (e) => this.emit(e), logger: this.deps.logger });
    await this.say(said);
    await this.setState('succeeded', said.split('\n')[0]);
    return { kind: 'succeeded', summary };
  }

  /** Stop button / "ML Intern: Stop Run": stops the running command's process group. */
  async stop(): Promise<void> {
    this.abort.abort(new Error('stopped by the user'));
    const run = this.current?.run;
    if (run) await run.stop('stopped by the user');
  }
}
