/**
 * The sandbox every agent command can run in: what the user asked for (settings), what this
 * machine has (detection), and the plan a command is wrapped with.
 */

import type { SandboxNetwork } from '../sandboxSettings';

// The settings live beside settings.ts (the lowest layer, which carries them); re-exported for sandbox/'s users.
export { DEFAULT_SANDBOX_SETTINGS } from '../sandboxSettings';
export type { SandboxMode, SandboxNetwork, SandboxSettings } from '../sandboxSettings';
/** A sandbox this machine can run (the modes other than `off` and `auto`). */
export type SandboxKind = 'bubblewrap' | 'seatbelt' | 'container';

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
