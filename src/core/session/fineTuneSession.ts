/**
 * The fine-tune session: the deterministic path from a request to a trained
 * model, with no LLM needed.
 *
 *   recipe engine → preflight fixes → reviewable diffs → approval to run →
 *   detached run watched by the log pipeline → on failure: diagnosis,
 *   playbook (or LLM) fix as a reviewable diff, run again → summary.
 *
 * Everything lands in the run folder (.ml-intern/runs/<id>/): spec, transcript
 * of decisions, every script version, logs per attempt, metrics, recovery.jsonl.
 * Editor-agnostic: the VS Code host and tests give it ports.
 */
import * as path from 'node:path';
import { ProposedChange, ReviewDecision } from '../ports';
import { ApprovalGate } from '../policy/approval';
import { gateFor } from './runGate';
import { launchNotes } from './launchNotes';
import { proposeAdaptedScript } from './adaptScript';
import { RunHandle } from '../runs/runStore';
import { renderRecipe } from '../recipes';
import { scriptSidePaths } from '../recipes/scriptPaths';
import { applyOverrides, ConfigOverrideError } from '../recipes/configOverrides';
import { readConfig } from '../recipes/configBlock';
import { preflight } from '../recovery/preflight';
import { failedDiagnosis, repairLoop, RepairLoopOptions, RunResult } from '../recovery/repairLoop';
import { smokeArgv } from './smokeRun';
import { runSmokeStage } from './smokeStage';
import { proposeLengthFit } from './lengthFit';
import type { MeasuredLengths } from '../recipes/lengthPlan';
import { previewInSession } from '../preflight/sessionPreview';
import { checkRewardsBeforeRun } from './rewardCheck';
import { recipeEnvironment, recipeInspection, recoveryEnvironment } from './envAdapters';
import { archiveAttemptLog, Recorded } from '../run/watch';
import { SAMPLES_ENV, SAMPLES_FILE } from '../recipes/templates/grpoSamples';
import { RunContext, WatchSpec } from '../run/runContext';
import { Launched, launchedRun, localLauncher } from '../run/launchers';
import { installMissingRequirements } from './missingPackages';
import { meterLlm } from './llmMeter';
import { DetachedRun } from '../exec/detached';
import { FineTuneRequest, SessionOutcome } from './types';
import { namingDiskFull } from '../util/diskErrors';
import { defaultPlan, describeSlurm, LaunchPlan, planLaunch, sbatchOutput } from './launchPlan';
import { slurmSandboxClause } from './slurmSandboxNote';
import { SlurmAttempts } from './slurmAttempts';
import { HeldLock } from '../runs/ownerLock';
import { claimRun, claimScriptFolder } from '../runs/runLocks';
import { workFolderOf } from '../workFolder';
import { checkLaunchPlan } from '../runs/records';
import { againHint, describeRequest, requestToSpec, scriptFolder, SessionDeps } from './fineTuneParts';

export type { SessionDeps } from './fineTuneParts';
export { describeRequest, requestToSpec, scriptFolder } from './fineTuneParts';

export class FineTuneSession {
  /** The run's lifecycle: what the panel and the run folder are told, the process followed, Stop, the end after an error. */
  private readonly ctx: RunContext;
  readonly abort: AbortController;
  private attempt = 0;
  private loggingSteps: number | undefined;
  /** How the run starts (local or Slurm, argv, sbatch script); kept in the run folder as launch.json. */
  private plan: LaunchPlan | undefined;
  /** The script folder: in mlIntern.workFolder for a new run, where its train.py is for a resumed one. */
  private folder: string | undefined;
  /** The run's owner lock and, while it runs, its script folder's: released on every end (runLocks.ts). */
  private readonly locks: HeldLock[] = [];
  /** Jobs on the Slurm target, submitted again while the cluster cuts them short after a checkpoint. */
  private readonly slurm: SlurmAttempts;

