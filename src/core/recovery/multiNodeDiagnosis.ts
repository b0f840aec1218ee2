/**
 * What went wrong in a job that spans several nodes, read from its output (every node's lines,
 * prefixed by `srun --label` with the node's task id): which node and which rank failed first, and
 * which of the multi-node failures it was, with what to do. The rule table's `nccl_or_distributed`
 * category says "something distributed failed"; this says where and why, because on several nodes
 * the usual cause is a node or the network between nodes, not the training script.
 *
 * The texts matched are the libraries' own (read in their sources and issue trackers):
 *   - torch ProcessGroupNCCL: "Watchdog caught collective operation timeout: WorkNCCL(SeqNum=…,
 *     OpType=ALLREDUCE, …, Timeout(ms)=600000) ran for 600060 milliseconds before timing out."
 *   - torch elastic rendezvous: "RendezvousTimeoutError", "RendezvousConnectionError: The connection
 *     to the C10d store has failed. See inner exception for details.", DistNetworkError "The client
 *     socket has timed out after 900s while trying to connect to (host, port)."
 *   - torch elastic's failure summary: "Root Cause (first observed failure):" … "rank      : 3 (local_rank: 1)"
 *   - NCCL: "NCCL WARN Bootstrap : no socket interface found", "socketStartConnect: Connect to … failed",
 *     ncclRemoteError "… a remote process exiting prematurely"
 *   - srun: "srun: error: <node>: task <N>: Exited with exit code <C>", "srun: error: Node failure on <node>"
 */
import { splitRank } from '../logs/logLine';

export type MultiNodeFailureKind = 'nccl_timeout' | 'rendezvous' | 'nccl_network' | 'node_lost' | 'port_in_use' | 'rank_failed' | 'unknown';

export interface MultiNodeDiagnosis {
  kind: MultiNodeFailureKind;
  /** srun's task id of the node that failed first (= SLURM_NODEID with one task per node). */
  firstFailingNode?: number;
  /** Its host name, when srun or torch named it. */
  firstFailingHost?: string;
  /** The global rank torch's failure summary names as the root cause. */
  firstFailingRank?: number;
  /** One sentence: where it failed first and what kind of failure. */
  summary: string;
  /** What to do, most likely first. */
  actions: string[];
}

const WATCHDOG_RE = /Watchdog caught collective operation timeout: WorkNCCL\(SeqNum=(\d+), OpType=(\w+)[^)]*?Timeout\(ms\)=(\d+)\)/;
const RENDEZVOUS_RE = /RendezvousTimeoutError|RendezvousConnectionError|RendezvousClosedError|The connection to the C10d store has failed|The client socket has timed out after \S+ while trying to connect to \(([^,]+), (\d+)\)/;
const NCCL_NET_RE = /Bootstrap : no socket interface found|socketStartConnect: Connect to \S+ failed|NET\/(?:Socket|IB) ?: .*(?:failed|error)|ncclRemoteError|remote process exiting prematurely/;
const PORT_RE = /EADDRINUSE|Address already in use/;
const SRUN_TASK_RE = /^srun: error: (\S+): task (\d+): (Exited with exit code (\d+)|Killed|Terminated)/;
const NODE_FAIL_RE = /srun: error: Node failure on (\S+)|JOB \d+ ON \S+ CANCELLED AT \S+ DUE TO NODE FAILURE|NODE_FAIL/;
const ROOT_CAUSE_RE = /^\s*rank\s*:\s*(\d+) \(local_rank: (\d+)\)/;
const EXITCODE_RE = /^\s*exitcode\s*:\s*(-?\d+)/;
const HOST_RE = /^\s*host\s*:\s*(\S+)/;
/** A worker's own error line under `srun --label` and torchrun's `--tee`/`--log-dir` prefix: `1: [rank3]: Traceback …`. */
const RANK_ERROR_RE = /^(\d{1,4}): \[(?:rank|default)(\d+)\]:\s?(?:Traceback \(most recent call last\)|[\w.]*(?:Error|Exception)\b)/;

