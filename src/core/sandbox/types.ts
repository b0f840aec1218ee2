/**
 * The sandbox every agent command can run in: what the user asked for (settings), what this
 * machine has (detection), and the plan a command is wrapped with.
 */

/** The user's choice: `off`, the best available (`auto`), or one kind by name. */
export type SandboxMode = 'off' | 'auto' | 'bubblewrap' | 'seatbelt' | 'container';
export type SandboxKind = 'bubblewrap' | 'seatbelt' | 'container';
/**
 * `off`: no network at all (a new network namespace: not even loopback services outside);
 * `allowlist`: meant as the Hub and the package index only — NOT enforced without a filtering
 * proxy, so it runs with the network on and counts as `on` for approvals (see docs/SECURITY.md);
 * `on`: the host's network.
 */
export type SandboxNetwork = 'off' | 'allowlist' | 'on';

export interface SandboxSettings {
  mode: SandboxMode;
  network: SandboxNetwork;
  /** The container image (`container` kind), e.g. a CUDA image with the training stack. */
  image: string;
  /** The fine-tune/evaluate/merge sessions' trainings run in it too (mlIntern.sandboxTrainings). */
  trainings?: boolean;
}

export const DEFAULT_SANDBOX_SETTINGS: SandboxSettings = { mode: 'off', network: 'off', image: '', trainings: false };

/** Kernel-enforced limits; 0 = none. */
export interface SandboxLimits {
  /** Processes and threads the command may have at once (stops a fork bomb). */
  maxProcesses: number;
  /** Resident memory in bytes (stops a memory hog before the machine swaps to a halt). */
  maxMemoryBytes: number;
}

/** What a sandboxed command may touch. Paths are absolute, on this machine. */
export interface SandboxPolicy {
  /** Bound read-write (the workspace, the run folder, the Hugging Face cache). */
  writable: string[];
  /** Hidden: an empty folder (or nothing) is all the command sees there (the home's secrets). */
  hidden: string[];
  network: SandboxNetwork;
  limits: SandboxLimits;
  /** The home folder as the command sees it (HOME is kept; its secrets are hidden). */
  home: string;
}

/** How a command is started sandboxed, decided before it is approved. */
export interface SandboxPlan {
  kind: SandboxKind;
  network: SandboxNetwork;
  /** For the approval and the card: "bubblewrap, network off". */
  label: string;
  /** Things the user should know (allowlist not enforced, no memory limit here). */
  warnings: string[];
  /** The argv that starts `argv` in `cwd` inside the sandbox. */
  wrap(argv: string[], cwd: string, env?: Record<string, string>): string[];
}
