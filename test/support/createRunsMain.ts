/**
 * Creates runs in a workspace from a separate process, for the cross-process
 * run-folder test (test/unit/runs/crossProcessCreate.test.ts):
 *
 *   node --import tsx test/support/createRunsMain.ts <workspace> <tag> <count> <clockMs>
 *
 * Prints "ready" once loaded, then waits for a line on stdin so that every
 * process starts creating at the same moment. Each run has the same title and
 * the same fixed clock (so the same first id); its goal names this process and
 * the run's number, so the test can tell who wrote each folder. Prints the ids
 * it got as one JSON array line, then exits.
 */
import { RunStore } from '../../src/core/runs/runStore';
import { NodeFileStore } from '../../src/core/util/nodeFileStore';

async function main(): Promise<void> {
  const [root, tag, count, clockMs] = process.argv.slice(2);
  const store = new RunStore(new NodeFileStore(root), { clock: { now: () => Number(clockMs) } });
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  process.stdin.pause();
  const ids: string[] = [];
  for (let i = 0; i < Number(count); i++) {
    const run = await store.create({ goal: `${tag} run ${i}`, title: 'Same title' });
    ids.push(run.id);
  }
  process.stdout.write(JSON.stringify(ids) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
