/**
 * The sandbox of a Slurm job, on the compute node: the batch script starts its command inside
 * bubblewrap there, with the same policy as on this machine (the workspace, the run folder, the
 * Hugging Face cache and a private /tmp writable, the rest read-only, the home's secrets hidden,
 * the GPU device nodes bound, the network as mlIntern.sandboxNetwork says). The argv comes from
 * the same builder (bubblewrap.ts); what only the node can know is settled there when the job
 * runs, by a small fixed bash program (NODE_SANDBOX_PROGRAM):
 *   - where bwrap is, and whether it can build a sandbox on that node; when not, the job stops
 *     before the command with NODE_SANDBOX_MISSING_EXIT and a line naming the package to install
 *     (never a silent unconfined run), unless mlIntern.sandboxNodesUnconfined allows it;
 *   - which secrets exist there (a folder is hidden by an empty tmpfs, a file by /dev/null);
 *   - the writable folders, created when missing (the Hugging Face cache on a fresh node);
 *   - the node's own GPU device nodes (/dev/nvidia*, /dev/dri).
 * No process or memory limit is added: Slurm's cgroups bound the job to its allocation.
 * Several nodes meet at a rendezvous over the network, so their sandbox has the network on.
 */
import { existsSync, realpathSync } from 'node:fs';
import { bubblewrapArgv } from './bubblewrap';
import { defaultPolicy } from './policy';
import { SandboxNetwork, SandboxSettings } from './types';

/** The job's exit code when the node has no working bubblewrap (the diagnosis reads the line, not only the code). */
export const NODE_SANDBOX_MISSING_EXIT = 97;
/** The start of the line the job prints then (recovery/rules.ts recognises it). */
export const NODE_SANDBOX_MISSING_LINE = 'ML Intern: stopped before the command: compute node';

/** Stand-ins the node program replaces: bwrap's path there, and the node's GPU device nodes. */
const BWRAP_WORD = '@ML_INTERN_BWRAP@';
const GPU_DEVICES_WORD = '@ML_INTERN_GPU_DEVICES@';
/** bash's "every item of the array args", kept out of the template's own ${} syntax. */
const ALL_ARGS = '$' + '{args[@]}';

/**
 * $1 stop|unconfined (without bubblewrap), $2 the label, then bwrap's argv as bubblewrapArgv builds
 * it (BWRAP_WORD first, `--` last), then the command. Fixed text: every path arrives as an argument.
 */
export const NODE_SANDBOX_PROGRAM = String.raw`without=$1; label=$2; shift 2
node=$(hostname 2>/dev/null || echo '?')
bwrap=$(command -v bwrap 2>/dev/null)
why=
if [ -z "$bwrap" ]; then why="bwrap is not installed there (not on PATH=$PATH)"
elif ! err=$("$bwrap" --ro-bind / / --dev /dev --proc /proc --unshare-pid -- true 2>&1); then why="bwrap cannot build a sandbox there: $err"
fi
if [ -n "$why" ]; then
  while [ $# -gt 0 ] && [ "$1" != -- ]; do shift; done; shift
  if [ "$without" = unconfined ]; then
    echo "ML Intern: compute node $node has no working bubblewrap ($why): the command runs UNCONFINED there, as mlIntern.sandboxNodesUnconfined allows. Install the package bubblewrap on the nodes (Debian/Ubuntu: apt-get install bubblewrap) to sandbox it." >&2
    exec "$@"
  fi
  echo "${NODE_SANDBOX_MISSING_LINE} $node has no working bubblewrap ($why), and the sandbox (mlIntern.sandbox, mlIntern.sandboxTrainings) asks for the command to run inside it. Nothing was run. Install the package bubblewrap on the compute nodes (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora/RHEL: sudo dnf install bubblewrap), or set mlIntern.sandboxNodesUnconfined to true to run unconfined there." >&2
  exit ${NODE_SANDBOX_MISSING_EXIT}
fi
args=("$bwrap"); shift
# A secret that exists on this node: a folder under an empty tmpfs, a file under /dev/null (a link: where it points too).
hide_one() { if [ -d "$1" ]; then args+=(--tmpfs "$1"); elif [ -e "$1" ]; then args+=(--ro-bind /dev/null "$1"); fi; }
hide() {
  hide_one "$1"
  real=$(readlink -f -- "$1" 2>/dev/null)
  if [ -n "$real" ] && [ "$real" != "$1" ]; then hide_one "$real"; fi
}
while [ $# -gt 0 ]; do
  case $1 in
    --) shift; break ;;
    --bind)
      mkdir -p -- "$2" 2>/dev/null
      if [ -d "$2" ]; then args+=(--bind "$2" "$3"); else echo "ML Intern: cannot create $2 on $node: it stays read-only in the sandbox." >&2; fi
      shift 3 ;;
    --tmpfs) if [ "$2" = /tmp ] || [ "$2" = /dev/shm ]; then args+=(--tmpfs "$2"); else hide "$2"; fi; shift 2 ;;
    --ro-bind) if [ "$2" = /dev/null ]; then hide "$3"; else args+=(--ro-bind "$2" "$3"); fi; shift 3 ;;
    --dev-bind)
      if [ "$2" = '${GPU_DEVICES_WORD}' ]; then
        for g in /dev/nvidia* /dev/dri; do [ -e "$g" ] && args+=(--dev-bind "$g" "$g"); done
      else args+=(--dev-bind "$2" "$3"); fi
      shift 3 ;;
    --setenv) args+=("$1" "$2" "$3"); shift 3 ;;
    --chdir|--dev|--proc|--cap-drop) args+=("$1" "$2"); shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
echo "ML Intern: sandboxed on compute node $node ($label)" >&2
exec "${ALL_ARGS}" -- "$@"`;

