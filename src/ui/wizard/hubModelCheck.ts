/**
 * Does the base model the user typed exist on the Hugging Face Hub? Asked once,
 * with a short timeout, so a typo stops at the model step instead of failing
 * when the training downloads it. Offline (or a slow network) never blocks:
 * the answer is then "could not check". No vscode import: unit-tested against
 * a real local HTTP server.
 */

export type HubModelCheck =
  | { kind: 'found' }
  | { kind: 'not_found'; message: string }
  | { kind: 'unchecked'; reason: string };

export interface HubCheckOptions {
  /** https://huggingface.co unless a test (or HF_ENDPOINT) says otherwise. */
  endpoint?: string;
  timeoutMs?: number;
  /** An HF token, so private models the user can read are found. Sent only to the endpoint. */
  token?: string;
}

/** A local folder (not a Hub id): nothing to ask the Hub. */
export function isLocalModelPath(id: string): boolean {
  return /^(\/|\.\.?\/|~\/|[A-Za-z]:[\\/])/.test(id.trim());
}

export async function checkHubModel(id: string, options: HubCheckOptions = {}): Promise<HubModelCheck> {
  const endpoint = (options.endpoint ?? 'https://huggingface.co').replace(/\/+$/, '');
  const url = `${endpoint}/api/models/${id.split('/').map(encodeURIComponent).join('/')}`;
  let status: number;
  let errorCode: string | null;
  try {
    const res = await fetch(url, {
      method: 'GET',
      headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
      signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      redirect: 'follow',
    });
    status = res.status;
    errorCode = res.headers.get('x-error-code');
    await res.body?.cancel().catch(() => undefined);
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return { kind: 'unchecked', reason: timedOut ? 'the Hub did not answer in time' : 'the Hub could not be reached (offline?)' };
  }
  if (status >= 200 && status < 300) return { kind: 'found' };
  // The Hub answers 401 to anonymous requests for a repo that does not exist (or is private), 404 otherwise;
  // both carry X-Error-Code: RepoNotFound (huggingface_hub's hf_raise_for_status reads the same header).
  if (status === 404 || errorCode === 'RepoNotFound' || (status === 401 && !options.token)) {
    const privateHint = options.token ? '' : ' If it is a private model, store your Hugging Face token first.';
    return { kind: 'not_found', message: `'${id}' was not found on the Hugging Face Hub: check the spelling (owner/name, case included).${privateHint}` };
  }
  // Gated models answer 200 to the model API; anything else (403, 5xx, rate limits) says nothing about the id.
  return { kind: 'unchecked', reason: `the Hub answered HTTP ${status}` };
}
