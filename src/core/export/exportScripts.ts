/**
 * The Python scripts of an export, as text for review: merging a LoRA adapter into bf16
 * safetensors (the tokenizer and its chat template saved beside it), and the vLLM smoke test
 * (start `vllm serve` with the training template, one chat request through its OpenAI-compatible
 * API, stop it). Standard library at import; heavy libraries inside main() with a clear message.
 */
import { pyStr } from '../recipes/templates/escape';

export function mergeBf16Script(o: { baseModel: string; adapterDir: string; mergedDir: string }): string {
  return `#!/usr/bin/env python3
"""Merge the LoRA adapter into its base model and save bf16 safetensors, with the adapter's tokenizer
(its chat template and EOS are the ones the model was trained with)."""
import sys

# --- CONFIG (edit freely; one NAME = value per line) ---
BASE_MODEL = ${pyStr(o.baseModel)}
ADAPTER_DIR = ${pyStr(o.adapterDir)}
MERGED_DIR = ${pyStr(o.mergedDir)}
# --- END CONFIG ---


def main():
    try:
        import torch
        from peft import PeftModel
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as err:
        sys.exit(f"Merging needs torch, transformers and peft ({err}): pip install torch transformers peft")
    base = AutoModelForCausalLM.from_pretrained(BASE_MODEL, torch_dtype=torch.bfloat16, low_cpu_mem_usage=True)
    merged = PeftModel.from_pretrained(base, ADAPTER_DIR).merge_and_unload()
    merged.save_pretrained(MERGED_DIR, safe_serialization=True)
    AutoTokenizer.from_pretrained(ADAPTER_DIR).save_pretrained(MERGED_DIR)
    print(f"Merged model (bf16 safetensors) and tokenizer saved to {MERGED_DIR}")


if __name__ == "__main__":
    main()
`;
}

export function vllmSmokeScript(o: { modelDir: string; servedName: string; chatTemplate: string; port: number; prompt: string }): string {
  return `#!/usr/bin/env python3
"""
Smoke test of the vLLM deployment: start \`vllm serve\` with the training chat template, send one chat
request through its OpenAI-compatible API, print the answer, stop the server. The answer must end
because the model stopped (finish_reason "stop"), not because it ran out of tokens: a model that
never stops was served with the wrong template or EOS.
"""
import json
import subprocess
import sys
import time
import urllib.request

# --- CONFIG (edit freely; one NAME = value per line) ---
MODEL_DIR = ${pyStr(o.modelDir)}
SERVED_NAME = ${pyStr(o.servedName)}
CHAT_TEMPLATE = ${pyStr(o.chatTemplate)}
PORT = ${o.port}
PROMPT = ${pyStr(o.prompt)}
MAX_TOKENS = 256
STARTUP_SECONDS = 600
# --- END CONFIG ---

BASE_URL = f"http://127.0.0.1:{PORT}/v1"


def wait_ready(server):
    deadline = time.time() + STARTUP_SECONDS
    while time.time() < deadline:
        if server.poll() is not None:
            sys.exit(f"vllm serve exited with code {server.returncode} before it was ready (its output is above)")
        try:
            with urllib.request.urlopen(f"{BASE_URL}/models", timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(2)
    sys.exit(f"vllm serve was not ready after {STARTUP_SECONDS} s")


def chat():
    messages = [{"role": "user", "content": PROMPT}]
    try:
        from openai import OpenAI
    except ImportError:
        body = json.dumps({"model": SERVED_NAME, "messages": messages, "max_tokens": MAX_TOKENS}).encode()
        req = urllib.request.Request(f"{BASE_URL}/chat/completions", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=300) as r:
            choice = json.load(r)["choices"][0]
        return choice["message"]["content"], choice["finish_reason"]
    client = OpenAI(base_url=BASE_URL, api_key="not-needed")
    choice = client.chat.completions.create(model=SERVED_NAME, messages=messages, max_tokens=MAX_TOKENS).choices[0]
    return choice.message.content, choice.finish_reason


def main():
    argv = ["vllm", "serve", MODEL_DIR, "--chat-template", CHAT_TEMPLATE, "--served-model-name", SERVED_NAME, "--host", "127.0.0.1", "--port", str(PORT)]
    print("Starting:", " ".join(argv), flush=True)
    server = subprocess.Popen(argv)
    try:
        wait_ready(server)
        answer, finish = chat()
        print(json.dumps({"prompt": PROMPT, "answer": answer, "finish_reason": finish}, ensure_ascii=False))
        if finish != "stop":
            sys.exit(f"The answer ended with finish_reason {finish!r}, not 'stop': check the EOS and the chat template")
        print(f"vLLM serves {SERVED_NAME} with the training chat template. To serve it: {' '.join(argv)}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
`;
}
