"""Shared bits of the GPU checks: model shapes (from the models' config.json) and a random-token dataset.

The GPU machines used for these checks cannot reach the Hub, so models are built from their
published shapes with random weights: memory and speed depend on the shapes, not the values.
"""
import torch

SHAPES = {
    # hidden, layers, heads, kv heads, intermediate, vocab, tied embeddings
    "llama-3.2-1b": (2048, 16, 32, 8, 8192, 128256, True),
    "llama-3.1-8b": (4096, 32, 32, 8, 14336, 128256, False),
    "tiny": (256, 4, 8, 4, 688, 32000, True),
}


def build_model(shape, dtype=torch.bfloat16, attn="sdpa"):
    from transformers import LlamaConfig, LlamaForCausalLM

    hidden, layers, heads, kv, inter, vocab, tied = SHAPES[shape]
    config = LlamaConfig(
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv,
        intermediate_size=inter,
        vocab_size=vocab,
        tie_word_embeddings=tied,
        rope_theta=500000.0,
        max_position_embeddings=8192,
    )
    config._attn_implementation = attn
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
            model = LlamaForCausalLM(config)
    finally:
        torch.set_default_dtype(previous)
    model.config.use_cache = False
    return model


class RandomTokens(torch.utils.data.Dataset):
    """Fixed-length rows of random token ids; labels = inputs (causal LM loss on every token)."""

    def __init__(self, rows, length, vocab, seed=0):
        g = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(0, vocab, (rows, length), generator=g)

    def __len__(self):
        return self.ids.shape[0]

    def __getitem__(self, i):
        ids = self.ids[i]
        return {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": ids.clone()}


def lora(model, r=16, alpha=32, dropout=0.05):
    """The recipe engine's default adapter: every linear layer but the output head."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules="all-linear", bias="none", task_type="CAUSAL_LM")
    return get_peft_model(model, config)


def training_arguments(**kwargs):
    """TrainingArguments with the keyword names of the installed transformers (eval_strategy was
    evaluation_strategy before 4.41)."""
    import dataclasses
    from transformers import TrainingArguments

    fields = {f.name for f in dataclasses.fields(TrainingArguments)}
    if "eval_strategy" in kwargs and "eval_strategy" not in fields:
        kwargs["evaluation_strategy"] = kwargs.pop("eval_strategy")
    return TrainingArguments(**{k: v for k, v in kwargs.items() if k in fields})
