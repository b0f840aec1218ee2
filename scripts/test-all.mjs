// `npm test`: everything CI checks — build, then types, lint and the Python helper tests (side by
// side: they are independent and each uses about one core), then the unit tests (node:test), then
// the real-workbench E2E suite. Each step's own runner prints its counts; this prints one summary.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ensureSystemPackages } from './system-packages.mjs';

const npm = (script) => ['npm', ['run', script]];
const stages = [
  [['build', ...npm('build')]],
  [['check-types', ...npm('check-types')], ['lint', ...npm('lint')], ['python', ...npm('test:python')]],
  [['unit', ...npm('test:unit')]],
];
if (existsSync('test/e2e/run.mjs') && !process.env.ML_INTERN_SKIP_E2E) stages.push([['e2e', ...npm('test:e2e')]]);

// The Debian packages first (installed as root, else named): the Slurm and E2E tests need them.
try {
  ensureSystemPackages();
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}

/** One step; alone it prints as it goes, beside others its output is printed whole when it ends. */
function run([name, cmd, args], alone) {
  const started = Date.now();
  if (alone) {
    console.log(`\n=== ${name} ===`);
    const r = spawnSync(cmd, args, { stdio: 'inherit' });
    return Promise.resolve({ name, ok: r.status === 0, seconds: (Date.now() - started) / 1000 });
  }
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => {
      console.log(`\n=== ${name} ===\n${out.trimEnd()}`);
      resolve({ name, ok: code === 0, seconds: (Date.now() - started) / 1000 });
    });
  });
}

const started = Date.now();
const results = [];
for (const stage of stages) {
  const done = await Promise.all(stage.map((step) => run(step, stage.length === 1)));
  results.push(...done);
  if (stage[0][0] === 'build' && !done[0].ok) break;
}
const expected = stages.flat().length;
console.log('\n=== summary ===');
for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.seconds.toFixed(1)} s)`);
console.log(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
if (process.env.ML_INTERN_SKIP_E2E) console.log('note: the E2E suite was skipped because ML_INTERN_SKIP_E2E is set');
const failed = results.filter((r) => !r.ok).length;
process.exit(failed === 0 && results.length === expected ? 0 : 1);
