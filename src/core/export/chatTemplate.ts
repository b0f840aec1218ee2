/**
 * The training chat template, rendered as transformers renders it (`apply_chat_template`: the
 * template gets `messages`, `add_generation_prompt`, `tools`/`documents` = None and the special
 * tokens), through @huggingface/jinja — the Jinja implementation made for chat templates.
 *
 * BOS is rendered empty: llama.cpp and Ollama add it from the GGUF's tokenizer metadata
 * (tokenizer.ggml.add_bos_token), so a template that writes `{{ bos_token }}` must not have it
 * in the Modelfile's TEMPLATE too (it would be there twice).
 */
import { Template } from '@huggingface/jinja';

export interface ChatMessage {
  role: string;
  content: string;
}

export interface TrainingTemplate {
  /** The Jinja source (tokenizer_config.json chat_template or chat_template.jinja). */
  source: string;
  eosToken: string;
}

export class TemplateRenderError extends Error {}

export interface JinjaRenderer {
  render(messages: ChatMessage[], addGenerationPrompt: boolean): string;
  /** Whether the template writes bos_token (added by the serving tokenizer instead). */
  usesBos: boolean;
  source: string;
}

/** Parse once; render any conversation. A template that raises (raise_exception) throws TemplateRenderError with its text. */
export function jinjaRenderer(t: TrainingTemplate): JinjaRenderer {
  let template: Template;
  try {
    template = new Template(t.source);
  } catch (err) {
    throw new TemplateRenderError(`the chat template does not parse: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    usesBos: /\bbos_token\b/.test(t.source),
    source: t.source,
    render(messages, addGenerationPrompt) {
      try {
        return template.render({
          messages: messages.map((m) => ({ ...m })),
          add_generation_prompt: addGenerationPrompt,
          tools: null,
          documents: null,
          bos_token: '',
          eos_token: t.eosToken,
        });
      } catch (err) {
        throw new TemplateRenderError(err instanceof Error ? err.message : String(err));
      }
    },
  };
}

/** The chat template a saved tokenizer carries: chat_template.jinja (transformers >= 4.43 saves it apart) or tokenizer_config.json's. */
export function trainingTemplateFrom(files: { tokenizerConfig?: string; chatTemplateJinja?: string }, where: string): TrainingTemplate {
  let config: Record<string, unknown> = {};
  if (files.tokenizerConfig !== undefined) {
    try {
      const parsed = JSON.parse(files.tokenizerConfig) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) config = parsed as Record<string, unknown>;
    } catch {
      throw new TemplateRenderError(`${where}/tokenizer_config.json is not valid JSON: save the tokenizer again (tokenizer.save_pretrained).`);
    }
  }
  const eos = tokenText(config.eos_token);
  const source = files.chatTemplateJinja ?? chatTemplateOf(config);
  if (!source) {
    throw new TemplateRenderError(`${where} has no chat template (no chat_template.jinja, no chat_template in tokenizer_config.json): the model was trained without one, so there is no template to export. Train with a chat template, or write the Modelfile's TEMPLATE yourself.`);
  }
  if (!eos) throw new TemplateRenderError(`${where}/tokenizer_config.json names no eos_token: without it no stop token can be derived. Save the tokenizer with its EOS set.`);
  return { source, eosToken: eos };
}

/** tokenizer_config.json's chat_template: a string, or the "default" of a list of named templates (what transformers uses for chat). */
export function chatTemplateOf(config: unknown): string | undefined {
  const raw = config && typeof config === 'object' ? (config as { chat_template?: unknown }).chat_template : undefined;
  if (typeof raw === 'string') return raw;
  if (!Array.isArray(raw)) return undefined;
  const named = raw.find((x): x is { name: string; template: unknown } => !!x && typeof x === 'object' && (x as { name?: unknown }).name === 'default');
  return typeof named?.template === 'string' ? named.template : undefined;
}

function tokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return undefined;
}
