// Runs unit test files in parallel, one `node --test` process per file, longest first.
//
// Why not one `node --test --test-concurrency=N a.ts b.ts …`: it starts files in the order given,
// so the one long file (a real Slurm cluster waiting out a time limit) often started last and
// the suite waited on it alone; and most files spend their time waiting on real processes, not
// on the CPU, so more files than cores can run at once. Here each file's wall time is kept in
// .ml-intern-cache/ (git-ignored) to start the longest first next time; a clean clone starts the
// files that boot a test Slurm cluster first. Each file's output is printed whole when it ends,
// so parallel files never interleave; failures print their full spec report.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readDurations, writeDurations } from './durationCache.mjs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

const CACHE = '.ml-intern-cache/unit-durations.json';

/** Seconds a file is expected to take: last run's, else a guess from what it starts. */
export function expectedSeconds(file, cache, text) {
  if (typeof cache[file] === 'number') return cache[file];
  if (/useTestCluster|startTestCluster/.test(text)) return 60;
  if (/node-pty|spawn|execFile|bwrap/.test(text)) return 5;
  return 1;
}

/** Counts, failures and skips from one file's TAP report (node:test's own format). */
export function parseTap(tap) {
  const count = (name) => Number(tap.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
  const skips = [];
  for (const m of tap.matchAll(/^\s*ok \d+ - (.*?) # SKIP ?(.*)$/gm)) skips.push({ name: m[1], reason: m[2] || '(no reason given)' });
  return { reported: /^# tests \d+$/m.test(tap), tests: count('tests'), pass: count('pass'), fail: count('fail'), cancelled: count('cancelled'), skipped: count('skipped'), todo: count('todo'), skips };
}

/**
 * The failing tests of one TAP report with the first lines of each error: the summary repeats
 * them, so the end of a long log (often all a CI page keeps) says what failed, not only where.
 */
export function failuresIn(tap) {
  const failures = [];
  const lines = tap.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = lines[i].match(/^(\s*)not ok \d+ - (.*?)(?: # .*)?$/);
    if (!m) continue;
    const block = [];
    for (let j = i + 1; j < lines.length && !/^\s*\.\.\.$/.test(lines[j]); j++) block.push(lines[j]);
    // A suite that failed only because a test inside it did adds nothing to read.
    if (block.some((l) => /failureType: 'subtestsFailed'/.test(l))) continue;
    const at = block.findIndex((l) => /^\s*error: /.test(l));
    let error = '';
    if (at >= 0) {
      const first = block[at].replace(/^\s*error: ?/, '').replace(/^\|-?$/, '').replace(/^'(.*)'$/, '$1');
      const indent = (block[at].match(/^\s*/)?.[0].length ?? 0) + 2;
      const rest = [];
      for (const l of block.slice(at + 1)) {
        if (l.trim() && (l.match(/^\s*/)?.[0].length ?? 0) < indent) break;
        rest.push(l.trim());
      }
      error = [first, ...rest].filter(Boolean).slice(0, 8).join('\n      ');
    }
    failures.push({ name: m[2], error });
  }
  return failures;
}

function runFile(file, dir) {
  const id = file.replace(/[^\w.-]+/g, '_');
  const specPath = join(dir, `${id}.spec`);
  const tapPath = join(dir, `${id}.tap`);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      // The file itself is the process (no `--test` parent that would load tsx a second time per file).
      ['--import', 'tsx', '--test-reporter=spec', `--test-reporter-destination=${specPath}`, '--test-reporter=tap', `--test-reporter-destination=${tapPath}`, file],
      // Without NODE_TEST_CONTEXT: when this runner itself runs under node:test (its own test),
      // a child that inherits it reports to the parent in node's private format, not to the reporters.
      { stdio: ['ignore', 'pipe', 'pipe'], env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')) },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code, signal) => {
      const read = (p) => {
        try {
          return readFileSync(p, 'utf8');
        } catch {
          return '';
        }
      };
      const tap = read(tapPath);
      resolve({ file, code, signal, seconds: (Date.now() - started) / 1000, output, spec: read(specPath), failures: failuresIn(tap), ...parseTap(tap) });
    });
  });
}

export function defaultConcurrency() {
  const fromEnv = Number(process.env.ML_INTERN_TEST_CONCURRENCY);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  // Most files wait on real processes (Slurm, bubblewrap, pty), so twice the cores keeps them busy.
  return Math.min(8, Math.max(2, availableParallelism() * 2));
}

/** Runs the files; prints a line per file as it ends and a summary. Resolves to the exit status. */
export async function runUnitFiles(files, { concurrency = defaultConcurrency(), log = console.log } = {}) {
  const cache = readDurations(CACHE);
  const text = (f) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  const queue = files.map((f) => ({ f, s: expectedSeconds(f, cache, text(f)) })).sort((a, b) => b.s - a.s || a.f.localeCompare(b.f)).map((x) => x.f);
  const dir = mkdtempSync(join(tmpdir(), 'ml-intern-unit-'));
  const started = Date.now();
  const results = [];
  log(`${files.length} test files, ${concurrency} at a time (ML_INTERN_TEST_CONCURRENCY changes it), longest first`);
  async function worker() {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const r = await runFile(file, dir);
      results.push(r);
      // No summary in the report means the file never finished its tests: a failure, not a pass.
      const ok = r.code === 0 && r.reported && r.fail === 0 && r.cancelled === 0;
      log(`${ok ? '✔' : '✖'} ${file} — ${r.pass}/${r.tests} passed${r.skipped ? `, ${r.skipped} skipped` : ''} (${r.seconds.toFixed(1)} s)`);
      for (const s of r.skips) log(`    ﹣ skipped: ${s.name} — ${s.reason}`);
      if (!ok) log(`${r.spec || '(no report)'}\n${r.output.trim() ? `--- process output ---\n${r.output.trim()}\n` : ''}${r.signal ? `(killed by ${r.signal})\n` : ''}`);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  rmSync(dir, { recursive: true, force: true });
  writeDurations(CACHE, cache, Object.fromEntries(results.map((r) => [r.file, Math.round(r.seconds * 10) / 10])));

  const sum = (k) => results.reduce((a, r) => a + r[k], 0);
  const failedFiles = results.filter((r) => r.code !== 0 || !r.reported || r.fail > 0 || r.cancelled > 0);
  const slowest = [...results].sort((a, b) => b.seconds - a.seconds).slice(0, 5);
  log(`\nunit tests: ${sum('tests')} tests in ${results.length} files — ${sum('pass')} passed, ${sum('fail')} failed, ${sum('cancelled')} cancelled, ${sum('skipped')} skipped (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  log(`slowest files: ${slowest.map((r) => `${r.file.replace(/^test\/unit\//, '')} ${r.seconds.toFixed(0)} s`).join(', ')}`);
  if (sum('skipped')) log(`skipped tests are NOT passes: ${sum('skipped')} did not run (reasons above)`);
  if (failedFiles.length) {
    const why = (r) => (r.failures.length ? r.failures.map((f) => `\n    ✖ ${f.name}${f.error ? `\n      ${f.error}` : ''}`).join('') : `\n    (no failing test reported: exit ${r.signal ?? r.code}; its output is printed above)`);
    log(`FAILED files:\n${failedFiles.map((r) => `  ${r.file}${why(r)}`).join('\n')}`);
  }
  return failedFiles.length === 0 && results.length === files.length ? 0 : 1;
}
