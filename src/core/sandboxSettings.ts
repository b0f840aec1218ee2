/**
 * The sandbox settings the core sees (`mlIntern.sandbox`, `mlIntern.sandboxNetwork`, …): beside
 * settings.ts, the lowest layer, because Settings carries them; sandbox/ builds on them (and
 * re-exports them from sandbox/types.ts).
 */

/** The user's choice: `off`, the best available (`auto`), or one kind by name. */
export type SandboxMode = 'off' | 'auto' | 'bubblewrap' | 'seatbelt' | 'container';
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
  /**
   * A Slurm job the sandbox covers, on a compute node without a working bubblewrap, runs unconfined
   * there (said in its output) instead of stopping (mlIntern.sandboxNodesUnconfined; off by default).
   */
  nodesUnconfined?: boolean;
}

export const DEFAULT_SANDBOX_SETTINGS: SandboxSettings = { mode: 'off', network: 'off', image: '', trainings: false, nodesUnconfined: false };
