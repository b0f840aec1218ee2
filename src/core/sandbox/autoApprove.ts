/**
 * `mlIntern.autoApprove: "sandboxed"`: a command runs without asking when it runs inside the
 * sandbox with the network off. Anything that reaches beyond it still asks: a package install,
 * a push to the Hub or a git remote, the network on — and `allowlist`, because without a
 * filtering proxy it is the network on.
 */
import type { SandboxNetwork } from './types';

export interface SandboxedRequest {
  argv: string[];
  /** The Python snippet or other text the command runs. */
  detail?: string;
  sandbox?: { label: string; network: SandboxNetwork };
}

const INSTALLERS = /(^|[\s/])(pip3?|uv|conda|mamba|micromamba|apt|apt-get|npm|yarn|pnpm)$/;
const PUSHES = /\b(push_to_hub|upload_folder|upload_file|upload_large_folder|create_repo|create_commit|HfApi\(\)\.upload)\b/;

/** Why this command still needs the user's yes under `sandboxed`, or undefined when it does not. */
export function whySandboxedAsks(request: SandboxedRequest): string | undefined {
  if (!request.sandbox) return 'it does not run in a sandbox (mlIntern.sandbox is off)';
  if (request.sandbox.network !== 'off') return `the sandbox's network is ${request.sandbox.network}`;
  const words = request.argv.map((a) => a.trim());
  for (let i = 0; i < words.length; i++) {
    const next = words[i + 1] ?? '';
    if (INSTALLERS.test(words[i]) && /^(install|add|sync)$/.test(next)) return 'it installs packages';
    if ((words[i] === 'pip' || words[i] === 'pip3') && words[i - 1] === '-m' && next === 'install') return 'it installs packages';
    if (/(^|\/)(huggingface-cli|hf)$/.test(words[i]) && /^(upload|upload-large-folder|repo)$/.test(next)) return 'it pushes to the Hugging Face Hub';
    if (/(^|\/)git$/.test(words[i]) && next === 'push') return 'it pushes to a git remote';
  }
  const text = `${words.join(' ')}\n${request.detail ?? ''}`;
  if (PUSHES.test(text)) return 'it pushes to the Hugging Face Hub';
  if (/\b(pip|pip3)\s+install\b|subprocess.*\bpip\b/.test(text)) return 'it installs packages';
  return undefined;
}
