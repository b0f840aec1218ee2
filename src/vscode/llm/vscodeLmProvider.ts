/**
 * LlmProvider over VS Code's language models (`vscode.lm`, e.g. GitHub
 * Copilot): no key, the user's existing subscription.
 *
 * The `vscode` module is only imported as a type; the runtime classes come in
 * through `LmApi` so that the conversion and streaming logic is unit-tested
 * in plain Node with stand-ins.
 */
import type * as vscode from 'vscode';
import { isContextLengthMessage, llmError } from '../../core/llm/errors';
import { DEFAULT_CONTEXT_WINDOW } from '../../core/llm/pricing';
import { ChatMessage, LlmError, LlmProvider, LlmRequest, LlmResponse, StreamEvent, ToolCall, Usage } from '../../core/llm/types';

/** The parts of the `vscode` namespace this provider needs at runtime. */
export type LmApi = Pick<
  typeof vscode,
  'LanguageModelChatMessage' | 'LanguageModelTextPart' | 'LanguageModelToolCallPart' | 'LanguageModelToolResultPart' | 'CancellationTokenSource'
> & { lm: Pick<typeof vscode.lm, 'selectChatModels'> };

const JUSTIFICATION = 'ML Intern uses the model to plan fine-tuning runs, write training scripts and diagnose failures.';

export class VsCodeLmProvider implements LlmProvider {
  readonly id = 'vscode-lm';
  readonly model: string;
  readonly contextWindow: number;

  constructor(
    private readonly chatModel: vscode.LanguageModelChat,
    private readonly api: LmApi,
    contextWindowSetting = 0,
  ) {
    this.model = chatModel.id;
    this.contextWindow = contextWindowSetting > 0 ? contextWindowSetting : chatModel.maxInputTokens || DEFAULT_CONTEXT_WINDOW;
  }

  async chat(request: LlmRequest, onEvent?: (event: StreamEvent) => void): Promise<LlmResponse> {
    const signal = request.signal;
    if (signal?.aborted) throw llmError('cancelled', 'Cancelled.');
    const cts = new this.api.CancellationTokenSource();
    const onAbort = () => cts.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    const messages = toVsCodeMessages(request.messages, this.api);
    let text = '';
    const calls: ToolCall[] = [];
    try {
      const options: vscode.LanguageModelChatRequestOptions = { justification: JUSTIFICATION };
      if (request.tools?.length) options.tools = request.tools.map((t) => ({ name: t.name, description: t.description, inputSchema: t.parameters }));
      const response = await this.chatModel.sendRequest(messages, options, cts.token);
      for await (const part of response.stream) {
        if (signal?.aborted) break;
        if (part instanceof this.api.LanguageModelTextPart) {
          if (!part.value) continue;
          text += part.value;
          onEvent?.({ type: 'text', delta: part.value });
        } else if (part instanceof this.api.LanguageModelToolCallPart) {
          // Tool calls arrive whole: one start and one delta with the full JSON.
          const index = calls.length;
          const args = JSON.stringify(part.input ?? {});
          calls.push({ id: part.callId, name: part.name, arguments: args });
          onEvent?.({ type: 'tool_call_start', index, id: part.callId, name: part.name });
          onEvent?.({ type: 'tool_call_delta', index, argumentsDelta: args });
        }
      }
      if (signal?.aborted) throw llmError('cancelled', 'Cancelled.');
    } catch (err) {
      if (signal?.aborted) throw llmError('cancelled', 'Cancelled.');
      throw mapVsCodeError(err, this.model);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      cts.dispose();
    }
    const usage = await this.estimateUsage(messages, text, calls);
    onEvent?.({ type: 'usage', usage });
    return { text, toolCalls: calls, usage, stopReason: calls.length ? 'tool_calls' : 'end', model: this.model };
  }

  /** vscode.lm reports no usage: count tokens with the model's own tokenizer (best effort). */
  private async estimateUsage(messages: vscode.LanguageModelChatMessage[], text: string, calls: ToolCall[]): Promise<Usage> {
    const count = async (v: string | vscode.LanguageModelChatMessage) => {
      try {
        return await this.chatModel.countTokens(v);
      } catch {
        return 0;
      }
    };
    const input = (await Promise.all(messages.map((m) => count(m)))).reduce((a, b) => a + b, 0);
    const outputText = text + calls.map((c) => c.name + c.arguments).join('');
    const output = outputText ? await count(outputText) : 0;
    return { inputTokens: input, outputTokens: output, cachedInputTokens: 0, cacheWriteTokens: 0 };
  }
}

