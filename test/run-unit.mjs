// Runs every test/unit/**/*.test.ts with node's test runner (TypeScript through tsx), several
// files at once, longest first (unitScheduler.mjs). Node 20's --test takes no globs, so the files
// are found here. `node test/run-unit.mjs <path substring>…` runs the matching files only.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureSystemPackages } from '../scripts/system-packages.mjs';
import { runUnitFiles } from './unitScheduler.mjs';

function find(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filter = process.argv.slice(2);
let files = find('test/unit');
if (filter.length) files = files.filter((f) => filter.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('No unit test files found.');
  process.exit(1);
}
// The Slurm tests need slurm-wlm and munge: installed as root, else named before anything runs.
if (files.some((f) => f.includes('slurm'))) {
  try {
    ensureSystemPackages();
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
process.exit(await runUnitFiles(files));
