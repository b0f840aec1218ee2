"""A real transformers Trainer run whose console output (tqdm redraws, loss dicts, eval dicts,
the final summary) is what ML Intern's log pipeline must read; log_history goes to a JSON file to
compare with. With --oom it asks for an impossible batch so the real CUDA OOM traceback is printed.

usage: trainer_log.py HISTORY.json [--oom]
"""
import json
import sys
import tempfile

from transformers import Trainer

from common import SHAPES, RandomTokens, build_model, lora, training_arguments


def main():
    history_file = sys.argv[1]
    oom = "--oom" in sys.argv
    shape = "llama-3.2-1b" if oom else "tiny"
    model = lora(build_model(shape))
    vocab = SHAPES[shape][5]
    batch, seq = (256, 4096) if oom else (8, 128)
    train = RandomTokens(batch * (2 if oom else 40), seq, vocab)
    evaluation = RandomTokens(16, seq, vocab, seed=1)
    with tempfile.TemporaryDirectory() as out:
        args = training_arguments(
            output_dir=out,
            per_device_train_batch_size=batch,
            per_device_eval_batch_size=8,
            gradient_accumulation_steps=1,
            bf16=True,
            learning_rate=2e-4,
            num_train_epochs=2,
            warmup_ratio=0.1,
            logging_steps=5,
            eval_strategy="steps",
            eval_steps=20,
            save_strategy="no",
            report_to=[],
        )
        trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=evaluation)
        trainer.train()
        with open(history_file, "w") as f:
            json.dump(trainer.state.log_history, f, indent=1)


if __name__ == "__main__":
    main()
