/**
 * The repair loop: run → fail → diagnose → playbook fix (or LLM fix) → review
 * → run again, until the run succeeds, the retry budget is spent, or the user
 * must decide. Independent of VS Code and of the agent loop: both call it with
 * their own ports and runner.
 *
 * Stops and asks when: a fix is rejected; the playbook's answer is a question;
 * the same category comes back and the fix proposed is one already applied for
 * it (the same fix twice); no rule knows and there is no LLM; the budget
 * (Settings.maxRecoveryAttempts, default 5) is spent.
 */
import { createTwoFilesPatch } from 'diff';
import { EventSink, FileStore, Reviewer } from '../ports';
import { LlmError, LlmProvider } from '../llm/types';
import { DEFAULT_SETTINGS } from '../settings';
import { diagnose } from './diagnose';
import { pipFailureAdvice } from './packages';
import { proposeLlmFix } from './llmFix';
import { AttemptSummary, PlaybookFix, playbook } from './playbook';
import { Diagnosis, RecoveryEnvironment } from './types';

export interface RunResult {
  exitCode: number;
  logText: string;
}

export type ScriptRunner = (scriptPath: string, options: { env?: Record<string, string>; attempt: number; signal?: AbortSignal }) => Promise<RunResult>;

export interface RepairLoopOptions {
  runId: string;
  /** Workspace-relative run folder; recovery.jsonl goes there. */
  runDir: string;
  /** Workspace-relative path of the script. */
  scriptPath: string;
  files: FileStore;
  reviewer: Reviewer;
  events: EventSink;
  run: ScriptRunner;
  llm?: LlmProvider;
  environment?: RecoveryEnvironment;
  /** Default: Settings.maxRecoveryAttempts (5). */
  maxAttempts?: number;
  /** Ask the user to approve a command (pip install). Absent: the loop stops and asks. */
  approveCommand?: (argv: string[], description: string) => Promise<boolean>;
  runCommand?: (argv: string[]) => Promise<RunResult>;
  python?: string;
  /** The failed run that starts the loop, when the caller already ran the script. */
  firstResult?: RunResult;
  signal?: AbortSignal;
  now?: () => number;
}

export type AttemptOutcome = 'fixed' | 'failed_again' | 'rejected' | 'asked_user' | 'command_failed' | 'cancelled';

export interface RepairAttempt {
  attempt: number;
  at: string;
  category: string;
  summary: string;
  evidence: string[];
  origin: 'playbook' | 'agent' | 'none';
  fixKind: PlaybookFix['kind'];
  fixId?: string;
  description: string;
  /** Unified diff of the script change (empty when none). */
  diff: string;
  argv?: string[];
  env?: Record<string, string>;
  outcome?: AttemptOutcome;
  exitCode?: number;
  llmCalls?: number;
}

export interface RepairResult {
  outcome: 'succeeded' | 'needs_user' | 'budget_exhausted' | 'cancelled';
  attempts: RepairAttempt[];
  /** What to ask the user (needs_user / budget_exhausted). */
  question?: string;
  lastDiagnosis?: Diagnosis;
  script: string;
}

/** A run "succeeds" when it exits 0 without NaN losses (a NaN run exits 0 too); else what went wrong. */
export function failedDiagnosis(r: RunResult): Diagnosis | undefined {
  const d = diagnose(r.logText);
  if (r.exitCode === 0 && d.category !== 'nan_loss') return undefined;
  // Killed by a signal with nothing in the log to explain it (SIGKILL from the kernel's OOM killer, a scheduler, a user): say so.
  if (d.category === 'unknown' && r.exitCode > 128 && r.exitCode < 160) return { ...d, summary: `${killedSummary(r.exitCode)} ${d.summary}` };
  return d;
}

function killedSummary(code: number): string {
  const signal = code - 128;
  if (signal === 9) {
    return `The training process was killed (exit ${code}, SIGKILL): usually the machine ran out of RAM (the kernel's OOM killer; check \`dmesg\`) or a scheduler or user stopped it.`;
  }
  return `The training process was killed by signal ${signal} (exit ${code}).`;
}

