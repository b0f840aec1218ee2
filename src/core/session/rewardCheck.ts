/**
 * A GRPO run's rewards tested before any GPU time, in the session (the CLI's `ml-intern reward-test`
 * does the same on demand): every reward of the accepted rewards.py scored on a few dataset rows with
 * the reference itself, a wrong answer and a malformed one. A reward that cannot tell right from wrong
 * teaches nothing, and a run with only such rewards burns GPU hours for no learning: the user sees the
 * scores, and a warning when that is the case, before the training approval.
 */
import * as path from 'node:path';
import { AgentEvent } from '../events';
import { FileStore } from '../ports';
import { formatRewardTest, rewardTestProblems, runRewardTest } from '../preflight/rewardTest';

export interface RewardCheckPorts {
  runId: string;
  /** Workspace-relative run folder: reward-test.json is kept there. */
  runDir: string;
  files: FileStore;
  events: { emit(event: AgentEvent): void };
  python: string;
  env: Record<string, string>;
  say: (text: string) => Promise<void>;
  signal?: AbortSignal;
}

/** Rows scored per reward: enough to see a pattern, quick on any machine. */
const ROWS = 3;

export async function checkRewardsBeforeRun(p: RewardCheckPorts, scriptPath: string): Promise<void> {
  const folder = path.posix.dirname(scriptPath);
  if (!(await p.files.exists(`${folder}/rewards.py`))) return;
  const dir = p.files.resolve(folder);
  try {
    // The script's DATASET is read from where it runs (its folder), as train.py reads it.
    const report = await runRewardTest(p.python, dir, ROWS, { cwd: dir, env: { ...process.env, ...p.env }, signal: p.signal });
    await p.files.write(`${p.runDir}/reward-test.json`, JSON.stringify(report, null, 2) + '\n');
    await p.say(`Reward test before any GPU time (${folder}/rewards.py on the first rows of the data: the reference, a wrong and a malformed answer):\n\n\`\`\`text\n${formatRewardTest(report)}\n\`\`\``);
    const problems = rewardTestProblems(report);
    if (problems.length) {
      p.events.emit({ type: 'notice', runId: p.runId, level: 'warning', message: `The rewards may teach nothing: ${problems.join(' ')} Fix rewards.py or ANSWER_COLUMN before the full run (ml-intern reward-test ${folder} checks again).` });
    }
  } catch (err) {
    if (p.signal?.aborted) throw err;
    const why = (err instanceof Error ? err.message : String(err)).replace(/\.$/, '');
    await p.say(`The reward test could not run (${why}). The run goes on; \`ml-intern reward-test ${folder}\` shows the scores once it can.`);
  }
}
