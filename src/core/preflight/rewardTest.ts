/**
 * `reward-test`: runs a GRPO recipe's rewards on a few dataset rows (python/reward_test.py) with
 * the reference, a wrong answer and a malformed completion, and says which rewards cannot tell
 * right from wrong before any GPU time is spent on them.
 */
import { runPythonHelper, RunHelperOptions } from '../python';

export interface RewardSampleScores {
  row: number;
  reference: number | null;
  wrong: number | null;
  malformed: number | null;
}

export interface RewardTestEntry {
  name: string;
  weight: number;
  scores: RewardSampleScores[];
  errors: { row: number; error: string; trace?: string }[];
  /** Every row scored the reference above the wrong answer. */
  distinguishes: boolean;
}

export interface RewardTestReport {
  rows: number;
  answerColumn: string | null;
  rewards: RewardTestEntry[];
  /** What the samples were made of where that is not the reference column itself (code: the row's solution). */
  notes?: string[];
}

function isReport(v: unknown): v is RewardTestReport {
  const r = v as RewardTestReport;
  return typeof r === 'object' && r !== null && typeof r.rows === 'number' && Array.isArray(r.rewards);
}

export async function runRewardTest(python: string, recipeDir: string, rows: number, opts: RunHelperOptions = {}): Promise<RewardTestReport> {
  const out = await runPythonHelper(python, 'reward_test.py', [recipeDir, '--rows', String(rows)], opts);
  if (!isReport(out)) throw new Error('reward_test.py printed something that is not a reward report');
  return out;
}

/** Problems that should stop the user before training: a reward that raised, or none that can tell right from wrong. */
export function rewardTestProblems(report: RewardTestReport): string[] {
  const problems: string[] = [];
  for (const r of report.rewards) {
    if (r.errors.length) problems.push(`${r.name} raised on ${r.errors.length} of ${report.rows} rows (${r.errors[0].error}): a reward that raises stops training`);
  }
  if (!report.rewards.length) problems.push('rewards.py lists no reward in REWARD_FUNCS');
  else if (!report.rewards.some((r) => r.distinguishes)) problems.push('no reward scores the reference answer above a wrong one: training would get no signal about correctness');
  return problems;
}

const cell = (v: number | null): string => (v === null ? '  None' : v.toFixed(2).padStart(6));

export function formatRewardTest(report: RewardTestReport): string {
  const lines = [`Rewards on ${report.rows} row(s)${report.answerColumn ? `, reference from column "${report.answerColumn}"` : ', no reference column'}:`, ''];
  for (const note of report.notes ?? []) lines.push(`Note: ${note}`);
  if (report.notes?.length) lines.push('');
  lines.push(`${'reward'.padEnd(24)} weight   row  reference  wrong  malformed`);
  for (const r of report.rewards) {
    for (const s of r.scores) lines.push(`${r.name.padEnd(24)} ${String(r.weight).padStart(6)} ${String(s.row).padStart(5)}  ${cell(s.reference)}    ${cell(s.wrong)} ${cell(s.malformed)}`);
    for (const e of r.errors) lines.push(`${r.name.padEnd(24)} row ${e.row}: raised ${e.error}`);
    if (!r.distinguishes) lines.push(`  ! ${r.name} cannot tell right from wrong: the reference does not score above a wrong answer${r.scores.every((s) => s.reference === s.wrong) ? ' (same score: it may not read the answer at all, like a format or length reward)' : ''}`);
  }
  const problems = rewardTestProblems(report);
  lines.push('', problems.length ? `Problems:\n- ${problems.join('\n- ')}` : 'OK: at least one reward tells right from wrong and none raised.');
  return lines.join('\n');
}
