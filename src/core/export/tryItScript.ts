/**
 * try_it.py: the same prompts to the base model and to the trained one, with the training chat
 * template (the trained tokenizer's), one system prompt and one set of sampling settings, answers
 * streamed as JSON lines ({"event": "delta", "side": "base"|"trained", "prompt": i, "text": …})
 * for the side-by-side view, and every answer kept in TRANSCRIPT (JSON lines).
 *
 * An adapter is loaded once: the base answers come from the same weights with the adapter
 * disabled (peft's disable_adapter), so trying a 7B adapter needs one copy of the model, not two.
 * Streaming goes through transformers' TextStreamer hook (on_finalized_text), no thread needed.
 */
import { pyStr } from '../recipes/templates/escape';

export interface TryItOptions {
  baseModel: string;
  /** The trained model as seen from the script's folder: adapter or full model folder. */
  trained: string;
  isAdapter: boolean;
  prompts: string[];
  system?: string;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  /** Where the transcript goes, from the script's folder. */
  transcript: string;
  seed: number;
}

function pyList(items: string[]): string {
  return items.length ? `[\n${items.map((p) => `    ${pyStr(p)},`).join('\n')}\n]` : '[]';
}

export function tryItScript(o: TryItOptions): string {
  return `#!/usr/bin/env python3
"""
Try it: the same prompts to the base model and to the trained one, side by side, with the chat
template the model was trained with. Each answer streams as JSON lines on stdout and is kept in
TRANSCRIPT. Edit PROMPTS, SYSTEM_PROMPT or the sampling settings and run it again.
"""
import json
import sys
import time

# --- CONFIG (edit freely; one NAME = value per line) ---
BASE_MODEL = ${pyStr(o.baseModel)}
TRAINED = ${pyStr(o.trained)}
TRAINED_IS_ADAPTER = ${o.isAdapter ? 'True' : 'False'}
SYSTEM_PROMPT = ${pyStr(o.system ?? '')}
TEMPERATURE = ${Number.isFinite(o.temperature) ? o.temperature : 0.7}
TOP_P = ${Number.isFinite(o.topP) ? o.topP : 0.9}
MAX_NEW_TOKENS = ${Math.max(1, Math.floor(o.maxNewTokens))}
SEED = ${Math.floor(o.seed)}
TRANSCRIPT = ${pyStr(o.transcript)}
PROMPTS = ${pyList(o.prompts)}
# --- END CONFIG ---


# \`python try_it.py --text\` prints the answers for a terminal; without it, JSON lines for the side-by-side view.
TEXT = "--text" in sys.argv[1:]


def show(event):
    kind = event["event"]
    if kind == "delta":
        print(event["text"], end="", flush=True)
    elif kind == "start":
        print(f"Base: {event['base']}\\nTrained: {event['trained']}\\nSettings: {json.dumps(event['settings'])}", flush=True)
    elif kind == "prompt":
        print(f"\\n=== Prompt {event['prompt'] + 1}: {event['text']}", flush=True)
    elif kind == "side":
        print(f"\\n--- {event['side']} ---", flush=True)
    elif kind == "answer":
        print(f"\\n({event['tokens']} tokens, {event['seconds']} s)", flush=True)
    elif kind == "end":
        print(f"\\nTranscript: {TRANSCRIPT}", flush=True)


def emit(event, transcript=None):
    line = json.dumps(event, ensure_ascii=False)
    if TEXT:
        show(event)
    else:
        print(line, flush=True)
    # The transcript keeps whole answers; the pieces and headers are for the screen only.
    if transcript is not None and event["event"] not in ("delta", "side"):
        transcript.write(line + "\\n")
        transcript.flush()


def load():
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer, TextStreamer
    except ImportError as err:
        sys.exit(f"Try it needs torch and transformers on the GPU machine ({err}): pip install torch transformers")
    # The trained model's tokenizer carries the chat template (and EOS) used in training: both sides use it.
    tokenizer = AutoTokenizer.from_pretrained(TRAINED)
    if not tokenizer.chat_template:
        sys.exit(f"{TRAINED} has no chat template: there is no training template to try the models with")
    dtype = torch.bfloat16 if torch.cuda.is_available() else torch.float32
    base = AutoModelForCausalLM.from_pretrained(BASE_MODEL, torch_dtype=dtype, device_map="auto")
    if TRAINED_IS_ADAPTER:
        try:
            from peft import PeftModel
        except ImportError as err:
            sys.exit(f"The trained model is a LoRA adapter: peft is needed ({err}): pip install peft")
        trained = PeftModel.from_pretrained(base, TRAINED)
    else:
        trained = AutoModelForCausalLM.from_pretrained(TRAINED, torch_dtype=dtype, device_map="auto")
    return torch, tokenizer, base, trained, TextStreamer


def answer(torch, tokenizer, model, streamer_class, side, index, input_ids, transcript, disable_adapter=False):
    class JsonStreamer(streamer_class):
        def on_finalized_text(self, text, stream_end=False):
            if text:
                emit({"event": "delta", "side": side, "prompt": index, "text": text})

    torch.manual_seed(SEED)
    kwargs = dict(max_new_tokens=MAX_NEW_TOKENS, do_sample=TEMPERATURE > 0, pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
                  streamer=JsonStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True))
    if TEMPERATURE > 0:
        kwargs.update(temperature=TEMPERATURE, top_p=TOP_P)
    emit({"event": "side", "side": side, "prompt": index})
    started = time.time()
    with torch.no_grad():
        if disable_adapter:
            with model.disable_adapter():
                out = model.generate(input_ids.to(model.device), **kwargs)
        else:
            out = model.generate(input_ids.to(model.device), **kwargs)
    new_tokens = out[0][input_ids.shape[-1]:]
    text = tokenizer.decode(new_tokens, skip_special_tokens=True)
    emit({"event": "answer", "side": side, "prompt": index, "text": text, "tokens": int(len(new_tokens)),
          "seconds": round(time.time() - started, 2)}, transcript)


def main():
    if not PROMPTS:
        sys.exit("PROMPTS is empty: add at least one prompt")
    torch, tokenizer, base, trained, streamer_class = load()
    settings = {"temperature": TEMPERATURE, "top_p": TOP_P, "max_new_tokens": MAX_NEW_TOKENS, "seed": SEED}
    with open(TRANSCRIPT, "a", encoding="utf-8") as transcript:
        emit({"event": "start", "base": BASE_MODEL, "trained": TRAINED, "system": SYSTEM_PROMPT, "settings": settings, "prompts": PROMPTS}, transcript)
        for index, prompt in enumerate(PROMPTS):
            messages = ([{"role": "system", "content": SYSTEM_PROMPT}] if SYSTEM_PROMPT else []) + [{"role": "user", "content": prompt}]
            input_ids = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt")
            emit({"event": "prompt", "prompt": index, "text": prompt}, transcript)
            # With an adapter the base answers come from the same weights, the adapter switched off.
            answer(torch, tokenizer, trained if TRAINED_IS_ADAPTER else base, streamer_class, "base", index, input_ids, transcript, disable_adapter=TRAINED_IS_ADAPTER)
            answer(torch, tokenizer, trained, streamer_class, "trained", index, input_ids, transcript)
        emit({"event": "end", "prompts": len(PROMPTS)}, transcript)


if __name__ == "__main__":
    main()
`;
}

/** Up to `n` user prompts from held-out rows (messages / prompt / instruction / question columns), as the data inspection reads them. */
export function promptsFromRows(rows: unknown[], n: number): string[] {
  const out: string[] = [];
  for (const row of rows) {
    if (out.length >= n) break;
    if (!row || typeof row !== 'object') continue;
    const r = row as Record<string, unknown>;
    const messages = Array.isArray(r.messages) ? r.messages : Array.isArray(r.conversations) ? r.conversations : undefined;
    let prompt: unknown;
    if (messages) {
      // OpenAI-style {role, content} or ShareGPT-style {from: "human", value}.
      const first = messages.find((m) => m && typeof m === 'object' && ((m as { role?: unknown }).role === 'user' || (m as { from?: unknown }).from === 'human')) as { content?: unknown; value?: unknown } | undefined;
      prompt = first?.content ?? first?.value;
    }
    prompt ??= r.prompt ?? r.instruction ?? r.question ?? r.input;
    if (typeof prompt === 'string' && prompt.trim()) out.push(prompt.trim());
  }
  return out;
}
