// A real single-node Slurm for session tests, started the way test/unit/slurm/slurm.test.ts
// does it (scripts/slurm-test-cluster.sh in a temp folder, random ports so test files can run
// side by side). Needs root and `apt-get install -y slurm-wlm munge`: without them the
// tests FAIL with that message (they do not skip).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const SCRIPT = path.resolve(__dirname, '../../../scripts/slurm-test-cluster.sh');

export interface TestCluster {
  dir: string;
  /** The environment Slurm's commands need (SLURM_CONF, /usr/sbin on the PATH). */
  env: NodeJS.ProcessEnv;
  /** Stop the daemons; returns the pids still alive (zombies count as stopped). */
  stop(): { status: number | null; stderr: string; left: number[] };
}

function aliveNotZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** `nodes` > 1: that many slurmd on this host (Slurm's multiple-slurmd mode), nodes mli1..mliN. */
export function startTestCluster(options: { nodes?: number } = {}): TestCluster {
  const dir = mkdtempSync(path.join(tmpdir(), 'mli-slurm-session-'));
  // Below Linux's ephemeral range (32768+), where an outgoing connection may already hold a port:
  // slurmctld then dies with "Address already in use" and the node never comes up. Room for 8 slurmd.
  const port = 20000 + Math.floor(Math.random() * 12000);
  const r = spawnSync('bash', [SCRIPT, 'start', dir], {
    encoding: 'utf8',
    env: { ...process.env, SLURM_TEST_CTLD_PORT: String(port), SLURM_TEST_SLURMD_PORT: String(port + 1), SLURM_TEST_NODES: String(options.nodes ?? 1) },
  });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`Could not start the test Slurm cluster (exit ${r.status}): ${r.stderr.trim()}\nThe Slurm session tests need root and: apt-get install -y slurm-wlm munge`);
  }
  const env = { ...process.env, SLURM_CONF: path.join(dir, 'slurm.conf'), PATH: `${process.env.PATH}:/usr/sbin` };
  return {
    dir,
    env,
    stop() {
      // Every slurmd (run/slurmd-<node>.pid with several nodes), the controller and munged.
      const slurmdPids = readdirSync(path.join(dir, 'run')).filter((f) => /^slurmd.*\.pid$/.test(f)).map((f) => `run/${f}`);
      const pids = [...slurmdPids, 'run/slurmctld.pid', 'munge/munged.pid']
        .map((f) => path.join(dir, f))
        .filter((f) => existsSync(f))
        .map((f) => Number(readFileSync(f, 'utf8').trim()));
      const s = spawnSync('bash', [SCRIPT, 'stop', dir], { encoding: 'utf8' });
      const left = pids.filter(aliveNotZombie);
      rmSync(dir, { recursive: true, force: true });
      return { status: s.status, stderr: s.stderr, left };
    },
  };
}
