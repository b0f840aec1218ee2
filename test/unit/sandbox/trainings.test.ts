// mlIntern.sandboxTrainings: the sessions' trainings start in the sandbox through the host's
// launcher; off, they start as before; a sandbox that cannot start launches nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DetachedRun, DetachedSpec, startDetached } from '../../../src/core/exec/detached';
import { sandboxTrainings } from '../../../src/core/sandbox/trainings';
import { SandboxSettings } from '../../../src/core/sandbox/types';
import { makeBox, namespacesForbidden } from './helpers';

const skip = namespacesForbidden();

function settings(s: Partial<SandboxSettings>) {
  return () => ({ sandbox: { mode: 'bubblewrap' as const, network: 'off' as const, image: '', trainings: true, ...s } });
}

test('with sandboxTrainings a training cannot write outside the workspace; without it, it starts as before', { skip }, async () => {
  const box = makeBox();
  try {
    const script = path.join(box.workspace, 'train.py');
    writeFileSync(script, `open(${JSON.stringify(path.join(box.outside, 'out.txt'))}, "w").write("x")\nopen("in.txt", "w").write("x")\n`);
    const spec: DetachedSpec = { argv: ['python3', script], cwd: box.workspace, runDir: path.join(box.workspace, 'run'), name: 'train', env: { HOME: box.home } };
    const sandboxed = sandboxTrainings(startDetached, { settings: settings({}), workspace: box.workspace });
    const run = await sandboxed(spec, { pollMs: 50 });
    assert.notEqual((await run.exit).code, 0);
    run.dispose();
    assert.equal(existsSync(path.join(box.outside, 'out.txt')), false);

    const seen: DetachedSpec[] = [];
    const recording = async (s: DetachedSpec): Promise<DetachedRun> => {
      seen.push(s);
      throw new Error('not started in this test');
    };
    await assert.rejects(sandboxTrainings(recording, { settings: settings({ trainings: false }), workspace: box.workspace })(spec));
    assert.deepEqual(seen[0].argv, spec.argv, 'unchanged when the setting is off');
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
});

test('with sandboxTrainings and no bubblewrap the training is not launched and the error names the package', async () => {
  const box = makeBox();
  try {
    const bin = path.join(box.root, 'bin');
    mkdirSync(bin);
    symlinkSync('/usr/bin/python3', path.join(bin, 'python3'));
    let launched = 0;
    const launch = async (): Promise<DetachedRun> => {
      launched++;
      throw new Error('must not be called');
    };
    const spec: DetachedSpec = { argv: ['python3', 'train.py'], cwd: box.workspace, runDir: path.join(box.workspace, 'run'), name: 'train', env: { HOME: box.home, PATH: bin } };
    await assert.rejects(sandboxTrainings(launch, { settings: settings({}), workspace: box.workspace })(spec), /apt-get install bubblewrap/);
    assert.equal(launched, 0);
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
});
