"""Peak GPU memory of a few real training steps (transformers Trainer, as SFTTrainer runs them), one
configuration per process, printed as one JSON line; compare with `ml-intern estimate`.

usage: measure_memory.py SHAPE ADAPTER(lora|full) GC(0|1) BATCH SEQ [STEPS]
"""
import json
import sys
import tempfile
import time

import torch
from transformers import Trainer

from common import SHAPES, RandomTokens, build_model, lora, training_arguments


def main():
    shape, adapter, gc, batch, seq = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4]), int(sys.argv[5])
    steps = int(sys.argv[6]) if len(sys.argv) > 6 else 4
    t0 = time.time()
    model = build_model(shape)
    if adapter == "lora":
        model = lora(model)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    data = RandomTokens(batch * steps, seq, SHAPES[shape][5])
    with tempfile.TemporaryDirectory() as out:
        args = training_arguments(
            output_dir=out,
            per_device_train_batch_size=batch,
            gradient_accumulation_steps=1,
            gradient_checkpointing=gc,
            gradient_checkpointing_kwargs={"use_reentrant": False},
            bf16=True,
            optim="adamw_torch",
            learning_rate=2e-4 if adapter == "lora" else 2e-5,
            max_steps=steps,
            logging_steps=1,
            save_strategy="no",
            report_to=[],
            disable_tqdm=True,
        )
        torch.cuda.reset_peak_memory_stats()
        Trainer(model=model, args=args, train_dataset=data).train()
        torch.cuda.synchronize()
    free, capacity = torch.cuda.mem_get_info()
    print(json.dumps({
        "shape": shape, "adapter": adapter, "gradientCheckpointing": gc, "batch": batch, "seq": seq, "steps": steps,
        "params": total, "trainable": trainable,
        "peakAllocatedGiB": round(torch.cuda.max_memory_allocated() / 2**30, 2),
        "peakReservedGiB": round(torch.cuda.max_memory_reserved() / 2**30, 2),
        "gpu": torch.cuda.get_device_name(0), "capacityGiB": round(capacity / 2**30, 2),
        "seconds": round(time.time() - t0, 1),
    }), flush=True)


if __name__ == "__main__":
    main()
