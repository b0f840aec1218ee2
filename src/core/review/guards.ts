/**
 * What the reviewer refuses before showing anything, and when a policy may
 * accept a change without asking. Pure; the messages go back to the agent
 * as the rejection reason, so they say what to do instead.
 */
import { AutoApprovePolicy } from '../settings';
import { ChangeOrigin } from '../ports';

/** Files larger than this are not reviewed (1 MiB): a training script or config is far smaller. */
export const MAX_REVIEW_BYTES = 1024 * 1024;

/** A refusal message for content that cannot be reviewed as text, or undefined when it can. */
export function refuseContent(path: string, bytes: Uint8Array | string, which: 'current' | 'proposed'): string | undefined {
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes, 'utf8') : bytes.byteLength;
  const what = which === 'current' ? `'${path}' on disk` : `the proposed content for '${path}'`;
  if (size > MAX_REVIEW_BYTES) {
    return `Refused: ${what} is ${formatSize(size)}, over the ${formatSize(MAX_REVIEW_BYTES)} review limit. Propose a smaller text file (generated data, checkpoints and logs should be written by the training run, not reviewed).`;
  }
  const hasNul = typeof bytes === 'string' ? bytes.includes('\u0000') : bytes.includes(0);
  if (hasNul) {
    return `Refused: ${what} is binary (it contains NUL bytes); only text files are reviewed. Leave binary files to the training run.`;
  }
  return undefined;
}

function formatSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;
}

/** 'all' accepts everything; 'recipe' (and 'sandboxed', which differs for commands only) accepts what the deterministic recipe engine or recovery playbook wrote. */
export function autoApproves(policy: AutoApprovePolicy, origin: ChangeOrigin): boolean {
  if (policy === 'all') return true;
  if (policy === 'recipe' || policy === 'sandboxed') return origin === 'recipe' || origin === 'playbook';
  return false;
}