  private constructor(
    readonly handle: RunHandle,
    readonly request: FineTuneRequest,
    private readonly deps: SessionDeps,
    private readonly gate: ApprovalGate,
  ) {
    this.ctx = new RunContext(handle, deps);
    this.abort = this.ctx.abort;
    this.slurm = new SlurmAttempts({
      handle,
      ctx: this.ctx,
      deps,
      attempt: () => this.attempt,
      nextAttempt: () => void this.attempt++,
      watchSpec: (launched) => this.watchSpec(launched),
    });
  }

  get runId(): string {
    return this.handle.id;
  }

  /** Create the run folder; `execute()` then does the work. */
  static async create(request: FineTuneRequest, deps: SessionDeps): Promise<FineTuneSession> {
    const title = `${request.method.toUpperCase()} ${request.baseModel} on ${request.dataset}`;
    // Workspace writes (accepted scripts, repairs) name their file on a full disk, as run-folder writes do.
    deps = { ...deps, files: namingDiskFull(deps.files) };
    const handle = await deps.runs.create({ goal: describeRequest(request), title, request, kind: 'fine-tune', autoApprove: deps.settings().autoApprove });
    // Its LLM calls are counted on the run and bounded by the budget settings, like an agent's.
    deps = { ...deps, llm: meterLlm(deps.llm, { handle, events: deps.events, settings: deps.settings }) };
    const gate = gateFor(handle, deps);
    const session = new FineTuneSession(handle, request, deps, gate);
    session.locks.push(claimRun(handle.files, handle.id));
    return session;
  }

  /**
   * Re-attach to a session whose run folder exists (window reload): used by resume(). Throws
   * LockBusyError while another process follows the run; `owner` is the lock when the caller took it first.
   */
  static async reopen(handle: RunHandle, deps: SessionDeps, owner?: HeldLock): Promise<FineTuneSession> {
    const spec = await handle.spec();
    const status = await handle.readStatus();
    // What the run's LLM calls used before the reload still counts against its budget.
    deps = { ...deps, files: namingDiskFull(deps.files), llm: meterLlm(deps.llm, { handle, events: deps.events, settings: deps.settings, totals: status.usage }) };
    const session = new FineTuneSession(handle, spec.request as FineTuneRequest, deps, gateFor(handle, deps));
    session.attempt = status.attempt ?? 0;
    const saved = await deps.files.readIfExists(handle.path('launch.json')).catch(() => undefined);
    if (saved) session.plan = checkLaunchPlan(saved, handle.path('launch.json')) as unknown as LaunchPlan;
    // Taken last: a run folder that cannot be reopened (its spec or launch.json broken) leaves no lock behind.
    session.locks.push(owner ?? claimRun(handle.files, handle.id));
    return session;
  }

  /** Recipe → review → run → recover. Never throws: every failure ends in a state the panel shows. */
  async execute(): Promise<SessionOutcome> {
    try {
      await this.ctx.announce();
      // A work folder setting that leads outside the workspace stops the run here (WorkFolderError), before anything is written.
      const folder = this.claimScriptFolder(scriptFolder(this.request, workFolderOf(this.deps.settings())));
      await this.ctx.setState('running', 'Writing the training script from the recipe');
      const accepted = await this.proposeScripts(folder);
      if (accepted.kind !== 'ok') return accepted.outcome;
      return await this.runAndRecover(accepted.scriptPath);
    } catch (err) {
      return this.ctx.fail(err, this.resumeHint());
    } finally {
      this.releaseLocks();
    }
  }

  /** How to go on after a full disk: the same choices again reuse the accepted scripts. */
  private resumeHint(): string {
    return againHint('Fine-tune', this.folder);
  }

  /** One run per script folder at a time: a second would rewrite the train.py the first trains from. */
  private claimScriptFolder(folder: string): string {
    this.locks.push(claimScriptFolder(this.deps.files, folder, this.runId));
    return (this.folder = folder);
  }

