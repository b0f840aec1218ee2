// `npm test`: everything CI checks — build; then the unit tests (node:test) with types, lint and the
// Python helper tests beside them (independent; the unit files spend much of their time waiting on
// real processes, so the CPUs have room); then the real-workbench E2E suite. The unit runner prints
// as it goes; a step beside it prints its whole output when it ends. One summary at the end.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ensureSystemPackages } from './system-packages.mjs';

const npm = (script) => ['npm', ['run', script]];
const stages = [
  [['build', ...npm('build')]],
  [['unit', ...npm('test:unit')], ['check-types', ...npm('check-types')], ['lint', ...npm('lint')], ['python', ...npm('test:python')]],
];
if (existsSync('test/e2e/run.mjs') && !process.env.ML_INTERN_SKIP_E2E) stages.push([['e2e', ...npm('test:e2e')]]);

// The Debian packages first (installed as root, else named): the Slurm and E2E tests need them.
try {
  ensureSystemPackages();
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}

/** One step; the first of a stage prints as it goes, the others print their whole output when they end. */
function run([name, cmd, args], live) {
  const started = Date.now();
  if (live) {
    console.log(`\n=== ${name} ===`);
    return new Promise((resolve) => {
      spawn(cmd, args, { stdio: 'inherit' }).on('close', (code) => resolve({ name, ok: code === 0, seconds: (Date.now() - started) / 1000 }));
    });
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
  const done = await Promise.all(stage.map((step, i) => run(step, i === 0)));
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
