/** The Try-it view's first values (free of 'vscode' so the view's tests use the real ones). */
import { artifactFolder } from '../../core/session/artifactPlan';
import { TRANSCRIPT_FILE } from '../../core/export/tryItPlan';
import { TryItViewInit } from '../../core/export/tryItView';
import { slugify } from '../../core/runs/ids';

/**
 * The view's first values: the held-out prompts, the sampling try_it.py defaults to, the export's vLLM names (the export serves
 * the trained model under this slug), and the transcript where try_it.py keeps its answers (in `workFolder`, the checked mlIntern.workFolder).
 */
export function tryItInit(model: string, baseModel: string, prompts: string[], workFolder: string, system = ''): TryItViewInit {
  const trainedName = slugify(`${baseModel.split('/').pop() ?? 'model'}-${model.split('/').filter((p) => !/^(outputs?|final|checkpoint-\d+)$/.test(p)).pop() ?? 'ft'}`, 40).toLowerCase();
  return {
    model,
    baseModel,
    prompts,
    system,
    temperature: 0.7,
    topP: 0.9,
    maxNewTokens: 256,
    seed: 0,
    vllm: { endpoint: 'http://127.0.0.1:8000/v1', baseName: baseModel, trainedName },
    transcript: `${artifactFolder({ kind: 'try-it', model, prompts }, workFolder)}/${TRANSCRIPT_FILE}`,
  };
}

