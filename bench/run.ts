/**
 * Runs every bench/*.ts benchmark (each default-exports an async function
 * returning a BenchResult), prints the figures, and appends them to
 * docs/BENCHMARKS.md with a description of the machine. `npm run bench`.
 * Filter: `node --import tsx bench/run.ts logPipeline`.
 */
import { appendFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import * as path from 'node:path';

export interface BenchResult {
  name: string;
  goal: string;
  ok: boolean;
  figures: Record<string, string>;
}

type Bench = () => Promise<BenchResult>;

export function machine(): string {
  const c = cpus();
  return `${c[0]?.model.trim() ?? 'unknown CPU'}, ${c.length} cores, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, Node ${process.version}, ${process.platform} ${process.arch}`;
}

async function main(): Promise<void> {
  const filter = process.argv.slice(2);
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
    .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)))
    .sort();
  const results: BenchResult[] = [];
  for (const f of files) {
    const mod = (await import(path.join(__dirname, f))) as { default?: Bench | { default?: Bench } };
    const fn = typeof mod.default === 'function' ? mod.default : mod.default?.default;
    if (typeof fn !== 'function') continue;
    console.log(`== ${f}`);
    const r = await fn();
    results.push(r);
    console.log(`${r.name}: ${r.ok ? 'OK' : 'BELOW GOAL'} (goal: ${r.goal})`);
    for (const [k, v] of Object.entries(r.figures)) console.log(`  ${k}: ${v}`);
  }
  const doc = path.join(__dirname, '..', 'docs', 'BENCHMARKS.md');
  if (!existsSync(doc)) writeFileSync(doc, '# Benchmarks\n\nAppended by `npm run bench` (bench/run.ts); newest last.\n');
  let md = `\n## ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC\n\nMachine: ${machine()}\n`;
  for (const r of results) {
    md += `\n### ${r.name} — ${r.ok ? 'meets the goal' : 'BELOW the goal'} (${r.goal})\n\n| figure | value |\n|---|---|\n`;
    for (const [k, v] of Object.entries(r.figures)) md += `| ${k} | ${v} |\n`;
  }
  appendFileSync(doc, md);
  console.log(`Appended to ${path.relative(process.cwd(), doc)}`);
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

void main();