export async function repairLoop(o: RepairLoopOptions): Promise<RepairResult> {
  const maxAttempts = o.maxAttempts ?? DEFAULT_SETTINGS.maxRecoveryAttempts;
  const now = o.now ?? Date.now;
  const attempts: RepairAttempt[] = [];
  const applied: Array<{ category: string; signature: string }> = [];
  let env: Record<string, string> = {};
  let result = o.firstResult ?? (await o.run(o.scriptPath, { attempt: 0, signal: o.signal }));
  let script = await o.files.read(o.scriptPath);

  const record = async (a: RepairAttempt) => {
    await o.files.append(`${o.runDir}/recovery.jsonl`, JSON.stringify(a) + '\n');
  };
  const stop = async (outcome: RepairResult['outcome'], question: string | undefined, d?: Diagnosis): Promise<RepairResult> => {
    if (question) o.events.emit({ type: 'ask_user', runId: o.runId, question });
    return { outcome, attempts, question, lastDiagnosis: d, script };
  };

  for (let n = 1; ; n++) {
    const d = failedDiagnosis(result);
    const prev = attempts[attempts.length - 1];
    if (prev) {
      prev.outcome = d ? 'failed_again' : 'fixed';
      prev.exitCode = result.exitCode;
      await record(prev);
    }
    if (!d) return { outcome: 'succeeded', attempts, script };
    if (o.signal?.aborted) return stop('cancelled', undefined, d);
    if (n > maxAttempts) {
      return stop('budget_exhausted', `The run still fails after ${maxAttempts} repair attempts (${d.category}: ${d.summary}). Raise mlIntern.maxRecoveryAttempts or fix it by hand.`, d);
    }

    script = await o.files.read(o.scriptPath);
    const history: AttemptSummary[] = attempts.map((a) => ({ category: a.category as AttemptSummary['category'], fixId: a.fixId }));
    let fix = playbook({ diagnosis: d, script, history, environment: o.environment, python: o.python });
    let origin: RepairAttempt['origin'] = fix.kind === 'llm' ? 'none' : 'playbook';
    let llmCalls: number | undefined;
    if (fix.kind === 'llm') {
      if (!o.llm) {
        fix = { kind: 'user', id: 'llm:none', question: `${d.summary} No playbook rule fixes '${d.category}' and no LLM provider is set (setting mlIntern.provider). How should the script change?` };
      } else {
        try {
          const r = await proposeLlmFix({ llm: o.llm, diagnosis: d, script, scriptPath: o.scriptPath, logText: result.logText, exitCode: result.exitCode, signal: o.signal });
          llmCalls = r.calls;
          if (r.ok) {
            fix = { kind: 'edit', id: `llm:${d.category}`, script: r.script, description: r.description };
            origin = 'agent';
          } else fix = { kind: 'user', id: 'llm:malformed', question: `${d.summary} The LLM's fix could not be applied (${r.reason}). How should the script change?` };
        } catch (err) {
          // The run's LLM budget is spent: the user decides, as when no LLM is set (the message names the setting to raise).
          if (!(err instanceof LlmError && err.kind === 'budget')) throw err;
          fix = { kind: 'user', id: 'llm:budget', question: `${d.summary} No playbook rule fixes '${d.category}'. ${err.message} How should the script change?` };
        }
      }
    }

    const description = fix.kind === 'user' ? fix.question : fix.description;
    const diff = fix.kind === 'edit' ? createTwoFilesPatch(o.scriptPath, o.scriptPath, script, fix.script, '', '', { context: 3 }) : '';
    const attempt: RepairAttempt = {
      attempt: n,
      at: new Date(now()).toISOString(),
      category: d.category,
      summary: d.summary,
      evidence: d.evidence,
      origin,
      fixKind: fix.kind,
      fixId: fix.id,
      description,
      diff,
      ...(fix.kind === 'command' ? { argv: fix.argv } : {}),
      ...(fix.kind === 'retry' ? { env: fix.env } : {}),
      ...(llmCalls !== undefined ? { llmCalls } : {}),
    };
    attempts.push(attempt);
    o.events.emit({ type: 'diagnosis', runId: o.runId, attempt: n, category: d.category, summary: d.summary, fix: description });

    // The same failure after the same fix: repeating it would loop.
    const signature = fix.kind === 'edit' ? `${fix.id}\n${diff.split('\n').slice(2).join('\n')}` : fix.id;
    if (fix.kind !== 'user' && applied.some((a) => a.category === d.category && a.signature === signature)) {
      attempt.outcome = 'asked_user';
      await record(attempt);
      return stop('needs_user', `'${d.category}' came back after the same fix was already applied (${description}). ${d.summary} How should we proceed?`, d);
    }

    switch (fix.kind) {
      case 'user':
        attempt.outcome = 'asked_user';
        await record(attempt);
        return stop('needs_user', fix.question, d);
      case 'edit': {
        const decision = await o.reviewer.propose(
          { path: o.scriptPath, original: script, proposed: fix.script, description: fix.description, origin: origin === 'agent' ? 'agent' : 'playbook', runId: o.runId },
          o.signal,
        );
        if (decision.kind === 'rejected') {
          attempt.outcome = 'rejected';
          await record(attempt);
          return stop('needs_user', `The fix was rejected${decision.reason ? ` (${decision.reason})` : ''}: ${fix.description}. What should change instead?`, d);
        }
        if ((await o.files.readIfExists(o.scriptPath)) !== decision.text) await o.files.write(o.scriptPath, decision.text);
        await o.files.write(`${o.runDir}/scripts/attempt-${n}.py`, decision.text);
        script = decision.text;
        break;
      }
      case 'command': {
        const ok = o.approveCommand && o.runCommand ? await o.approveCommand(fix.argv, fix.description) : false;
        if (!ok) {
          attempt.outcome = 'asked_user';
          await record(attempt);
          return stop('needs_user', `${fix.description}. Run it? (${fix.argv.join(' ')})`, d);
        }
        const r = await o.runCommand!(fix.argv);
        if (r.exitCode !== 0) {
          attempt.outcome = 'command_failed';
          attempt.exitCode = r.exitCode;
          await record(attempt);
          const advice = fix.argv.includes('pip') ? ` ${pipFailureAdvice(r.logText, fix.argv[0])}` : '';
          return stop('needs_user', `'${fix.argv.join(' ')}' failed (exit ${r.exitCode}). ${lastLine(r.logText)}${advice}`, d);
        }
        break;
      }
      case 'retry':
        env = { ...env, ...fix.env };
        break;
    }
    applied.push({ category: d.category, signature });
    result = await o.run(o.scriptPath, { env: Object.keys(env).length ? env : undefined, attempt: n, signal: o.signal });
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}