  private releaseLocks(): void {
    for (const lock of this.locks.splice(0)) lock.release();
  }

  /** Render the recipe, apply the preflight fixes, and propose every file. */
  private async proposeScripts(folder: string): Promise<{ kind: 'ok'; scriptPath: string } | { kind: 'stop'; outcome: SessionOutcome }> {
    // The script runs from its folder: workspace paths (the data, a local base model) are written as seen from there.
    const spec = await scriptSidePaths(requestToSpec(this.request, `outputs/${this.runId}`), folder, (p) => this.deps.files.exists(p));
    // Without the whole inspection (the wizard hands over only what it asked), the request still carries what the
    // recipe needs from it: where a wrapped JSON file keeps its rows, and how many rows there are.
    const fromRequest = { ...(this.request.jsonField ? { jsonField: this.request.jsonField } : {}), ...(this.request.datasetRows ? { rows: this.request.datasetRows } : {}) };
    const found = recipeInspection(this.deps.inspection);
    // GRPO's roles are the request's (the inspection's grpo proposal): the supervised mapping (user/assistant…) would be merged into them.
    const inspection = (found && this.request.method === 'grpo' ? { ...found, mapping: undefined } : found) ?? (Object.keys(fromRequest).length ? fromRequest : undefined);
    const rendered = renderRecipe(spec, { inspection, env: recipeEnvironment(this.deps.environment) });
    const recoveryEnv = recoveryEnvironment(this.deps.environment);
    const plan = rendered.notes.length ? `\n\nNotes from the recipe:\n${rendered.notes.map((n) => `- ${n}`).join('\n')}` : '';
    // A new train.py opens as the proposal alone (no diff); one that is there already, as a diff against it.
    const where = (await this.deps.files.exists(`${folder}/train.py`)) ? 'Review it in the diff' : 'Review it (a new file: it opens on its own)';
    await this.ctx.say(`I wrote a ${this.request.method.toUpperCase()} script for **${this.request.baseModel}** (${this.request.adapter}) on \`${this.request.dataset}\` from the recipe. ${where}: accept or reject it whole or hunk by hunk.${plan}`);
    let scriptPath = '';
    for (const file of rendered.files) {
      const target = `${folder}/${file.path}`;
      let content = file.content;
      let description = file.description;
      if (file.path.endsWith('train.py')) {
        scriptPath = target;
        const pre = preflight(content, recoveryEnv);
        if (pre.fixes.length) {
          content = pre.script;
          description += ` — adjusted for this machine: ${pre.fixes.map((f) => f.description).join('; ')}`;
        }
        if (this.request.config && Object.keys(this.request.config).length) {
          try {
            content = applyOverrides(content, this.request.config);
          } catch (err) {
            if (!(err instanceof ConfigOverrideError)) throw err;
            await this.ctx.setState('failed', `Your settings do not fit the script: ${err.message}. Nothing was written.`);
            return { kind: 'stop', outcome: { kind: 'failed', summary: err.message } };
          }
          description += ` — with your settings: ${Object.entries(this.request.config).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(', ')}`;
        }
      }
      const original = (await this.deps.files.readIfExists(target)) ?? null;
      if (original === content) continue;
      const change: ProposedChange = { path: target, original, proposed: content, description, origin: 'recipe', runId: this.runId };
      const decision = await this.gate.proposeChange(change, this.abort.signal);
      if (decision.kind === 'rejected' && target === scriptPath) {
        const why = decision.reason ? ` (${decision.reason})` : '';
        await this.ctx.setState('stopped', `The training script was rejected${why}. Run "ML Intern: Fine-tune" again with other choices (the instructions step takes epochs, max length, learning rate…).`);
        return { kind: 'stop', outcome: { kind: 'rejected', summary: `train.py rejected${why}` } };
      }
    }
    if (!scriptPath) throw new Error(`The ${this.request.method} recipe produced no train.py.`);
    await proposeAdaptedScript(
      { runId: this.runId, goal: describeRequest(this.request), instructions: this.request.instructions, llm: this.deps.llm, files: this.deps.files, ctx: this.ctx, propose: (c, signal) => this.gate.proposeChange(c, signal), logger: this.deps.logger, signal: this.abort.signal },
      scriptPath,
    );
    const launch = await this.proposeLaunchFiles(scriptPath);
    if (launch) return launch;
    await this.handle.updateStatus({ scriptPath });
    return { kind: 'ok', scriptPath };
  }

