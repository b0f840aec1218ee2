/**
 * The docker/podman argv for a policy: the writable folders mounted at the same paths (scripts
 * and logs name the same files inside and out), the GPUs, the network when not off, limits.
 * The image is the user's (mlIntern.sandboxImage): it must hold the Python and libraries the
 * command needs; the host's interpreter is not inside.
 */
import { SandboxPolicy } from './types';

export interface ContainerInput {
  program: string;
  image: string;
  policy: SandboxPolicy;
  cwd: string;
  /** Environment names passed in (their values come from this process's environment, not the argv). */
  envNames: string[];
  /** Whether GPUs are present to hand in (`--gpus all` fails on a machine without the NVIDIA runtime). */
  gpus: boolean;
  /**
   * Secrets inside a mounted folder (the HF token in the Hugging Face cache): covered by /dev/null
   * (a file) or an empty tmpfs (a folder). Secrets elsewhere are simply not mounted.
   */
  hiddenInside?: Array<{ path: string; type: 'dir' | 'file' }>;
}

export function containerArgv(input: ContainerInput, argv: string[]): string[] {
  const { policy } = input;
  const args = [input.program, 'run', '--rm', '-i', '--init', '--read-only', '--tmpfs', '/tmp'];
  for (const dir of policy.writable) args.push('-v', `${dir}:${dir}`);
  for (const h of input.hiddenInside ?? []) {
    if (h.type === 'file') args.push('-v', `/dev/null:${h.path}:ro`);
    else args.push('--tmpfs', h.path);
  }
  args.push('-w', input.cwd);
  // Values never go on the argv (ps shows it): `-e NAME` takes the value from our environment.
  for (const name of input.envNames) args.push('-e', name);
  if (input.gpus) args.push('--gpus', 'all');
  if (policy.network === 'off') args.push('--network', 'none');
  if (policy.limits.maxProcesses > 0) args.push('--pids-limit', String(policy.limits.maxProcesses));
  if (policy.limits.maxMemoryBytes > 0) args.push('--memory', String(policy.limits.maxMemoryBytes));
  args.push(input.image, ...argv);
  return args;
}
