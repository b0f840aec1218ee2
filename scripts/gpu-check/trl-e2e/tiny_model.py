"""Build the two tiny Llama models the GPU end-to-end cases train (random weights, no Hub needed).

    python tiny_model.py <cases-dir> <dest>

<dest>/llama       a *base* model: no pad token, no chat template (the generated scripts must add both)
<dest>/llama-chat  an *instruct* model: a Llama-3-style chat template and a pad token

The tokenizer is a byte-level BPE trained on the cases' own data, so every row tokenizes to
realistic lengths; the model is small enough for nine runs to share one GPU at once.
"""
import glob
import json
import os
import sys


def texts(cases_dir):
    """Every string value in every case's data, for training the tokenizer."""
    def walk(v):
        if isinstance(v, str):
            yield v
        elif isinstance(v, dict):
            for x in v.values():
                yield from walk(x)
        elif isinstance(v, list):
            for x in v:
                yield from walk(x)

    for path in glob.glob(os.path.join(cases_dir, "*", "data", "*.jsonl")):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    yield from walk(json.loads(line))


LLAMA3_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] + '<|eot_id|>' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}"
)


def main(cases_dir, dest):
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|pad|>"]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(texts(cases_dir), trainers.BpeTrainer(vocab_size=4096, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))

    for name, chat in (("llama", False), ("llama-chat", True)):
        out = os.path.join(dest, name)
        kwargs = {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>" if chat else "<|end_of_text|>"}
        if chat:
            kwargs["pad_token"] = "<|pad|>"
        tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, model_max_length=2048, **kwargs)
        if chat:
            tokenizer.chat_template = LLAMA3_TEMPLATE
        tokenizer.save_pretrained(out)
        torch.manual_seed(0)
        config = LlamaConfig(
            hidden_size=256, num_hidden_layers=4, num_attention_heads=8, num_key_value_heads=4,
            intermediate_size=688, vocab_size=len(tokenizer), max_position_embeddings=2048,
            tie_word_embeddings=True, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
        LlamaForCausalLM(config).to(torch.bfloat16).save_pretrained(out)
        print(f"{out}: vocab {len(tokenizer)}, pad {tokenizer.pad_token!r}, chat template {'yes' if chat else 'no'}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
