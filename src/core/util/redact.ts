/**
 * Secret redaction for everything that leaves the process: transcripts, logs,
 * observations sent to the LLM, error messages. Known key shapes are always
 * redacted; values actually stored in SecretStorage are registered at runtime.
 */

/** The key shapes (exported for the streaming redactor, which must know where a match could start). */
export const SECRET_SHAPES: readonly RegExp[] = [
  /sk-ant-[A-Za-z0-9_-]{8,}/g,
  /sk-(?:proj-)?[A-Za-z0-9_-]{16,}/g,
  /hf_[A-Za-z0-9]{16,}/g,
  /(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
];

/**
 * `api_key = "…"`, `token: …`: only a value that looks like a secret (16+
 * characters of key alphabet with a digit, no dots) — so code such as
 * `tokenizer.pad_token = tokenizer.eos_token` stays intact.
 */
export const ASSIGNED_SECRET = /((?:api[_-]?key|token|authorization|x-api-key)["']?\s*[:=]\s*["']?)([A-Za-z0-9_~+/=-]{16,})/gi;

export const REDACTED = '[REDACTED]';

export class Redactor {
  private readonly known = new Set<string>();

  /** Register a value that must never appear in output (e.g. a stored key). */
  addSecret(value: string | undefined): void {
    if (value && value.length >= 6) this.known.add(value);
  }

  /** The registered values, for a process that redacts on its own (the detached launcher). */
  knownSecrets(): string[] {
    return [...this.known];
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.known) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    out = out.replace(ASSIGNED_SECRET, (match, prefix: string, value: string) => (/\d/.test(value) ? `${prefix}${REDACTED}` : match));
    for (const re of SECRET_SHAPES) {
      out = out.replace(re, (match, prefix?: string) =>
        typeof prefix === 'string' && match.startsWith(prefix) ? `${prefix}${REDACTED}` : REDACTED,
      );
    }
    return out;
  }

  /** Redact every string inside a JSON-like value. */
  redactDeep<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as unknown as T;
    if (Array.isArray(value)) return value.map((v) => this.redactDeep(v)) as unknown as T;
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = this.redactDeep(v);
      return out as T;
    }
    return value;
  }
}

/** Process-wide redactor: the hosts register stored secrets into it at start. */
export const redactor = new Redactor();
