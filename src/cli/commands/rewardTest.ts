import { CliCommand, EXIT_FAILED, EXIT_OK, UsageError, flagNumber, flagString } from '../command';
import { defaultPython } from '../../core/python';
import { formatRewardTest, rewardTestProblems, runRewardTest } from '../../core/preflight/rewardTest';

export const rewardTestCommand: CliCommand = {
  name: 'reward-test',
  summary: 'Before any GPU time: score a GRPO recipe\'s rewards on the reference, a wrong and a malformed answer',
  usage: 'ml-intern reward-test <recipe dir> [--rows N] [--json] [--python P]\n' +
    '  Runs every reward of rewards.py on the first N rows (default 3) of train.py\'s DATASET with three\n' +
    '  completions per row: the reference itself, a wrong answer, a malformed one. A reward that does not score\n' +
    '  the reference above the wrong answer is flagged. Exit 1 when a reward raises or none tells right from wrong.',
  async run(args, io) {
    const [target, ...extra] = args.positional;
    if (!target || extra.length) throw new UsageError(target ? 'give exactly one recipe folder' : 'missing <recipe dir>');
    const rows = flagNumber(args, 'rows') ?? 3;
    if (!Number.isInteger(rows) || rows < 1) throw new UsageError(`--rows must be a whole number of at least 1, got ${rows}`);
    const python = defaultPython(io.env, flagString(args, 'python'));
    const report = await runRewardTest(python, target, rows, { cwd: io.cwd, env: { ...process.env, ...io.env } });
    if (args.flags.json) io.out(JSON.stringify(report, null, 2) + '\n');
    else io.out(formatRewardTest(report) + '\n');
    return rewardTestProblems(report).length ? EXIT_FAILED : EXIT_OK;
  },
};
