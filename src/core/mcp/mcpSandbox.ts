/**
 * An MCP stdio server the user marks `"sandbox": true` starts inside the sandbox plan the agent's
 * commands use (mlIntern.sandbox, sandboxNetwork): its command and args are wrapped as launchArgv
 * wraps a command, and its tools are approved as sandboxed. A marked server never starts
 * unconfined: when no sandbox can start, it is not started and the error names what to install.
 */
import * as path from 'node:path';
import { McpServerConfig } from '../settings';
import { detectSandbox } from '../sandbox/detect';
import { prepareSandbox } from '../sandbox/prepare';
import { DEFAULT_SANDBOX_SETTINGS, SandboxKind, SandboxPlan, SandboxSettings } from '../sandbox/types';

export interface McpSandboxOptions {
  /** The user's sandbox settings (Settings.sandbox); absent = the defaults. */
  settings?: SandboxSettings;
  /** Over this process's environment: the HOME whose secrets are hidden, the PATH bwrap is found on. */
  env?: Record<string, string>;
  platform?: NodeJS.Platform;
}

/** How to start one server: its own command, or the command inside the sandbox; or why it may not start. */
export type McpLaunch = { ok: true; command: string; args: string[]; plan?: SandboxPlan } | { ok: false; message: string };

/** What `auto` tries on this platform, for naming what to install when nothing starts. */
function autoKinds(platform: NodeJS.Platform, image: string): SandboxKind[] {
  const native: SandboxKind[] = platform === 'linux' ? ['bubblewrap'] : platform === 'darwin' ? ['seatbelt'] : [];
  return image || !native.length ? [...native, 'container'] : native;
}

export function mcpLaunch(name: string, config: McpServerConfig, cwd: string, sandbox: McpSandboxOptions = {}): McpLaunch {
  const args = config.args ?? [];
  if (config.sandbox !== true) return { ok: true, command: config.command, args };
  const platform = sandbox.platform ?? process.platform;
  const settings = sandbox.settings ?? DEFAULT_SANDBOX_SETTINGS;
  // Marking a server is asking for a sandbox even while the agent's commands run unconfined: `off` means the best there is.
  const mode = settings.mode === 'off' ? 'auto' : settings.mode;
  const env = { ...process.env, ...sandbox.env };
  const prepared = prepareSandbox({ settings: { ...settings, mode }, workspace: cwd, env, platform });
  if (prepared.ok && prepared.plan) {
    const wrapped = prepared.plan.wrap([config.command, ...args], path.resolve(cwd), config.env);
    return { ok: true, command: wrapped[0], args: wrapped.slice(1), plan: prepared.plan };
  }
  const notStarted = `MCP server '${name}' is marked "sandbox": true but no sandbox can start here, so it was not started`;
  const found = detectSandbox(mode === 'auto' ? autoKinds(platform, settings.image) : [mode], env, platform);
  // Detected yet refused (a container without an image): the refusal says what to set.
  if (!Array.isArray(found) && !prepared.ok) return { ok: false, message: `${notStarted}. ${prepared.message}` };
  const reasons = Array.isArray(found) && found.length ? found.map((u) => `${u.kind}: ${u.reason}`).join('; ') : 'no sandbox fits this machine';
  return { ok: false, message: `${notStarted}. ${reasons}. Install it, or remove "sandbox": true from its entry in mlIntern.mcpServers to run it unconfined.` };
}
