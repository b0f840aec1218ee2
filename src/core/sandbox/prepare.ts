/**
 * From the user's choice to a plan a command can be wrapped with, or the reason nothing may run.
 * Never a silent fallback: a sandbox asked for by name (or `auto` finding none) that cannot start
 * is an error that names what to install; only `off` runs unconfined.
 */
import { existsSync, mkdirSync, readdirSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { bubblewrapArgv, HiddenEntry } from './bubblewrap';
import { containerArgv } from './container';
import { Detected, detectSandbox, Unavailable } from './detect';
import { limitArgv, limitMechanism, limitWarnings } from './limits';
import { defaultPolicy } from './policy';
import { seatbeltArgv } from './seatbelt';
import { SandboxKind, SandboxLimits, SandboxPlan, SandboxPolicy, SandboxSettings } from './types';

export interface PrepareInput {
  settings: SandboxSettings;
  workspace: string;
  runDir?: string;
  /** The environment the command gets and the PATH the sandbox programs are looked up on. */
  env: NodeJS.ProcessEnv;
  limits?: Partial<SandboxLimits>;
  platform?: NodeJS.Platform;
}

/** `warning`: `auto` found no sandbox here, so the command runs unconfined (approvals still apply). */
export type Prepared = { ok: true; plan: SandboxPlan | undefined; warning?: string } | { ok: false; message: string };

/** `auto` picks the first that works here. */
const AUTO_ORDER: Record<string, SandboxKind[]> = { linux: ['bubblewrap', 'container'], darwin: ['seatbelt', 'container'] };

export function prepareSandbox(input: PrepareInput): Prepared {
  const { settings } = input;
  if (settings.mode === 'off') return { ok: true, plan: undefined };
  const platform = input.platform ?? process.platform;
  const order = settings.mode === 'auto' ? (AUTO_ORDER[platform] ?? ['container']) : [settings.mode];
  // container needs an image; under auto it is only a candidate when one is set.
  const candidates = order.filter((k) => k !== 'container' || settings.image || settings.mode === 'container');
  const found = detectSandbox(candidates, input.env, platform);
  if (Array.isArray(found)) {
    // `auto` means "the best there is": none is a warning, not a refusal; a sandbox named is never skipped.
    if (settings.mode === 'auto') return { ok: true, plan: undefined, warning: autoWarning(found) };
    return { ok: false, message: unavailableMessage(settings.mode, found) };
  }
  if (found.kind === 'container' && !settings.image) {
    return { ok: false, message: 'The container sandbox needs an image: set mlIntern.sandboxImage (e.g. an image with CUDA, Python and your training libraries). Nothing was run.' };
  }
  const workspace = realpathSync(input.workspace);
  const policy = defaultPolicy({ workspace, runDir: input.runDir, env: input.env, network: settings.network, limits: input.limits });
  return { ok: true, plan: makePlan(found, policy, settings, input.env) };
}

function autoWarning(why: Unavailable[]): string {
  return `mlIntern.sandbox is 'auto' but no sandbox can start here, so the agent's commands run unconfined (each still needs your approval; autoApprove 'sandboxed' asks for all of them). ${why.map((u) => `${u.kind}: ${u.reason}`).join('; ')}.`;
}

function unavailableMessage(mode: string, why: Unavailable[]): string {
  const reasons = why.length ? why.map((u) => `${u.kind}: ${u.reason}`).join('; ') : 'no sandbox fits this machine';
  return `mlIntern.sandbox is '${mode}' but no sandbox can start here, so nothing was run. ${reasons}. ` +
    "Install it, or set mlIntern.sandbox to 'off' to run commands unconfined (with approvals).";
}

function makePlan(found: Detected, policy: SandboxPolicy, settings: SandboxSettings, env: NodeJS.ProcessEnv): SandboxPlan {
  const limits = limitMechanism(env);
  const warnings = limitWarnings(limits, policy.limits);
  if (policy.network === 'allowlist') {
    warnings.push('network allowlist is not enforced by domain (that needs a filtering proxy): the command has the network, as with `on`, and approvals treat it as `on`');
  }
  const prepared = found.kind === 'container' ? policy : existingPaths(policy);
  const wrapKind = (argv: string[], cwd: string, commandEnv?: Record<string, string>): string[] => {
    if (found.kind === 'bubblewrap') {
      return bubblewrapArgv({ program: found.program, policy, writable: prepared.writable, hidden: hiddenEntries(policy.hidden), devices: gpuDevices(), cwd, env }, argv);
    }
    if (found.kind === 'seatbelt') return seatbeltArgv(found.program, policy, argv);
    const hiddenInside = hiddenEntries(policy.hidden).filter((h) => policy.writable.some((dir) => h.path.startsWith(`${dir}${path.sep}`)));
    return containerArgv({ program: found.program, image: settings.image, policy, cwd, envNames: Object.keys(commandEnv ?? {}), gpus: gpuDevices().length > 0, hiddenInside }, argv);
  };
  return {
    kind: found.kind,
    network: policy.network,
    label: `${found.kind}, network ${policy.network}`,
    warnings,
    // A container enforces its own limits (--pids-limit, --memory).
    wrap: (argv, cwd, commandEnv) => (found.kind === 'container' ? wrapKind(argv, cwd, commandEnv) : limitArgv(limits, policy.limits, wrapKind(argv, cwd, commandEnv))),
  };
}

/** The writable folders, created when missing (the Hugging Face cache on a fresh machine), as real paths. */
function existingPaths(policy: SandboxPolicy): SandboxPolicy {
  const writable: string[] = [];
  for (const dir of policy.writable) {
    try {
      mkdirSync(dir, { recursive: true });
      writable.push(realpathSync(dir));
    } catch {
      // A folder that cannot be made stays read-only inside; the command says what it could not write.
    }
  }
  return { ...policy, writable: [...new Set(writable)] };
}

/** The secrets that exist now, by type; a symlinked secret is hidden where it points too. */
function hiddenEntries(paths: string[]): HiddenEntry[] {
  const out: HiddenEntry[] = [];
  for (const p of paths) {
    if (!existsSync(p)) continue;
    for (const target of new Set([p, realpathSync(p)])) out.push({ path: target, type: statSync(target).isDirectory() ? 'dir' : 'file' });
  }
  return out;
}

/** The NVIDIA and DRM device nodes, so trainings see the GPUs inside. */
function gpuDevices(): string[] {
  const devices: string[] = [];
  try {
    for (const name of readdirSync('/dev')) if (name.startsWith('nvidia')) devices.push(path.join('/dev', name));
  } catch {
    return devices;
  }
  if (existsSync('/dev/dri')) devices.push('/dev/dri');
  return devices;
}