export interface NodeSandboxInput {
  settings: SandboxSettings | undefined;
  /** The workspace root and the run folder (absolute; the same paths on the nodes: a shared file system). */
  workspace: string;
  runDir?: string;
  /** The folder the command starts in. */
  workdir: string;
  /** This machine's environment: HOME and HF_HOME name the folders the policy is about. */
  env: NodeJS.ProcessEnv;
  /** Nodes of the job (several: the network is on for the rendezvous). */
  nodes?: number;
}

export interface NodeSandbox {
  /** The words the batch script puts before the command (it runs as their last argument). */
  prefix: string[];
  network: SandboxNetwork;
  /** For the approval and the script's comment: "bubblewrap, network off". */
  label: string;
  /** Without bubblewrap on the node the command runs unconfined (mlIntern.sandboxNodesUnconfined) instead of stopping. */
  unconfinedWithout: boolean;
}

/** The node sandbox of a job the sandbox covers, or undefined when the sandbox is off. */
export function nodeSandbox(input: NodeSandboxInput): NodeSandbox | undefined {
  const settings = input.settings;
  if (!settings || settings.mode === 'off') return undefined;
  const several = (input.nodes ?? 1) > 1;
  const network: SandboxNetwork = several ? 'on' : settings.network;
  const workspace = existsSync(input.workspace) ? realpathSync(input.workspace) : input.workspace;
  // Limits: none here (Slurm's cgroups hold the job); 0 keeps defaultPolicy from sizing them on this machine.
  const policy = defaultPolicy({ workspace, runDir: input.runDir, env: input.env, network, limits: { maxProcesses: 0, maxMemoryBytes: 0 } });
  const bwrap = bubblewrapArgv(
    {
      program: BWRAP_WORD,
      policy,
      writable: policy.writable,
      // Folder or file is decided on the node (NODE_SANDBOX_PROGRAM's hide).
      hidden: policy.hidden.map((p) => ({ path: p, type: 'dir' as const })),
      devices: [GPU_DEVICES_WORD],
      cwd: input.workdir,
      env: input.env,
    },
    [],
  );
  const label = `bubblewrap, network ${network}${several && settings.network !== 'on' ? ' (the rendezvous between the nodes needs it)' : ''}`;
  const unconfinedWithout = settings.nodesUnconfined === true;
  return { prefix: ['bash', '-c', NODE_SANDBOX_PROGRAM, 'ml-intern-node-sandbox', unconfinedWithout ? 'unconfined' : 'stop', label, ...bwrap], network, label, unconfinedWithout };
}

/** Whether a training's job is sandboxed on its node: the sandbox is on and covers trainings. */
export function trainingNodeSandbox(input: NodeSandboxInput): NodeSandbox | undefined {
  return input.settings?.trainings ? nodeSandbox(input) : undefined;
}

/** What the batch script puts before its command, with the comment a reviewer reads there. */
export function nodeSandboxWrap(sandbox: NodeSandbox): { prefix: string[]; comment: string[] } {
  return {
    prefix: sandbox.prefix,
    comment: [
      `The command runs inside bubblewrap on the compute node (mlIntern.sandbox): ${sandbox.label}.`,
      'Writable there: the workspace, the run folder, the Hugging Face cache and a private /tmp; the rest is',
      "read-only; the home's secrets (~/.ssh, ~/.aws, the Hub token file ...) are hidden; the node's GPUs are bound.",
      sandbox.unconfinedWithout
        ? 'A node without a working bubblewrap runs the command unconfined (mlIntern.sandboxNodesUnconfined), saying so.'
        : `A node without a working bubblewrap stops the job before the command (exit code ${NODE_SANDBOX_MISSING_EXIT}), naming the package to install.`,
    ],
  };
}
