/**
 * On the Slurm target the environment report of this machine (the login node) says nothing of the
 * GPUs the training will get: a login node usually has none, and then the recipe would plan the
 * batch without a GPU, train in fp32 and estimate nothing. This asks a compute node instead: a
 * short batch job, in the partition and with the GPUs of the mlIntern.slurm.* settings, runs the
 * same env_report.py with the same interpreter, and its GPUs, driver and CUDA version replace the
 * login node's in the report (the libraries stay the login node's: the interpreter is the same one,
 * on the shared file system, and they change when the session installs something).
 *
 * The answer is kept in <workspace>/.ml-intern/node-check/ for a day per (interpreter, partition,
 * GPUs, extra directives): the next run does not queue again. A job the cluster does not start in
 * time is cancelled, and the report stays the login node's with a problem saying so.
 */
import { promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { pythonHelpersDir } from '../python/runHelper';
import type { EnvReport, NodeBubblewrap } from '../python/types';
import type { Settings } from '../settings';
import { isFinalState, JobStatus, renderSbatch, SlurmBackend } from './slurm';

/** What a compute node told of its GPUs. */
export interface NodeGpus {
  gpus: EnvReport['gpus'];
  gpuSource: EnvReport['gpuSource'];
  cudaVersion: string | null;
  driverVersion: string | null;
  /** The node's GPU problems (no GPU found, nvidia-smi failed). */
  problems: string[];
  jobId: string;
  partition: string;
  /** ISO time of the check. */
  checkedAt: string;
  /** Whether the node can sandbox a job with bubblewrap (absent in answers kept before the check asked). */
  bubblewrap?: NodeBubblewrap;
}

/**
 * Before the report, the job says whether bubblewrap is on the node and builds a sandbox there (the
 * same namespaces the node sandbox of sandbox/slurmNode.ts tries): one line the answer is read from.
 */
const BUBBLEWRAP_PROBE = [
  'if b=$(command -v bwrap 2>/dev/null); then',
  '  if err=$("$b" --ro-bind / / --dev /dev --proc /proc --unshare-pid -- true 2>&1); then echo "ml-intern-node-bubblewrap: works $b"',
  '  else echo "ml-intern-node-bubblewrap: fails $(printf \'%s\' "$err" | head -n 1)"; fi',
  'else echo "ml-intern-node-bubblewrap: absent"; fi',
  'exec "$@"',
].join('\n');

/** The node's bubblewrap from the job's output, when the job said. */
export function parseNodeBubblewrap(output: string): NodeBubblewrap | undefined {
  const m = /^ml-intern-node-bubblewrap: (works|fails|absent) ?(.*)$/m.exec(output);
  return m ? { state: m[1] as NodeBubblewrap['state'], detail: m[2].trim() } : undefined;
}

export interface NodeCheckOptions {
  /** The user's interpreter (the job runs the same path). */
  python: string;
  slurm: Settings['slurm'];
  /** Absolute workspace root: the job's folder, and where its files and the cached answer go. */
  workspace: string;
  backend: SlurmBackend;
  /** How long to wait for the job to be scheduled and to end (default 5 min). */
  waitMs?: number;
  /** How old a kept answer may be (default 24 h). */
  maxAgeMs?: number;
  signal?: AbortSignal;
  /** The job's state changes (PENDING with its reason, RUNNING…), for a progress message. */
  onState?: (jobId: string, status: JobStatus) => void;
}

export const NODE_CHECK_FOLDER = path.join('.ml-intern', 'node-check');
const DAY_MS = 24 * 3600_000;

/** The key of a kept answer: what decides which kind of node the job lands on. */
function keyOf(o: Pick<NodeCheckOptions, 'python' | 'slurm'>): string {
  const s = o.slurm;
  return createHash('sha256').update(JSON.stringify([o.python, s.partition, s.gpus, [...(s.extraDirectives ?? [])].sort()])).digest('hex').slice(0, 16);
}

/** A kept answer for these settings, when younger than maxAgeMs. */
export async function cachedNodeGpus(o: Pick<NodeCheckOptions, 'python' | 'slurm' | 'workspace' | 'maxAgeMs'>): Promise<NodeGpus | undefined> {
  try {
    const kept = JSON.parse(await fs.readFile(path.join(o.workspace, NODE_CHECK_FOLDER, `${keyOf(o)}.json`), 'utf8')) as NodeGpus;
    const age = Date.now() - Date.parse(kept.checkedAt);
    // An answer kept before the check asked about bubblewrap is asked again (the approval of a sandboxed job needs it).
    return Array.isArray(kept.gpus) && kept.bubblewrap && age >= 0 && age <= (o.maxAgeMs ?? DAY_MS) ? kept : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The GPUs of a compute node of the configured partition: the kept answer, else a short job.
 * Throws an Error whose message says what happened and what to do (never a raw Slurm error alone).
 */
export async function checkComputeNode(o: NodeCheckOptions): Promise<NodeGpus> {
  const kept = await cachedNodeGpus(o);
  if (kept) return kept;
  const folder = path.join(o.workspace, NODE_CHECK_FOLDER);
  await fs.mkdir(folder, { recursive: true });
  // A copy in the workspace: the extension's own folder need not be visible from the nodes.
  const helper = path.join(folder, 'env_report.py');
  await fs.copyFile(path.join(pythonHelpersDir(), 'env_report.py'), helper);
  const key = keyOf(o);
  const out = path.join(folder, `${key}-%j.out`);
  const s = o.slurm;
  const gpus = Math.max(0, Math.floor(s.gpus || 0));
  const script = path.join(folder, `${key}.sbatch`);
  await fs.writeFile(
    script,
    renderSbatch({
      jobName: 'ml-intern-gpu-check',
      ...(s.partition ? { partition: s.partition } : {}),
      ...(gpus > 0 ? { gpus } : {}),
      timeLimit: '00:05:00',
      // The user's directives (account, QoS, constraints) decide the node as they will for the
      // training; stderr apart, so the report's JSON is the only thing in the output.
      extraDirectives: [...(s.extraDirectives ?? []).filter((d) => !/^(#SBATCH\s+)?--(time|output|error)\b/.test(d.trim())), `--error=${path.join(folder, `${key}-%j.err`)}`],
      command: ['bash', '-c', BUBBLEWRAP_PROBE, 'ml-intern-node-check', o.python, helper, '--output-dir', o.workspace],
      outputFile: out,
      workdir: o.workspace,
    }),
  );
  const where = s.partition ? `partition ${s.partition}` : "the cluster's default partition";
  let jobId: string;
  try {
    jobId = await o.backend.submit(script);
  } catch (err) {
    throw new Error(`Could not submit the GPU check to ${where}: ${err instanceof Error ? err.message : String(err)}. Check the mlIntern.slurm.* settings against \`sinfo\`.`);
  }
  let last: JobStatus | undefined;
  let end: JobStatus;
  try {
    end = await o.backend.waitForEnd(jobId, {
      timeoutMs: o.waitMs ?? 5 * 60_000,
      signal: o.signal,
      onState: (st) => {
        last = st;
        o.onState?.(jobId, st);
      },
    });
  } catch (err) {
    await o.backend.cancel(jobId).catch(() => undefined);
    const pending = last && !isFinalState(last.state) ? ` (it was ${last.state}${last.reason ? `: ${last.reason}` : ''})` : '';
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(
      o.signal?.aborted
        ? `The GPU check (Slurm job ${jobId}) was cancelled.`
        : /still [A-Z_]+ after/.test(message)
          ? `The cluster did not run the GPU check (Slurm job ${jobId}) in ${where} within ${Math.round((o.waitMs ?? 300_000) / 1000)} s${pending}; it was cancelled.`
          : `Could not follow the GPU check (Slurm job ${jobId}, cancelled): ${message}`,
    );
  }
  const outFile = out.replace('%j', jobId);
  const text = await fs.readFile(outFile, 'utf8').catch(() => '');
  const report = lastJsonObject(text) as (Partial<EnvReport> & { error?: string }) | undefined;
  if (end.state !== 'COMPLETED' || !report || report.error || !Array.isArray(report.gpus)) {
    const why = report?.error ?? (end.state !== 'COMPLETED' ? `the job ended ${end.state}` : 'it printed no report');
    throw new Error(`The GPU check (Slurm job ${jobId}) in ${where} gave no answer: ${why}. Its output: ${outFile}`);
  }
  const found: NodeGpus = {
    gpus: report.gpus,
    gpuSource: report.gpuSource ?? null,
    cudaVersion: report.cudaVersion ?? null,
    driverVersion: report.driverVersion ?? null,
    problems: (report.problems ?? []).filter(isGpuProblem),
    jobId,
    partition: s.partition,
    checkedAt: new Date().toISOString(),
    ...withBubblewrap(parseNodeBubblewrap(text)),
  };
  await fs.writeFile(path.join(folder, `${key}.json`), JSON.stringify(found, null, 2) + '\n');
  return found;
}

function withBubblewrap(found: NodeBubblewrap | undefined): { bubblewrap?: NodeBubblewrap } {
  return found ? { bubblewrap: found } : {};
}

function isGpuProblem(p: string): boolean {
  return /GPU|nvidia-smi|CUDA/i.test(p);
}

function lastJsonObject(text: string): unknown {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('{'));
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      return JSON.parse(lines[i]);
    } catch {
      // a line that only looks like JSON
    }
  }
  return undefined;
}

/** The login node's report with the compute node's GPUs (libraries, disk, token: the login node's). */
export function withNodeGpus(login: EnvReport | undefined, node: NodeGpus): EnvReport | undefined {
  if (!login) return undefined;
  return {
    ...login,
    gpus: node.gpus,
    gpuSource: node.gpuSource,
    cudaVersion: node.cudaVersion,
    driverVersion: node.driverVersion,
    problems: [...login.problems.filter((p) => !isGpuProblem(p)), ...node.problems],
    gpusFrom: `${FROM_COMPUTE_NODE} (Slurm job ${node.jobId}${node.partition ? `, partition ${node.partition}` : ''}, checked ${node.checkedAt.slice(0, 16).replace('T', ' ')} UTC)`,
    ...(node.bubblewrap ? { nodeBubblewrap: node.bubblewrap } : {}),
  };
}

const FROM_COMPUTE_NODE = 'a compute node';

/** Whether a report's GPU figures are a compute node's (the Slurm check job), not the login node's guess. */
export function gpusFromComputeNode(report: Pick<EnvReport, 'gpusFrom'> | undefined): boolean {
  return Boolean(report?.gpusFrom?.startsWith(FROM_COMPUTE_NODE));
}

/** The login node's report marked as such, when no compute node answered: the GPU plan is a guess. */
export function withoutNodeGpus(login: EnvReport | undefined, why: string): EnvReport | undefined {
  if (!login) return undefined;
  return { ...login, problems: [...login.problems, `${why} The GPU numbers are this machine's (the login node), not the training's.`], gpusFrom: 'this machine (the Slurm login node)' };
}

export interface TrainingEnvironmentOptions extends Omit<NodeCheckOptions, 'slurm'> {
  settings: Pick<Settings, 'executionTarget' | 'slurm'>;
}

/**
 * The report for where the training runs: this machine's, or on the Slurm target (with GPUs asked
 * for and the check on) the login node's with a compute node's GPUs. Never throws: a check that
 * fails leaves the login node's report, saying why.
 */
export async function trainingEnvironment(login: EnvReport | undefined, o: TrainingEnvironmentOptions): Promise<EnvReport | undefined> {
  const s = o.settings;
  if (s.executionTarget !== 'slurm' || !login) return login;
  if (s.slurm.gpus <= 0) return { ...login, gpusFrom: 'this machine (the Slurm jobs ask for no GPU: mlIntern.slurm.gpus is 0)' };
  if (s.slurm.gpuCheck === false) return withoutNodeGpus(login, 'The compute nodes were not asked (mlIntern.slurm.gpuCheck is off).');
  try {
    return withNodeGpus(login, await checkComputeNode({ ...o, slurm: s.slurm }));
  } catch (err) {
    return withoutNodeGpus(login, err instanceof Error ? err.message : String(err));
  }
}