  /** Several GPUs: the accelerate config; Slurm target: the sbatch script. Proposed like train.py. */
  private async proposeLaunchFiles(scriptPath: string): Promise<{ kind: 'stop'; outcome: SessionOutcome } | undefined> {
    const folder = path.dirname(scriptPath);
    const { plan, files } = planLaunch({
      request: this.request,
      settings: this.deps.settings(),
      environment: this.deps.environment,
      python: this.deps.python,
      script: path.basename(scriptPath),
      folder,
      folderAbs: this.deps.files.resolve(folder),
      runId: this.runId,
      runDirAbs: this.deps.files.resolve(this.handle.folder),
    });
    // Shown before the files are proposed: the node count a full fine-tune needs, a resume on another process count.
    for (const n of await launchNotes({ files: this.deps.files, scriptPath, request: this.request, settings: this.deps.settings(), environment: this.deps.environment, plan })) {
      this.ctx.emit({ type: 'notice', runId: this.runId, level: n.level, message: n.text });
      await this.ctx.record({ kind: 'note', text: n.text });
    }
    for (const file of files) {
      const target = `${folder}/${file.name}`;
      const original = (await this.deps.files.readIfExists(target)) ?? null;
      if (original === file.content) continue;
      const change: ProposedChange = { path: target, original, proposed: file.content, description: file.description, origin: 'recipe', runId: this.runId };
      const decision = await this.gate.proposeChange(change, this.abort.signal);
      if (decision.kind === 'rejected') {
        const why = decision.reason ? ` (${decision.reason})` : '';
        const what = plan.sbatchPath === target ? 'The Slurm batch script' : 'The multi-GPU accelerate config';
        const how = plan.sbatchPath === target ? 'Change the mlIntern.slurm.* settings (or set mlIntern.execution.target to local)' : 'Edit the config when it is proposed';
        await this.ctx.setState('stopped', `${what} was rejected${why}. ${how} and run "ML Intern: Fine-tune" again.`);
        return { kind: 'stop', outcome: { kind: 'rejected', summary: `${file.name} rejected${why}` } };
      }
    }
    if (plan.sbatchPath) {
      // Follow the output file the reviewed script names (its --output may have been edited).
      const reviewed = await this.deps.files.readIfExists(plan.sbatchPath);
      if (reviewed) plan.outputPattern = sbatchOutput(reviewed, this.deps.files.resolve(folder));
    }
    this.plan = plan;
    await this.handle.writeJson('launch.json', plan);
    return undefined;
  }

  private launchPlan(scriptPath: string): LaunchPlan {
    return this.plan ?? defaultPlan(this.deps.python, path.basename(scriptPath));
  }