interface Line {
  node?: number;
  text: string;
}

/** The root cause of each torch failure summary in the output, in order: rank, host, exit code. */
function rootCauses(lines: Line[]): Array<{ node?: number; rank: number; host?: string; exitcode?: number }> {
  const out: Array<{ node?: number; rank: number; host?: string; exitcode?: number }> = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].text.includes('Root Cause (first observed failure)')) continue;
    const node = lines[i].node;
    let rank: number | undefined;
    let host: string | undefined;
    let exitcode: number | undefined;
    // The block's fields follow within a few lines, from the same node.
    for (let j = i + 1; j < Math.min(lines.length, i + 12); j++) {
      if (lines[j].node !== node) continue;
      const t = lines[j].text;
      host ??= HOST_RE.exec(t)?.[1];
      const r = ROOT_CAUSE_RE.exec(t);
      if (r) rank ??= Number(r[1]);
      const e = EXITCODE_RE.exec(t);
      if (e) exitcode ??= Number(e[1]);
    }
    if (rank !== undefined) out.push({ node, rank, host, exitcode });
  }
  return out;
}

/**
 * A launcher killed because another node failed (srun --kill-on-bad-exit sends SIGTERM, then SIGKILL)
 * reports exit code -15/-9 or "Terminated"/"Killed": it is a consequence, not the first failure.
 */
function killedByOthers(exitcode?: number): boolean {
  return exitcode === -15 || exitcode === -9 || exitcode === 143 || exitcode === 137;
}

function rankOfFirstError(output: string, node?: number): number | undefined {
  for (const raw of output.split(/\r?\n/)) {
    const m = RANK_ERROR_RE.exec(raw);
    if (m && (node === undefined || Number(m[1]) === node)) return Number(m[2]);
  }
  return undefined;
}

/** The node srun reported lost ("srun: error: Node failure on mli2"), when the output names one. */
export function lostNode(output: string): string | undefined {
  return /srun: error: Node failure on (\S+)/.exec(output)?.[1];
}

