/**
 * What the wizard's last question offers to check before the full run (no vscode import: tested
 * without a host). On the Slurm target there is no smoke run: it would start here, while the GPUs
 * that count are a compute node's; the token preview needs no GPU and is offered everywhere.
 */
import { DEFAULT_SMOKE_STEPS } from '../../core/session/smokeRun';

export interface CheckItem {
  check: 'preview' | 'smoke';
  label: string;
  description: string;
}

export function checkItems(slurm: boolean): CheckItem[] {
  const preview: CheckItem = { check: 'preview', label: 'Preview tokens', description: 'what the script trains on: trained tokens highlighted, template checks, lengths (no GPU)' };
  const smoke: CheckItem = { check: 'smoke', label: `Smoke run (${DEFAULT_SMOKE_STEPS} steps)`, description: 'step time, tokens/s, peak GPU memory, ETA; a batch plan fitted to the measured memory as a diff' };
  return slurm ? [preview] : [preview, smoke];
}
