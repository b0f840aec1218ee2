// An environment report as env_report.py returns it for a machine (or a Slurm compute node) with
// `gpus` GPUs of one kind: the planners and launch plans read its GPUs' memory and bf16 support.
import { EnvReport, GpuInfo } from '../../src/core/python/types';

export const H100: Omit<GpuInfo, 'index'> = { name: 'NVIDIA H100 80GB HBM3', memoryTotalMiB: 81559, memoryFreeMiB: 81000, computeCapability: '9.0', bf16: true, flashAttention: true };

export function gpuEnvReport(gpus: number, kind: Omit<GpuInfo, 'index'> = H100): EnvReport {
  return {
    gpus: Array.from({ length: gpus }, (_, index) => ({ index, ...kind })),
    gpuSource: gpus ? 'nvidia-smi' : null,
    cudaVersion: '12.4',
    driverVersion: '550.54',
    python: { version: '3.11.9', executable: '/opt/venv/bin/python' },
    platform: 'Linux-x86_64',
    libraries: {
      torch: '2.4.0', transformers: '4.46.0', trl: '0.12.0', peft: '0.13.0', datasets: '3.0.0', accelerate: '1.0.0',
      bitsandbytes: '0.44.0', flash_attn: null, lighteval: null, mergekit: null, huggingface_hub: '0.26.0', trackio: null, wandb: null, tensorboard: null,
    },
    disk: { path: '/', freeMiB: 500000, totalMiB: 1000000 },
    hfToken: false,
    cpuCount: 32,
    ramMiB: 256000,
    ramAvailableMiB: 200000,
    problems: [],
  };
}
