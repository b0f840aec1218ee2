import type * as vscode from 'vscode';
import { SecretName, Secrets } from '../../core/ports';
import { redactor } from '../../core/util/redact';

const KEY_PREFIX = 'mlIntern.secret.';

/** Secrets in VS Code's SecretStorage (the OS keychain); every value read is registered for redaction. */
export class VsCodeSecrets implements Secrets {
  constructor(private readonly storage: vscode.SecretStorage) {}

  async get(name: SecretName): Promise<string | undefined> {
    const value = await this.storage.get(KEY_PREFIX + name);
    redactor.addSecret(value);
    return value;
  }

  async set(name: SecretName, value: string): Promise<void> {
    redactor.addSecret(value);
    await this.storage.store(KEY_PREFIX + name, value);
  }

  async delete(name: SecretName): Promise<void> {
    await this.storage.delete(KEY_PREFIX + name);
  }

  /** Register every stored value with the redactor at activation. */
  async primeRedactor(): Promise<void> {
    await Promise.all((['openai', 'anthropic', 'openai-compatible', 'hf'] as SecretName[]).map((n) => this.get(n)));
  }
}
