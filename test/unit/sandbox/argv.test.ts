// The argv builders and the "sandboxed" approval rule, on their own: the order of mounts that
// keeps secrets hidden, what each network setting becomes, what still asks the user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { prepareSandbox } from '../../../src/core/sandbox/prepare';
import { makeBox } from './helpers';
import { whySandboxedAsks } from '../../../src/core/sandbox/autoApprove';
import { bubblewrapArgv } from '../../../src/core/sandbox/bubblewrap';
import { containerArgv } from '../../../src/core/sandbox/container';
import { defaultPolicy } from '../../../src/core/sandbox/policy';
import { seatbeltProfile } from '../../../src/core/sandbox/seatbelt';

const env = { HOME: '/home/u', PATH: '/usr/bin' };
const policy = (network: 'off' | 'allowlist' | 'on') => defaultPolicy({ workspace: '/ws', runDir: '/ws/.ml-intern/runs/r1', env, network, limits: { maxMemoryBytes: 1 << 30 } });

test('bubblewrap: root read-only, the workspace and HF cache writable, the HF token hidden over the cache, GPUs bound', () => {
  const p = policy('off');
  const argv = bubblewrapArgv(
    { program: 'bwrap', policy: p, writable: p.writable, hidden: [{ path: '/home/u/.ssh', type: 'dir' }, { path: '/home/u/.cache/huggingface/token', type: 'file' }], devices: ['/dev/nvidia0'], cwd: '/ws' },
    ['python', 'train.py'],
  );
  const at = (...xs: string[]) => argv.findIndex((_, i) => xs.every((x, j) => argv[i + j] === x));
  assert.ok(at('--ro-bind', '/', '/') >= 0);
  assert.ok(at('--bind', '/ws', '/ws') > at('--ro-bind', '/', '/'));
  assert.ok(at('--bind', '/home/u/.cache/huggingface', '/home/u/.cache/huggingface') > 0, 'the HF cache is writable');
  assert.ok(at('--ro-bind', '/dev/null', '/home/u/.cache/huggingface/token') > at('--bind', '/home/u/.cache/huggingface', '/home/u/.cache/huggingface'), 'the token is hidden after the cache is bound');
  assert.ok(at('--tmpfs', '/home/u/.ssh') > 0);
  assert.ok(at('--dev-bind', '/dev/nvidia0', '/dev/nvidia0') > 0);
  assert.ok(argv.includes('--unshare-net'));
  assert.deepEqual(argv.slice(-3), ['--', 'python', 'train.py']);
  const on = bubblewrapArgv({ program: 'bwrap', policy: policy('on'), writable: [], hidden: [], devices: [], cwd: '/ws' }, ['true']);
  assert.ok(!on.includes('--unshare-net'), 'network on shares the host network');
});

test('the default policy hides the usual credential files under HOME', () => {
  const p = policy('off');
  for (const secret of ['.ssh', '.aws', '.config/gh', '.netrc', '.docker/config.json', '.kube', '.huggingface/token', '.cache/huggingface/token']) {
    assert.ok(p.hidden.includes(`/home/u/${secret}`), secret);
  }
  assert.ok(!p.writable.includes('/home/u'), 'the home itself is not writable');
  const custom = defaultPolicy({ workspace: '/ws', env: { HOME: '/home/u', HF_HOME: '/data/hf' }, network: 'off' });
  assert.ok(custom.writable.includes('/data/hf'));
  assert.ok(custom.hidden.includes('/data/hf/token'), 'the token inside a custom HF_HOME is hidden too');
});

