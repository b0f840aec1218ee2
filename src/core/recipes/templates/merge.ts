/** mergekit: a YAML config for each merge method, the mergekit-yaml command and an upload step. */
import { hubCli } from '../libraryVersions';
import { ResolvedSpec } from '../spec';
import { EvalRecipe } from './evaluate';
import { yamlComment, yamlNumber, yamlScalar as yq } from './escape';
import { checkMergedTokenizerScript, tokenizerDonor, tokenizerYaml } from './mergeTokenizer';

export function mergeYaml(spec: ResolvedSpec): string {
  const mm = spec.mergeMethod!;
  const models = spec.models!;
  const dtype = spec.bf16 === false ? 'float16' : 'bfloat16';
  const lines: string[] = [`# mergekit config: ${mm} merge, written by ML Intern. Run: mergekit-yaml config.yaml ./${yamlComment(spec.outputDir)} --cuda`];
  if (mm === 'slerp') {
    // slerp walks the sphere between exactly two models; t = 0 is the first, 1 the second.
    const base = spec.baseModel ?? models[0].model;
    lines.push(
      'slices:',
      '  - sources:',
      ...models.map((m) => `      - model: ${yq(m.model)}\n        layer_range: [0, ${yamlNumber(layersOf(spec), 'mergeLayers')}]`),
      'merge_method: slerp',
      `base_model: ${yq(base)}`,
      'parameters:',
      `  t: ${yamlNumber(spec.t, 't')}`,
      `dtype: ${dtype}`,
      ...tokenizerYaml(spec),
    );
    return lines.join('\n') + '\n';
  }
  lines.push('models:');
  if (mm !== 'linear' && spec.baseModel && !models.some((m) => m.model === spec.baseModel)) {
    lines.push(`  - model: ${yq(spec.baseModel)}`, '    # the base contributes no task vector of its own');
  }
  for (const m of models) {
    lines.push(`  - model: ${yq(m.model)}`);
    const params: string[] = [];
    if (m.weight !== undefined) params.push(`      weight: ${yamlNumber(m.weight, 'models[].weight')}`);
    if ((mm === 'ties' || mm === 'dare_ties') && m.density !== undefined) params.push(`      density: ${yamlNumber(m.density, 'models[].density')}`);
    if (mm === 'task_arithmetic' && m.weight === undefined) params.push('      weight: 1.0');
    if (params.length) lines.push('    parameters:', ...params);
  }
  lines.push(`merge_method: ${mm}`);
  if (mm !== 'linear') lines.push(`base_model: ${yq(spec.baseModel!)}`);
  if (mm === 'ties' || mm === 'dare_ties') lines.push('parameters:', '  normalize: true', '  int8_mask: true');
  lines.push(`dtype: ${dtype}`, ...tokenizerYaml(spec));
  return lines.join('\n') + '\n';
}

/** Layer count for slerp slices, from the built-in model table when known (else 32). */
function layersOf(spec: ResolvedSpec): number {
  return spec.mergeLayers ?? 32;
}


export function renderMerge(spec: ResolvedSpec): EvalRecipe {
  const files = [
    { path: 'check_merged_tokenizer.py', content: checkMergedTokenizerScript(spec), description: 'Checks the merged tokenizer (EOS, chat template) against the model it came from' },
    { path: 'config.yaml', content: mergeYaml(spec), description: `mergekit ${spec.mergeMethod} config` },
  ];
  const commands: { argv: string[]; description: string; heavy?: boolean }[] = [
    { argv: ['mergekit-yaml', 'config.yaml', `./${spec.outputDir}`, '--cuda'], description: `Merge into ./${spec.outputDir} on the GPU (drop --cuda to merge on CPU)`, heavy: true },
    { argv: ['python', 'check_merged_tokenizer.py'], description: `Check the merged tokenizer's EOS and chat template against ${tokenizerDonor(spec)}` },
  ];
  const notes = ['Install mergekit with pip install mergekit. The merged models must share one architecture and tokenizer.'];
  if (spec.hubRepo) {
    // The upload command of the installed huggingface_hub (`huggingface-cli` is gone in 1.0).
    const cli = hubCli(spec.env?.packages?.huggingface_hub);
    commands.push({ argv: [cli.program, 'upload', spec.hubRepo, `./${spec.outputDir}`, '.'], description: `Upload the merged model to ${spec.hubRepo} (token from HF_TOKEN or ${cli.login})` });
    if (!spec.env?.packages?.huggingface_hub) notes.push(`huggingface_hub was not reported installed: the upload uses \`${cli.program}\` (huggingface_hub 0.34 or later: pip install -U huggingface_hub).`);
  }
  return { files, commands, notes };
}
