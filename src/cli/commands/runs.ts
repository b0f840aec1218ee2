import { CliCommand, EXIT_OK, UsageError, flagString, printResult } from '../command';
import { RunStore } from '../../core/runs/runStore';
import { RunSummary } from '../../core/runs/types';
import { NodeFileStore } from '../../core/util/nodeFileStore';
import * as path from 'node:path';

export const runsCommand: CliCommand = {
  name: 'runs',
  summary: 'List the agent runs of a workspace with their status (newest first)',
  usage: 'ml-intern runs [--workspace DIR] [--json]',
  async run(args, io) {
    if (args.positional.length) throw new UsageError(`unexpected argument '${args.positional[0]}'`);
    const root = path.resolve(io.cwd, flagString(args, 'workspace') ?? '.');
    const runs = await new RunStore(new NodeFileStore(root)).list();
    // A broken run folder is listed with what is wrong in it; the others are listed as usual.
    for (const r of runs) for (const p of r.problems ?? []) io.err(`warning: ${p}\n`);
    printResult(io, args, runs, formatRuns);
    return EXIT_OK;
  },
};

export function formatRuns(runs: RunSummary[]): string {
  if (runs.length === 0) return "No runs yet. Start one with: ml-intern run \"<goal>\"";
  const rows = runs.map((r) => [
    r.id,
    r.status.state,
    `${r.status.steps} steps`,
    `$${(r.status.costUsd ?? 0).toFixed(4)}`,
    r.status.updated ? r.status.updated.replace('T', ' ').slice(0, 19) : '',
    oneLine(r.status.question ?? r.status.lastMessage ?? ''),
  ]);
  const widths = rows[0].slice(0, 5).map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => [...row.slice(0, 5).map((c, i) => c.padEnd(widths[i])), row[5]].join('  ').trimEnd()).join('\n');
}

function oneLine(text: string, max = 80): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
