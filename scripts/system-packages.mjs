// The Debian packages the tests need (scripts/debian-packages.txt, the list .ci/run installs too):
// as root, missing ones are installed; otherwise they are named with the command that installs
// them, and the test command stops before running tests that would fail for want of them.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const LIST = new URL('./debian-packages.txt', import.meta.url);

export function debianPackages() {
  return readFileSync(LIST, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

/** Throws with an actionable message when packages are missing and cannot be installed here. */
export function ensureSystemPackages(log = (m) => console.log(`[system packages] ${m}`)) {
  if (process.env.ML_INTERN_SKIP_SYSTEM_PACKAGES) return;
  // Not Debian/Ubuntu: nothing to check with dpkg; the tests name what they miss themselves.
  if (spawnSync('dpkg', ['--version'], { stdio: 'ignore' }).status !== 0) return;
  const missing = debianPackages().filter((p) => spawnSync('dpkg', ['-s', p], { stdio: 'ignore' }).status !== 0);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`Missing Debian packages the tests need: ${missing.join(' ')}.\nInstall them with: sudo apt-get install -y ${missing.join(' ')}\n(or set ML_INTERN_SKIP_SYSTEM_PACKAGES=1 to run anyway; the tests that need them will fail)`);
  }
  log(`installing: ${missing.join(' ')}`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    ensureSystemPackages();
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
