"""Real failure texts of the installed libraries, one case per process (the traceback is what the
user's terminal shows): python failures.py CASE. Cases need no network and no dataset library."""
import sys


def case_renamed_kwarg():
    from transformers import TrainingArguments
    TrainingArguments(output_dir="out", evaluation_strategy="steps")


def case_lora_typo():
    from peft import LoraConfig
    LoraConfig(r=16, target_module=["q_proj"])


def case_flash_attn_missing():
    from common import build_model
    build_model("tiny", attn="flash_attention_2")


def case_offline_hub():
    import os
    os.environ["HF_HUB_OFFLINE"] = "0"
    from transformers import AutoModelForCausalLM
    AutoModelForCausalLM.from_pretrained("meta-llama/Llama-3.2-1B")


def _tokenizer(pad=False, template=False):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    vocab = {"<unk>": 0, "</s>": 1, "hello": 2, "world": 3}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    t = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="</s>", unk_token="<unk>")
    if pad:
        t.pad_token = t.eos_token
    return t


def case_missing_pad_token():
    _tokenizer()(["hello world", "hello"], padding=True)


def case_missing_chat_template():
    _tokenizer(pad=True).apply_chat_template([{"role": "user", "content": "hello"}], tokenize=False)


def case_missing_module():
    import trl  # noqa: F401  (not installed on the GPU machine)


def case_nan_loss():
    # A learning rate far too high: the loss goes to nan / inf and the Trainer keeps printing it.
    import tempfile
    from transformers import Trainer
    from common import RandomTokens, build_model, training_arguments
    model = build_model("tiny")
    with tempfile.TemporaryDirectory() as out:
        args = training_arguments(output_dir=out, per_device_train_batch_size=8, learning_rate=1e6, max_steps=30,
                                  logging_steps=5, save_strategy="no", report_to=[], bf16=True, max_grad_norm=0)
        Trainer(model=model, args=args, train_dataset=RandomTokens(240, 64, 32000)).train()


if __name__ == "__main__":
    globals()["case_" + sys.argv[1]]()
