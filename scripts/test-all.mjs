// `npm test`: everything CI checks, in order — build, types, lint, unit tests
// (node:test), Python helper tests (unittest), and the real-workbench E2E suite.
// Each step's own runner prints its counts; this prints one summary at the end.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ensureSystemPackages } from './system-packages.mjs';

const steps = [
  ['build', 'npm', ['run', 'build']],
  ['check-types', 'npm', ['run', 'check-types']],
  ['lint', 'npm', ['run', 'lint']],
  ['unit', 'npm', ['run', 'test:unit']],
  ['python', 'npm', ['run', 'test:python']],
];
if (existsSync('test/e2e/run.mjs') && !process.env.ML_INTERN_SKIP_E2E) steps.push(['e2e', 'npm', ['run', 'test:e2e']]);

// The Debian packages first (installed as root, else named): the Slurm and E2E tests need them.
try {
  ensureSystemPackages();
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}

const results = [];
for (const [name, cmd, args] of steps) {
  console.log(`\n=== ${name} ===`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  results.push({ name, ok: r.status === 0, seconds: ((Date.now() - started) / 1000).toFixed(1) });
  if (r.status !== 0 && name === 'build') break;
}
console.log('\n=== summary ===');
for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.seconds} s)`);
if (process.env.ML_INTERN_SKIP_E2E) console.log('note: the E2E suite was skipped because ML_INTERN_SKIP_E2E is set');
const failed = results.filter((r) => !r.ok).length;
process.exit(failed === 0 && results.length === steps.length ? 0 : 1);
