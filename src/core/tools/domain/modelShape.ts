/** A model's shape for the memory estimate: a workspace folder's config.json, else the built-in table. */
import { dimsFromConfig, lookupModel, ModelDims } from '../../recipes';
import { ToolContext } from '../types';

export async function modelDims(ctx: ToolContext, model: string): Promise<ModelDims | undefined> {
  const config = `${model.replace(/\/+$/, '')}/config.json`;
  let text: string | undefined;
  try {
    text = await ctx.files.readIfExists(config);
  } catch {
    text = undefined; // a Hub id such as "org/name" may not be a path the store accepts
  }
  if (text !== undefined) return dimsFromConfig(JSON.parse(text) as Record<string, unknown>);
  return lookupModel(model);
}