  private async runAndRecover(scriptPath: string): Promise<SessionOutcome> {
    const plan = this.launchPlan(scriptPath);
    const slurm = plan.target === 'slurm' && plan.sbatchPath;
    const argv = slurm ? ['sbatch', path.basename(plan.sbatchPath!)] : plan.argv;
    const reason = slurm
      ? `Submit ${plan.sbatchPath} to Slurm (${describeSlurm(this.deps.settings(), plan.gpus)}); it runs ${plan.argv.join(' ')}${slurmSandboxClause(plan, this.deps.environment?.nodeBubblewrap, this.deps.settings().sandbox)}`
      : `Start training with ${scriptPath}${plan.gpus > 1 ? ` on ${plan.gpus} GPUs (accelerate, ${plan.configFile})` : ''}`;
    if (this.request.method === 'grpo') await checkRewardsBeforeRun({ runId: this.runId, runDir: this.handle.folder, files: this.deps.files, events: this.deps.events, python: this.deps.python, env: this.deps.processEnv ? await this.deps.processEnv() : {}, say: (t) => this.ctx.say(t), signal: this.abort.signal }, scriptPath);
    if (!slurm) {
      const stop = (await this.installMissing(scriptPath)) ?? (await this.smokeFirst(scriptPath));
      if (stop) return stop;
    } else await this.checksBeforeSlurmJob(scriptPath);
    const approval = await this.gate.approveCommand({ argv, reason, origin: 'recipe', tool: 'run', cwd: path.dirname(scriptPath) }, this.abort.signal);
    if (!approval.approved) {
      const message = `Training was not started${approval.reason ? ` (${approval.reason})` : ''}. The script is saved at ${scriptPath}; start it again with "ML Intern: Fine-tune" or from the chat.`;
      await this.ctx.setState('stopped', message);
      return { kind: 'stopped', summary: message };
    }
    return this.repair(scriptPath);
  }

  /** Before the first local run: what the environment check found missing, installed after one approval (missingPackages.ts). */
  private async installMissing(scriptPath: string): Promise<SessionOutcome | undefined> {
    const approve = async (argv: string[], reason: string) => (await this.gate.approveCommand({ argv, reason, origin: 'recipe', tool: 'run', cwd: this.deps.files.root }, this.abort.signal)).approved;
    const failed = await installMissingRequirements({ files: this.deps.files, environment: this.deps.environment, python: this.deps.python, approve, run: (argv) => this.runCommand(argv), say: (t) => this.ctx.say(t), note: (text) => this.ctx.record({ kind: 'note', text }) }, scriptPath);
    if (!failed) return undefined;
    await this.ctx.setState('failed', failed);
    return { kind: 'failed', summary: failed };
  }

  /** The repair loop over this session's runs: diagnose, fix as a reviewed diff, run again. */
  private async repair(scriptPath: string, firstResult?: RunResult): Promise<SessionOutcome> {
    const result = await repairLoop(this.repairOptions(scriptPath, firstResult));
    return this.finish(result.outcome, result.question, result.attempts.length, scriptPath);
  }

  /** Slurm target: the token preview runs here (a tokenizer, no GPU) and its rows fit the plan to the node's GPU; no smoke run (it would not run on the compute node), said. */
  private async checksBeforeSlurmJob(scriptPath: string): Promise<void> {
    const preview = this.request.previewTokens ? await this.previewTokens(scriptPath) : undefined;
    if (preview) await this.fitLengths(scriptPath, preview.lengths, 'slurm');
    if (this.request.smokeSteps) await this.ctx.say('No smoke run on the Slurm target: it would run on this machine, not on the compute node that trains. The job\'s first logged steps show its step time and memory; the card follows them.');
  }

  private fitLengths(scriptPath: string, lengths: MeasuredLengths, target: 'local' | 'slurm'): Promise<void> {
    return proposeLengthFit({ runId: this.runId, method: this.request.method, environment: this.deps.environment, target, read: (p) => this.deps.files.read(p), propose: (c) => this.gate.proposeChange(c, this.abort.signal) as Promise<ReviewDecision>, say: (t) => this.ctx.say(t) }, scriptPath, lengths);
  }

  private async previewTokens(scriptPath: string): ReturnType<typeof previewInSession> {
    const env = this.deps.processEnv ? await this.deps.processEnv() : {};
    return previewInSession({ runId: this.runId, runDir: this.handle.folder, files: this.deps.files, events: this.deps.events, python: this.deps.python, env, say: (t) => this.ctx.say(t), signal: this.abort.signal }, scriptPath);
  }