test('container: env values never on the argv, the HF token covered, no network when off, limits and GPUs passed', () => {
  const argv = containerArgv(
    { program: 'docker', image: 'img:1', policy: policy('off'), cwd: '/ws', envNames: ['HF_TOKEN'], gpus: true, hiddenInside: [{ path: '/home/u/.cache/huggingface/token', type: 'file' }] },
    ['python', 'x.py'],
  );
  const mounts = argv.join(' ');
  assert.ok(mounts.indexOf('-v /dev/null:/home/u/.cache/huggingface/token:ro') > mounts.indexOf('-v /home/u/.cache/huggingface:/home/u/.cache/huggingface'), 'the HF token is covered inside the mounted cache');
  assert.ok(argv.join(' ').includes('-e HF_TOKEN'));
  assert.ok(!argv.some((a) => a.includes('HF_TOKEN=')));
  assert.ok(argv.join(' ').includes('--network none'));
  assert.ok(argv.join(' ').includes('--gpus all'));
  assert.ok(argv.join(' ').includes('--pids-limit 16384'));
  assert.ok(argv.join(' ').includes(`--memory ${1 << 30}`));
  assert.deepEqual(argv.slice(-3), ['img:1', 'python', 'x.py']);
});

test('seatbelt: writes only in the writable folders, secrets unreadable, network denied when off', () => {
  const profile = seatbeltProfile(policy('off'));
  assert.match(profile, /\(deny file-write\*\)/);
  assert.match(profile, /\(allow file-write\* .*\(subpath "\/ws"\)/);
  assert.match(profile, /\(deny file-read\* file-write\* .*\(subpath "\/home\/u\/\.ssh"\)/);
  assert.match(profile, /\(deny network\*\)/);
  assert.doesNotMatch(seatbeltProfile(policy('on')), /deny network/);
});

test('"sandboxed" lets through only what stays inside: installs, pushes and the network still ask', () => {
  const off = { label: 'bubblewrap, network off', network: 'off' as const };
  assert.equal(whySandboxedAsks({ argv: ['python', 'train.py'], sandbox: off }), undefined);
  assert.match(whySandboxedAsks({ argv: ['python', 'train.py'] }) ?? '', /does not run in a sandbox/);
  assert.match(whySandboxedAsks({ argv: ['python', 'train.py'], sandbox: { ...off, network: 'on' } }) ?? '', /network is on/);
  assert.match(whySandboxedAsks({ argv: ['python', 'train.py'], sandbox: { ...off, network: 'allowlist' } }) ?? '', /network is allowlist/);
  assert.match(whySandboxedAsks({ argv: ['/venv/bin/python', '-m', 'pip', 'install', 'trl'], sandbox: off }) ?? '', /installs/);
  assert.match(whySandboxedAsks({ argv: ['uv', 'pip', 'install', 'trl'], sandbox: off }) ?? '', /installs/);
  assert.match(whySandboxedAsks({ argv: ['huggingface-cli', 'upload', 'me/model', 'out'], sandbox: off }) ?? '', /Hub/);
  assert.match(whySandboxedAsks({ argv: ['git', 'push'], sandbox: off }) ?? '', /git remote/);
  assert.match(whySandboxedAsks({ argv: ['python', 'snippet-1.py'], detail: 'model.push_to_hub("me/m")', sandbox: off }) ?? '', /Hub/);
});

test('container through prepareSandbox: the HF token file that exists in the mounted cache is covered; no image, nothing runs', () => {
  const box = makeBox();
  try {
    const bin = path.join(box.root, 'bin');
    mkdirSync(bin);
    // Only found on the PATH here, never started: the argv is what is checked.
    writeFileSync(path.join(bin, 'docker'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const env = { ...box.env, PATH: bin };
    const prepared = prepareSandbox({ settings: { mode: 'container', network: 'off', image: 'trainer:1' }, workspace: box.workspace, env });
    assert.ok(prepared.ok && prepared.plan, prepared.ok ? 'no plan' : prepared.message);
    const argv = prepared.plan.wrap(['python', 'train.py'], box.workspace, { HF_TOKEN: 'x' });
    assert.equal(argv[0], path.join(bin, 'docker'));
    assert.ok(argv.join(' ').includes(`/dev/null:${path.join(box.home, '.cache', 'huggingface', 'token')}:ro`), argv.join(' '));
    assert.ok(!argv.join(' ').includes(`${box.home}/.ssh`), 'the home is not mounted at all');
    const noImage = prepareSandbox({ settings: { mode: 'container', network: 'off', image: '' }, workspace: box.workspace, env });
    assert.ok(!noImage.ok && /mlIntern\.sandboxImage/.test(noImage.message));
  } finally {
    rmSync(box.root, { recursive: true, force: true });
  }
});
