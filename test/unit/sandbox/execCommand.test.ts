// `ml-intern exec -- ARGV…`: the command runs as an agent command runs (sandboxed, secrets hidden
// in its output) and its exit code is the CLI's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs, UsageError } from '../../../src/cli/command';
import { execCommand } from '../../../src/cli/commands/exec';
import { makeBox, namespacesForbidden } from './helpers';

const skip = namespacesForbidden();

function io(env: NodeJS.ProcessEnv) {
  const seen = { out: '', err: '' };
  return { seen, io: { out: (t: string) => void (seen.out += t), err: (t: string) => void (seen.err += t), cwd: process.cwd(), env } };
}

test('exec streams the sandboxed command, hides HF_TOKEN in its output and exits with its exit code', { skip }, async () => {
  const box = makeBox();
  try {
    const token = 'hf_' + 'Q'.repeat(34);
    const { seen, io: cliIo } = io({ ...box.env, HF_TOKEN: token });
    const args = parseArgs(['--workspace', box.workspace, '--sandbox', 'bubblewrap', '--', 'sh', '-c', `echo token=$HF_TOKEN; echo x > ${box.outside}/x.txt; exit 3`], execCommand.booleanFlags);
    const code = await execCommand.run(args, cliIo);
    assert.equal(code, 3);
    assert.match(seen.out, /token=/);
    assert.ok(!seen.out.includes(token), 'the token is redacted');
    assert.match(seen.err, /Read-only file system/);
    assert.equal(existsSync(path.join(box.outside, 'x.txt')), false);
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
});

test('exec refuses an unknown sandbox or network name instead of running unconfined', async () => {
  const { io: cliIo } = io(process.env);
  await assert.rejects(execCommand.run(parseArgs(['--sandbox', 'bwrap', '--', 'true']), cliIo), (e: unknown) => e instanceof UsageError && /--sandbox must be one of/.test(e.message));
  await assert.rejects(execCommand.run(parseArgs(['--network', 'none', '--', 'true']), cliIo), (e: unknown) => e instanceof UsageError && /--network must be one of off, allowlist, on/.test(e.message));
});