  /** With request.smokeSteps: N steps first, repaired by the same loop (smokeStage.ts); a run that cannot be repaired ends here. */
  private async smokeFirst(scriptPath: string): Promise<SessionOutcome | undefined> {
    const preview = this.request.previewTokens ? await this.previewTokens(scriptPath) : undefined;
    // Without a smoke run the plan for the measured rows is offered here; with one, its fitted plan counts them.
    if (!this.request.smokeSteps && preview) await this.fitLengths(scriptPath, preview.lengths, 'local');
    if (!this.request.smokeSteps) return undefined;
    const approve = async (argv: string[], reason: string) => (await this.gate.approveCommand({ argv, reason, origin: 'recipe', tool: 'run', cwd: path.dirname(scriptPath) }, this.abort.signal)).approved;
    const ports = { runId: this.runId, runDir: this.handle.folder, files: this.deps.files, events: this.deps.events, method: this.request.method, datasetRows: this.request.datasetRows, processes: this.launchPlan(scriptPath).gpus, tokensPerRow: preview?.lengths.mean, lengths: preview?.lengths, argv: this.launchPlan(scriptPath).argv, approve, say: (t: string) => this.ctx.say(t) };
    const smoke = await runSmokeStage({ ...ports, runOnce: (p, env) => this.runOnce(p, env), propose: (c) => this.gate.proposeChange(c, this.abort.signal) as Promise<ReviewDecision>, repair: (p, run) => repairLoop({ ...this.repairOptions(p), run }) }, scriptPath, this.request.smokeSteps);
    return smoke.kind === 'failed' ? this.finish(smoke.repair.outcome, smoke.repair.question, smoke.repair.attempts.length, scriptPath) : undefined;
  }

  private repairOptions(scriptPath: string, firstResult?: RunResult): RepairLoopOptions {
    return {
      runId: this.runId,
      runDir: this.handle.folder,
      scriptPath,
      files: this.deps.files,
      reviewer: { propose: (change, signal) => this.gate.proposeChange(change, signal) as Promise<ReviewDecision> },
      // The loop's question is not asked in the panel ("answer in the box below"): nothing here waits for an
      // answer. finish() ends the run with it and what to do next.
      events: { emit: (e) => e.type !== 'ask_user' && this.deps.events.emit(e) },
      run: (p, o) => this.runOnce(p, o.env),
      llm: this.deps.llm,
      environment: recoveryEnvironment(this.deps.environment),
      maxAttempts: this.deps.settings().maxRecoveryAttempts,
      approveCommand: async (cmd, description) =>
        (await this.gate.approveCommand({ argv: cmd, reason: description, origin: 'playbook', tool: 'run' }, this.abort.signal)).approved,
      runCommand: (cmd) => this.runCommand(cmd),
      python: this.deps.python,
      ...(firstResult ? { firstResult } : {}),
      signal: this.abort.signal,
    };
  }

  /** After a window reload: follow the run that is still going, then recover as usual. */
  async resume(run: DetachedRun, scriptPath: string, recorded: Recorded): Promise<SessionOutcome> {
    const launched = launchedRun(run);
    this.ctx.follow(run, this.watchSpec(launched, 'training', recorded));
    try {
      // Where its train.py is, whatever mlIntern.workFolder says now (a run from before the setting: the root).
      this.claimScriptFolder(path.posix.dirname(scriptPath));
      return await this.resumeWatching(launched, scriptPath, recorded);
    } catch (err) {
      return this.ctx.fail(err, this.resumeHint());
    } finally {
      this.releaseLocks();
    }
  }

