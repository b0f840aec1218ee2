/**
 * Secrets from environment variables, for the CLI (and tests): the keys the
 * factory's messages name. Read-only: set/delete only affect this process.
 */
import { SecretName, Secrets } from '../ports';

export const SECRET_ENV: Record<SecretName, string[]> = {
  openai: ['OPENAI_API_KEY'],
  anthropic: ['ANTHROPIC_API_KEY'],
  'openai-compatible': ['ML_INTERN_API_KEY', 'OPENAI_COMPATIBLE_API_KEY'],
  hf: ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN'],
};

export class EnvSecrets implements Secrets {
  private readonly overrides = new Map<SecretName, string | undefined>();
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  async get(name: SecretName): Promise<string | undefined> {
    if (this.overrides.has(name)) return this.overrides.get(name);
    for (const v of SECRET_ENV[name]) {
      const value = this.env[v]?.trim();
      if (value) return value;
    }
    return undefined;
  }

  async set(name: SecretName, value: string): Promise<void> {
    this.overrides.set(name, value);
  }

  async delete(name: SecretName): Promise<void> {
    this.overrides.set(name, undefined);
  }
}
