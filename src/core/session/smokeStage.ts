/**
 * The smoke run inside a fine-tune session, before the full run: the accepted train.py with N steps
 * and an output folder under the run folder (smokeRun.ts), run and repaired like any run — the
 * repair loop's fixes are reviewed diffs of train.py itself, and each attempt writes the smoke copy
 * again from it — then measured, recorded in the run folder (smoke.json), shown as a card, and the
 * batch plan fitted to the measured memory offered as a reviewed diff of the CONFIG block.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { EventSink, FileStore, ProposedChange, ReviewDecision } from '../ports';
import { readConfig } from '../recipes/configBlock';
import { applyOverrides, ConfigOverrideError } from '../recipes/configOverrides';
import { Method } from '../recipes/spec';
import { MeasuredLengths } from '../recipes/lengthPlan';
import { RepairResult, RunResult, ScriptRunner } from '../recovery/repairLoop';
import { smokeArgv, smokeReport, SmokeReport, smokeScript, smokeSummaryLine, SMOKE_SCRIPT_NAME } from './smokeRun';

export interface SmokeStagePorts {
  runId: string;
  /** Workspace-relative run folder: smoke.json, smoke/train.py and smoke/output go there. */
  runDir: string;
  files: FileStore;
  events: EventSink;
  method: Method;
  datasetRows?: number;
  processes?: number;
  /** Mean tokens per row (the token preview), for tokens/s; without it MAX_LENGTH gives an upper bound. */
  tokensPerRow?: number;
  /** The token preview's measured lengths: the fitted plan counts the longest row instead of MAX_LENGTH. */
  lengths?: MeasuredLengths;
  /** Starts one run of a script and waits for its end (the session's own runs: log, panel, Stop). */
  runOnce: (scriptPath: string, env?: Record<string, string>) => Promise<RunResult>;
  /** The session's repair loop over the accepted script, with `run` in place of its runs. */
  repair: (scriptPath: string, run: ScriptRunner) => Promise<RepairResult>;
  propose: (change: ProposedChange) => Promise<ReviewDecision>;
  /** The full run's launch argv (python train.py, accelerate launch …): the smoke run's is the same on its copy. */
  argv: string[];
  /** Asks to run the smoke run (the session's approval gate); false skips it. */
  approve: (argv: string[], reason: string) => Promise<boolean>;
  say: (text: string) => Promise<void>;
}

export type SmokeStageResult = { kind: 'measured'; report: SmokeReport } | { kind: 'failed'; repair: RepairResult } | { kind: 'skipped'; reason: string };

/** Runs the smoke run; the accepted script (workspace-relative scriptPath) is only changed by reviewed diffs. */
export async function runSmokeStage(p: SmokeStagePorts, scriptPath: string, steps: number): Promise<SmokeStageResult> {
  const folder = path.posix.dirname(scriptPath);
  const smokePath = `${folder}/${SMOKE_SCRIPT_NAME}`;
  // OUTPUT_DIR is read from where the script runs (its folder): the smoke run's own folder, under the run folder.
  const outputDir = path.posix.relative(folder, `${p.runDir}/smoke/output`);
  try {
    smokeScript(await p.files.read(scriptPath), steps, outputDir);
  } catch (err) {
    // A script edited without MAX_STEPS (or with a CONFIG value of another kind): said, and the full run goes on.
    if (!(err instanceof ConfigOverrideError)) throw err;
    await p.say(`No smoke run: ${err.message}`);
    return { kind: 'skipped', reason: err.message };
  }
  if (!(await p.approve(smokeArgv(p.argv, smokePath), `Smoke run: ${steps} steps of ${scriptPath} before the full run`))) {
    await p.say('Smoke run skipped: the full run goes on with the reviewed settings.');
    return { kind: 'skipped', reason: 'not approved' };
  }
  let last: RunResult | undefined;
  const run: ScriptRunner = async (accepted, o) => {
    const smoke = smokeScript(await p.files.read(accepted), steps, outputDir);
    await p.files.write(smokePath, smoke);
    await p.files.write(`${p.runDir}/smoke/train.py`, smoke);
    try {
      last = await p.runOnce(smokePath, o.env);
    } finally {
      await fs.rm(p.files.resolve(smokePath), { force: true });
    }
    return last;
  };
  await p.say(`Smoke run: ${steps} steps of ${scriptPath} with its configuration (output in ${p.runDir}/smoke), to measure step time, tokens/s and peak memory before the full run.`);
  const repaired = await p.repair(scriptPath, run);
  if (repaired.outcome !== 'succeeded' || !last) return { kind: 'failed', repair: repaired };
  const accepted = await p.files.read(scriptPath);
  const config = readConfig(accepted);
  const report = smokeReport(last.logText, { config, steps, method: p.method, datasetRows: p.datasetRows, processes: p.processes, tokensPerRow: p.tokensPerRow, lengths: p.lengths });
  await p.files.write(`${p.runDir}/smoke.json`, JSON.stringify({ at: new Date().toISOString(), script: scriptPath, ...report }, null, 2) + '\n');
  p.events.emit({ type: 'smoke_result', runId: p.runId, report });
  // The card holds the figures; the message says it in one line (the full text twice read as a repeat).
  await p.say(smokeSummaryLine(report));
  const changes = report.fitted?.changes ?? {};
  if (Object.keys(changes).length) {
    const proposed = applyOverrides(accepted, changes);
    const why = report.fitted!.notes.join(' ');
    const decision = await p.propose({
      path: scriptPath, original: accepted, proposed, origin: 'recipe', runId: p.runId,
      description: `Batch plan fitted to the smoke run's measured peak (${report.measurement.peakMemoryGiB?.toFixed(1)} of ${report.measurement.gpuMemoryGiB?.toFixed(1)} GiB)${why ? `: ${why}` : ''}`,
    });
    await p.say(decision.kind === 'accepted' ? 'The fitted batch plan is in train.py: the full run uses it.' : 'The fitted batch plan was declined: the full run keeps the reviewed settings.');
  }
  return { kind: 'measured', report };
}