  private async resumeWatching(launched: Launched, scriptPath: string, recorded: Recorded): Promise<SessionOutcome> {
    await this.ctx.announce();
    this.ctx.emit({ type: 'run_state', runId: this.runId, state: 'running', message: 'Re-attached after a reload' });
    await this.readLoggingSteps(scriptPath);
    // 'training' is the card the panel rebuilt from metrics.jsonl after the reload (when this attempt had
    // logged any): keep drawing on it, named as the live process it is again.
    const attempt = Math.max(1, this.attempt);
    this.ctx.emit({ type: 'process_started', runId: this.runId, processId: 'training', name: `${path.basename(scriptPath)} (attempt ${attempt}, re-attached)`, argv: [] });
    let first = await this.ctx.watch(launched.run, this.watchSpec(launched, 'training', recorded));
    if (launched.jobId) {
      try {
        await this.slurm.afterJob(launched, attempt);
      } catch (err) {
        // Cut short while the window was closed, after a checkpoint: a new job goes on from it.
        await this.slurm.goesOnFrom(err, launched, scriptPath, { step: 0, resumes: true }, 0);
        first = await this.runOnce(scriptPath);
      }
    }
    // Exit 0 is not enough: a diverged run (NaN losses, also as transformers 5 prints them) exits 0 too.
    // Success says how many repairs it took, those before the reload included (attempt N: N - 1).
    if (!failedDiagnosis(first)) return this.finish('succeeded', undefined, attempt - 1, scriptPath);
    return this.repair(scriptPath, first);
  }

  /** OUTPUT_DIR as the accepted script has it (the user may have rejected or edited the proposed value), workspace-relative. */
  private async outputFolder(scriptPath: string): Promise<string> {
    const script = await this.deps.files.readIfExists(scriptPath).catch(() => undefined);
    const value = script ? readConfig(script).OUTPUT_DIR : undefined;
    const dir = typeof value === 'string' && value ? value : `outputs/${this.runId}`;
    // The script runs from its own folder, so a relative OUTPUT_DIR is relative to it.
    return path.posix.isAbsolute(dir) ? dir : path.posix.join(path.posix.dirname(scriptPath), dir);
  }

  private async finish(outcome: string, question: string | undefined, attempts: number, scriptPath: string): Promise<SessionOutcome> {
    if (outcome === 'succeeded') {
      const retries = attempts > 0 ? ` after ${attempts} automatic ${attempts === 1 ? 'repair' : 'repairs'}` : '';
      const model = await this.outputFolder(scriptPath);
      const summary = `Training finished${retries}. The model is in \`${model}\`; every script version, the logs and metrics.jsonl are in \`${this.handle.folder}\`.`;
      await this.ctx.say(summary);
      await this.handle.updateStatus({ model });
      await this.ctx.setState('succeeded', retries ? `Training finished${retries}.` : 'Training finished.');
      this.ctx.emit({ type: 'model_ready', runId: this.runId, folder: model });
      return { kind: 'succeeded', summary };
    }
    if (outcome === 'cancelled' || this.abort.signal.aborted) {
      await this.ctx.setState('stopped', 'The run was stopped.');
      return { kind: 'stopped', summary: 'stopped' };
    }
    const q = question ?? 'The run needs your decision.';
    if (outcome === 'budget_exhausted') {
      await this.ctx.setState('failed', q);
      return { kind: 'failed', summary: q };
    }
    // Nothing waits for an answer once a recipe run returns: a 'waiting' state would leave the
    // status bar waiting and Stop saying "no run is active". The run ends here, saying what to do next.
    const message = `Stopped at: ${q} Recipe mode cannot wait for an answer, so the run ends here. Do it yourself (or accept the fix next time), then run "ML Intern: Fine-tune" again with the same choices: the accepted scripts are kept.`;
    await this.ctx.setState('stopped', message);
    return { kind: 'needs_user', summary: message, question: q };
  }