/** VS Code has no system role: the system prompt leads as a user message; tool results go in user messages. */
export function toVsCodeMessages(messages: ChatMessage[], api: LmApi): vscode.LanguageModelChatMessage[] {
  const { LanguageModelChatMessage: Msg, LanguageModelTextPart: Text, LanguageModelToolCallPart: Call, LanguageModelToolResultPart: Result } = api;
  const out: vscode.LanguageModelChatMessage[] = [];
  let pendingResults: vscode.LanguageModelToolResultPart[] = [];
  const flush = () => {
    if (pendingResults.length) out.push(Msg.User(pendingResults));
    pendingResults = [];
  };
  for (const m of messages) {
    if (m.role === 'tool') {
      pendingResults.push(new Result(m.toolCallId, [new Text(m.isError && !/^error/i.test(m.content) ? `Error: ${m.content}` : m.content)]));
      continue;
    }
    flush();
    if (m.role === 'system' || m.role === 'user') out.push(Msg.User(m.content));
    else {
      const parts: Array<vscode.LanguageModelTextPart | vscode.LanguageModelToolCallPart> = [];
      if (m.content) parts.push(new Text(m.content));
      for (const c of m.toolCalls ?? []) parts.push(new Call(c.id, c.name, parseObject(c.arguments)));
      if (parts.length) out.push(Msg.Assistant(parts));
    }
  }
  flush();
  return out;
}

function parseObject(args: string): object {
  try {
    const v: unknown = JSON.parse(args || '{}');
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}

/** vscode.LanguageModelError codes (NoPermissions, Blocked, NotFound) and anything else, as LlmErrors. */
export function mapVsCodeError(err: unknown, model: string): LlmError {
  if (err instanceof LlmError) return err;
  const code = typeof err === 'object' && err !== null ? String((err as { code?: unknown }).code ?? '') : '';
  const name = err instanceof Error ? err.name : '';
  const message = err instanceof Error ? err.message : String(err);
  if (name === 'Canceled' || name === 'CancellationError' || /cancel/i.test(code)) return llmError('cancelled', 'Cancelled.');
  if (code === 'NoPermissions') {
    return llmError(
      'auth',
      `VS Code did not allow ML Intern to use the language model '${model}'. Allow it when VS Code asks (Accounts menu → Manage Language Model Access), or pick another provider with 'ML Intern: Select Model'.`,
    );
  }
  if (code === 'Blocked') {
    return llmError('rate_limit', `The language model '${model}' refused the request (blocked or out of quota). Wait and try again, or pick another model with 'ML Intern: Select Model'.`);
  }
  if (code === 'NotFound') {
    return llmError('not_found', `The language model '${model}' is not available any more. Check that its extension (e.g. GitHub Copilot) is signed in, or run 'ML Intern: Select Model'.`);
  }
  if (isContextLengthMessage(message)) {
    return llmError('context_length', `The conversation is too long for '${model}'. Start a new chat, or set mlIntern.contextWindow lower so ML Intern compacts the history earlier.`);
  }
  return llmError('server', `The language model '${model}' failed: ${message.split('\n')[0].slice(0, 300)}. Try again, or pick another model with 'ML Intern: Select Model'.`);
}

/** Pick the chat model named by mlIntern.model (id or family); empty = Copilot's gpt-4.1, else the first. */
export async function selectVsCodeModel(api: LmApi, model: string, contextWindowSetting = 0): Promise<VsCodeLmProvider> {
  const all = await api.lm.selectChatModels();
  if (!all.length) {
    throw llmError(
      'no_provider',
      "No VS Code language model is available. Install and sign in to GitHub Copilot (or another extension that provides models), or pick another provider with 'ML Intern: Select Model'.",
    );
  }
  const wanted = model.trim();
  const chosen = wanted
    ? all.find((m) => m.id === wanted) ?? all.find((m) => m.family === wanted) ?? all.find((m) => m.name === wanted)
    : all.find((m) => m.vendor === 'copilot' && m.family === 'gpt-4.1') ?? all[0];
  if (!chosen) {
    const ids = all.map((m) => m.id).slice(0, 12).join(', ');
    throw llmError('not_found', `No VS Code language model is called '${wanted}'. Available: ${ids}. Run 'ML Intern: Select Model' or change mlIntern.model.`);
  }
  return new VsCodeLmProvider(chosen, api, contextWindowSetting);
}