export function diagnoseMultiNode(output: string): MultiNodeDiagnosis {
  const lines: Line[] = output.split(/\r?\n/).map((raw) => {
    const s = splitRank(raw);
    return { node: s.rank, text: s.text };
  });
  const all = lines.map((l) => l.text).join('\n');

  // Where: torch's own root cause that was not a kill by the others; else srun's first task that exited with a code.
  const causes = rootCauses(lines);
  const cause = causes.find((c) => !killedByOthers(c.exitcode)) ?? causes[0];
  let firstFailingNode = cause?.node;
  let firstFailingHost = cause?.host;
  const srunExits = lines.map((l) => SRUN_TASK_RE.exec(l.text)).filter((m): m is RegExpExecArray => m !== null);
  const firstExit = srunExits.find((m) => m[4] !== undefined && m[4] !== '0') ?? srunExits[0];
  if (firstFailingNode === undefined && firstExit) {
    firstFailingNode = Number(firstExit[2]);
    firstFailingHost = firstExit[1];
  }
  if (firstFailingNode !== undefined && !firstFailingHost) {
    firstFailingHost = srunExits.find((m) => Number(m[2]) === firstFailingNode)?.[1];
  }
  // Without torch's summary (srun may end the step before the failed node's last lines arrive), the
  // first worker error that names its rank, on the failing node when it is known.
  const firstFailingRank = cause?.rank ?? rankOfFirstError(output, firstFailingNode);
  const where = [
    firstFailingNode !== undefined ? `node ${firstFailingNode}${firstFailingHost ? ` (${firstFailingHost})` : ''}` : undefined,
    firstFailingRank !== undefined ? `rank ${firstFailingRank}` : undefined,
  ].filter(Boolean).join(', ');
  const base = { firstFailingNode, firstFailingHost, firstFailingRank };
  const at = where ? ` First failure: ${where}.` : '';

  const nodeFail = NODE_FAIL_RE.exec(all);
  if (nodeFail) {
    // slurmstepd's "CANCELLED … DUE TO NODE FAILURE" on the batch host comes before srun's line naming the lost node.
    const lost = lostNode(all) ?? nodeFail[1];
    return {
      ...base, kind: 'node_lost',
      summary: `A node of the job was lost${lost ? ` (${lost})` : ''}: Slurm reported a node failure, not an error of the training.${at}`,
      actions: ['Resubmit: with RESUME_FROM_CHECKPOINT = "auto" the training goes on from the last complete checkpoint.', 'If the same node fails again, exclude it (an "--exclude=<node>" line in mlIntern.slurm.extraDirectives) and tell the cluster\'s administrators.'],
    };
  }
  const watchdog = WATCHDOG_RE.exec(all);
  if (watchdog) {
    const seconds = Math.round(Number(watchdog[3]) / 1000);
    return {
      ...base, kind: 'nccl_timeout',
      summary: `A collective (${watchdog[2]} #${watchdog[1]}) waited ${seconds} s for ranks that never joined it: one rank was stuck, much slower or gone, or the nodes cannot reach each other over NCCL's network.${at}`,
      actions: [
        'Look at the rank that stopped logging first (its last lines above): a crash, an out-of-memory or a long step only it runs (saving, evaluation on rank 0) leaves the others waiting.',
        `If one rank legitimately works alone for longer than ${seconds} s (e.g. saving a large checkpoint), raise ddp_timeout in the CONFIG block (seconds; TrainingArguments.ddp_timeout).`,
        'Rerun with NCCL_DEBUG=INFO (the batch script\'s NCCL settings) to see which connection hangs; with several network interfaces set NCCL_SOCKET_IFNAME to the one the nodes share.',
      ],
    };
  }
  const rendezvous = RENDEZVOUS_RE.exec(all);
  if (rendezvous) {
    return {
      ...base, kind: 'rendezvous',
      summary: `The nodes did not all meet at the rendezvous${rendezvous[1] ? ` at ${rendezvous[1]}:${rendezvous[2]}` : ''} on the first node: a node could not reach it, or started too late.${at}`,
      actions: [
        'Check that the compute nodes can open TCP connections to each other on high ports (a firewall between nodes stops the rendezvous).',
        'The rendezvous address is the first node\'s NodeAddr (`scontrol show node`): if that address is not reachable from the other nodes, set MASTER_ADDR in the batch script to one that is.',
        'If the nodes start far apart in time, raise the rendezvous time-out (torchrun --rdzv_conf timeout=…).',
      ],
    };
  }
  if (NCCL_NET_RE.test(all)) {
    return {
      ...base, kind: 'nccl_network',
      summary: `NCCL could not connect the nodes: no usable network interface, or a connection to another node failed.${at}`,
      actions: [
        'Set NCCL_SOCKET_IFNAME in the batch script to the interface the nodes share (`ip addr` on a compute node; e.g. ib0 or eth0).',
        'Without InfiniBand between the nodes set NCCL_IB_DISABLE=1; rerun with NCCL_DEBUG=INFO to see NCCL\'s choice.',
      ],
    };
  }
  if (PORT_RE.test(all)) {
    return {
      ...base, kind: 'port_in_use',
      summary: `The rendezvous port was taken on the first node between choosing it and using it.${at}`,
      actions: ['Resubmit (the batch script picks a new free port each time), or set MASTER_PORT to a port you know is free.'],
    };
  }
  if (cause || firstExit) {
    return {
      ...base, kind: 'rank_failed',
      summary: `A rank failed and the others were stopped (srun --kill-on-bad-exit).${at} Its own error is the first traceback of that node above; the other nodes' errors are consequences.`,
      actions: ['Fix the error of the first failing rank; the repair loop reads that rank\'s traceback.'],
    };
  }
  return { ...base, kind: 'unknown', summary: 'The multi-node job failed without a recognisable distributed error.', actions: ['Read the first error of each node in the output (lines prefixed "0: ", "1: " …).'] };
}
