/**
 * `ml-intern export <model folder> --name N`: the export plan of the extension's "Export Model…"
 * written into <work folder>/export-<name>/ — merge_bf16.py for an adapter, the training chat_template.jinja, an
 * Ollama Modelfile derived from that template and checked against it, vllm_smoke.py — and its
 * commands printed; with --run they run after one y/n, in order.
 */
import * as path from 'node:path';
import { CliCommand, EXIT_FAILED, EXIT_OK, UsageError, flagNumber, flagString } from '../command';
import { pythonFrom } from '../interaction';
import { QUANT_BITS } from '../../core/export/exportPlan';
import { commandLines, modelArgument, planFor, runCommands, stepsContext, writeFiles } from '../artifactSteps';
import { WORK_FOLDER_USAGE } from '../workFolder';

export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'Export a trained model for serving (merged bf16, GGUF, Ollama Modelfile, vLLM) with its training chat template',
  usage: [
    'ml-intern export <model folder> --name N [--base B] [--gguf Q4_K_M,...] [--llama-cpp DIR] [--ollama] [--vllm]',
    '                 [--system S] [--context-length N] [--run] [--workspace DIR] [--work-folder DIR] [--python P] [--approve=none|all]',
    '',
    'Writes ml-intern/export-<name>/ (the work folder, see --work-folder): merge_bf16.py (an adapter merged into its base, bf16 safetensors), chat_template.jinja (the',
    'template it was trained with), a Modelfile whose TEMPLATE and stop tokens are derived from it and checked by',
    'rendering the same conversations through both (a family without a mapping gets no Modelfile, and says why),',
    'and with --vllm vllm_smoke.py (vllm serve with that template, one request through its OpenAI API). Prints the',
    'commands; --run runs them after one y/n (--approve=all: without asking).',
    `  --gguf       quantisations after the bf16 GGUF (${Object.keys(QUANT_BITS).join(', ')}); needs --llama-cpp, a llama.cpp`,
    '               checkout with convert_hf_to_gguf.py and build/bin/llama-quantize.',
    '  --ollama     adds `ollama create N -f Modelfile`.',
    WORK_FOLDER_USAGE,
  ].join('\n'),
  booleanFlags: ['ollama', 'vllm', 'run'],
  async run(args, io) {
    const ctx = stepsContext(args, io, pythonFrom(args, io));
    const model = modelArgument(args, io, ctx.root, 'export');
    const name = flagString(args, 'name');
    if (!name) throw new UsageError('--name is required: the name Ollama and vLLM serve the model as, e.g. --name qwen-medical');
    const quants = (flagString(args, 'gguf') ?? '').split(',').map((q) => q.trim().toUpperCase()).filter(Boolean);
    const llama = flagString(args, 'llama-cpp');
    if (quants.length && !llama) throw new UsageError('--gguf needs --llama-cpp DIR: a llama.cpp checkout with convert_hf_to_gguf.py and build/bin/llama-quantize');
    const contextLength = flagNumber(args, 'context-length');
    if (contextLength !== undefined && (!Number.isInteger(contextLength) || contextLength < 1)) throw new UsageError(`--context-length must be a whole number, got '${contextLength}'`);
    const plan = await planFor(ctx, {
      kind: 'export',
      model,
      name,
      quants,
      ollama: Boolean(args.flags.ollama),
      vllm: Boolean(args.flags.vllm),
      // The commands run from export-<name>/: a relative checkout is the shell's, made absolute here.
      ...(llama ? { llamaCpp: path.resolve(io.cwd, llama) } : {}),
      ...(flagString(args, 'base') ? { baseModel: flagString(args, 'base') } : {}),
      ...(flagString(args, 'system') ? { system: flagString(args, 'system') } : {}),
      ...(contextLength ? { contextLength } : {}),
    });
    if (!plan) return EXIT_FAILED;
    if (!(await writeFiles(ctx, plan))) return EXIT_FAILED;
    for (const note of plan.notes) io.out(`note: ${note}\n`);
    if (!plan.commands.length) return EXIT_OK;
    io.out(`\nCommands${args.flags.run ? '' : ' (run them, or pass --run)'}:\n${commandLines(ctx, plan).join('\n')}\n`);
    return args.flags.run ? runCommands(ctx, plan) : EXIT_OK;
  },
};