  /** One training attempt: start detached, watch, archive its log. */
  private async runOnce(scriptPath: string, extraEnv?: Record<string, string>): Promise<RunResult> {
    if (this.abort.signal.aborted) return { exitCode: 130, logText: 'stopped' };
    this.attempt++;
    await this.readLoggingSteps(scriptPath);
    const runDirAbs = this.deps.files.resolve(this.handle.folder);
    const plan = this.launchPlan(scriptPath);
    const argv = smokeArgv(plan.argv, scriptPath);
    // GRPO's train.py writes its sampled completions where the run follows them (samplesFile below).
    const samples: Record<string, string> = this.request.method === 'grpo' ? { [SAMPLES_ENV]: path.join(runDirAbs, SAMPLES_FILE) } : {};
    const env = { ...(this.deps.processEnv ? await this.deps.processEnv() : {}), ...(extraEnv ?? {}), ...samples, PYTHONUNBUFFERED: '1' };
    if (plan.target === 'slurm' && plan.sbatchPath && plan.outputPattern) return this.slurm.untilDone(plan, env, scriptPath);
    const launcher = localLauncher(this.deps.launch, { argv, cwd: this.deps.files.resolve(path.dirname(scriptPath)), python: this.deps.python });
    const launched = await launcher.start({ name: `ML Intern: ${path.basename(scriptPath)} (attempt ${this.attempt})`, runDir: runDirAbs, env });
    const spec = this.watchSpec(launched);
    this.ctx.started(launched.run, spec);
    this.ctx.emit({ type: 'process_started', runId: this.runId, processId: `attempt-${this.attempt}`, name: path.basename(scriptPath), argv, python: this.deps.python });
    await this.handle.updateStatus({ pid: launched.run.pid, attempt: this.attempt });
    await this.ctx.record({ kind: 'note', text: `attempt ${this.attempt}: started ${argv.join(' ')} in ${path.dirname(scriptPath)} (${launched.label})` });
    const result = await this.ctx.watch(launched.run, spec);
    await archiveAttemptLog(runDirAbs, this.attempt);
    await this.ctx.record({ kind: 'note', text: `attempt ${this.attempt}: exit code ${result.exitCode}` });
    return result;
  }

  /** The accepted script's LOGGING_STEPS (a repair may have changed the script), for steps of logs without a bar. */
  private async readLoggingSteps(scriptPath: string): Promise<void> {
    const script = await this.deps.files.readIfExists(scriptPath).catch(() => undefined);
    const value = script ? readConfig(script).LOGGING_STEPS : undefined;
    this.loggingSteps = typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
  }

  /** How this session follows a process: its card, the script's LOGGING_STEPS, the attempt, and how a failure names it. */
  private watchSpec(launched: Launched, processId = `attempt-${this.attempt || 1}`, recorded?: Recorded): WatchSpec {
    const attempt = Math.max(1, this.attempt);
    return {
      processId,
      recorded,
      loggingSteps: this.loggingSteps,
      attempt,
      fullOutput: this.deps.fullOutput,
      ...(this.request.method === 'grpo' ? { samplesFile: path.join(this.deps.files.resolve(this.handle.folder), SAMPLES_FILE) } : {}),
      describe: () => ({
        what: launched.jobId ? `Training (${launched.label})` : `Training (attempt ${attempt}, ${launched.label})`,
        log: launched.jobId ? launched.run.logFile : `${this.handle.folder}/logs/train.log`,
      }),
    };
  }

  private async runCommand(argv: string[]): Promise<RunResult> {
    const launcher = localLauncher(this.deps.launch, { argv, cwd: this.deps.files.root, python: this.deps.python });
    const launched = await launcher.start({ name: `ML Intern: ${argv.slice(0, 4).join(' ')}`, runDir: this.deps.files.resolve(`${this.handle.folder}/commands/${Date.now()}`) });
    const spec = { ...this.watchSpec(launched), samplesFile: undefined };
    this.ctx.started(launched.run, spec);
    return this.ctx.watch(launched.run, spec);
  }

  /** Stop button / "ML Intern: Stop Run": SIGINT → SIGTERM → SIGKILL to the training process group. */
  stop(): Promise<void> {
    return this.ctx.stop();
  }
}
