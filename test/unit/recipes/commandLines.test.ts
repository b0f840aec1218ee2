/**
 * Command lines shown to a person (to paste into a shell, or to approve) are POSIX-quoted: a model
 * folder or an argument holding a quote, a `;` or a line break stays the one word it is, so what is
 * read, pasted or approved is what runs (issue 24, shell target).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/main';
import { CliIo } from '../../../src/cli/command';
import { recipeCommand } from '../../../src/cli/commands/recipe';
import { cliApprover } from '../../../src/cli/interaction';
import { DEFAULT_SETTINGS } from '../../../src/core/settings';

function io(cwd: string): CliIo & { stdout: string; stderr: string } {
  const o = { stdout: '', stderr: '', cwd, env: {} as NodeJS.ProcessEnv, out: (t: string) => void (o.stdout += t), err: (t: string) => void (o.stderr += t) };
  return o;
}

/** The words bash itself makes of a line (printf prints one per line), run in `cwd` in case quoting failed. */
function bashWords(line: string, cwd: string): string[] {
  const r = spawnSync('bash', ['-c', `printf '%s\\n' ${line}`], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').slice(0, -1);
}

test('recipe prints its commands quoted for bash: a hostile output folder stays one argument', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ml-intern-cmdline-'));
  const outputDir = "it's $(touch PWNED); `touch PWNED` && rm -rf ~ #";
  writeFileSync(join(dir, 'spec.json'), JSON.stringify({ method: 'merge', mergeMethod: 'linear', models: [{ model: 'a/b', weight: 0.5 }, { model: 'c/d', weight: 0.5 }], outputDir, hubRepo: 'me/merged' }));
  const o = io(dir);
  assert.equal(await runCli(['recipe', 'spec.json', '--out', 'o'], o, [recipeCommand]), 0, o.stderr);
  const merge = o.stdout.split('\n').find((l) => l.startsWith('  mergekit-yaml '))!;
  const upload = o.stdout.split('\n').find((l) => / upload /.test(l))!;
  // The whole printed line, description included, as a user would paste it.
  assert.deepEqual(bashWords(merge, dir), ['mergekit-yaml', 'config.yaml', `./${outputDir}`, '--cuda']);
  assert.deepEqual(bashWords(upload, dir).slice(1), ['upload', 'me/merged', `./${outputDir}`, '.']);
  assert.equal(existsSync(join(dir, 'PWNED')), false);
});

test('the CLI approval names the command as a shell would need it, one word per argument', async () => {
  const o = io(tmpdir());
  const refused: string[] = [];
  const approve = cliApprover(o, DEFAULT_SETTINGS.autoApprove, false, refused);
  const answer = await approve({ argv: ['python', 'train.py', 'a b; rm -rf ~'], reason: 'train', origin: 'recipe', cwd: '/w', tool: 'run' });
  assert.equal(answer.approved, false);
  assert.match(o.stderr, /`python train\.py 'a b; rm -rf ~'`/);
});
