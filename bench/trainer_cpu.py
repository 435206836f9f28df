"""LoRA training throughput on the CPU: packed vs padded batches, and QLoRA.

Run: `.venv/bin/python bench/trainer_cpu.py` (`--quick` for fewer steps).
Prints a table and writes bench/results/trainer_cpu.json.

The packaged SmolLM2-135M-Instruct, LoRA r=16 on q/k/v/o, real samples of the
generic adapter's mix (tool awareness + guardrails, ~330 tokens each). Each
variant runs in its own process (so its peak memory is its own) for a warm-up
step and then timed steps of about `--tokens` real tokens each:

- padded: the samples of a step padded to the longest, an attention mask,
  logits and loss over every position (what a stock Trainer loop does);
- packed+block-mask: samples end to end, position ids restarting per sample,
  transformers' sdpa with the block-diagonal causal mask it builds from them;
  logits only where a target is;
- packed: the same row, attention cut at each sample's boundary
  (trainer_svc/attention.py), logits only where a target is;
- packed+prefix (the worker's default): the same, and the leading tokens
  every sample of the step shares (the fixed system rules) computed once;
- packed+prefix+qlora: the same with 4-bit NF4 base weights (bitsandbytes).

"real tokens/s" counts sample tokens, never padding. The machine is shared:
compare only figures of one run, and rerun when the box is quiet.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

RESULTS = Path(__file__).resolve().parent / "results" / "trainer_cpu.json"
VARIANTS = ("padded", "packed+block-mask", "packed", "packed+prefix", "packed+prefix+qlora")


def _batches(tokens_per_step: int, steps: int) -> list[list[Any]]:
    from hybridtools.ecosystems.training_sets import guardrail_samples, tool_awareness_samples
    from hybridtools.llm.packaged import ensure_model_dir, load_tokenizer
    from trainer_svc.packing import tokenize_sample

    tokenizer = load_tokenizer(ensure_model_dir())
    mixed = [
        s
        for pair in zip(tool_awareness_samples(60, 1), guardrail_samples(60, 1), strict=True)
        for s in pair
    ]
    samples = [tokenize_sample(tokenizer, s["messages"]) for s in mixed]
    batches, current, used = [], [], 0
    for sample in samples:
        if current and used + len(sample.input_ids) > tokens_per_step:
            batches.append(current)
            current, used = [], 0
            if len(batches) == steps:
                break
        current.append(sample)
        used += len(sample.input_ids)
    return batches


def run_variant(variant: str, threads: int, tokens_per_step: int, steps: int) -> dict[str, Any]:
    """One variant in this process: warm-up step, then `steps` timed ones."""
    import torch
    import torch.nn.functional as F

    from hybridtools.llm.packaged import ensure_model_dir
    from hybridtools.llm.threads import set_torch_threads
    from trainer_svc.job_files import LoraConfigSpec, WorkerConfig
    from trainer_svc.packing import IGNORE, pack
    from trainer_svc.worker import _load_model

    set_torch_threads(threads)
    batches = _batches(tokens_per_step, steps + 1)
    config = WorkerConfig(
        base_model="smollm2-135m-instruct",
        model_cache_dir="",
        lora=LoraConfigSpec(rank=16, alpha=32.0),
        quantization="4bit" if variant.endswith("qlora") else "none",
    )
    model = _load_model(ensure_model_dir(), config, torch.device("cpu"))
    if variant in ("padded", "packed+block-mask"):
        model.base_model.model.config._attn_implementation = "sdpa"
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)

    def step(samples: list[Any]) -> int:
        if variant == "padded":
            longest = max(len(s.input_ids) for s in samples)
            ids = torch.zeros((len(samples), longest), dtype=torch.long)
            labels = torch.full((len(samples), longest), IGNORE)
            mask = torch.zeros((len(samples), longest), dtype=torch.long)
            for row, sample in enumerate(samples):
                n = len(sample.input_ids)
                ids[row, :n] = torch.tensor(sample.input_ids)
                labels[row, :n] = torch.tensor(sample.labels)
                mask[row, :n] = 1
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        else:
            batch = pack(samples, share_prefix="prefix" in variant)
            targets = torch.tensor(batch.targets)
            keep = targets != IGNORE
            extra = {}
            if variant != "packed+block-mask":
                extra = {
                    "cu_seq_lens": torch.tensor(batch.boundaries),
                    "shared_prefix": batch.shared_prefix,
                }
            out = model(
                input_ids=torch.tensor([batch.input_ids]),
                position_ids=torch.tensor([batch.position_ids]),
                logits_to_keep=keep.unsqueeze(0),
                use_cache=False,
                **extra,
            )
            logits = out.logits.reshape(-1, out.logits.shape[-1]).float()
            loss = F.cross_entropy(logits, targets[keep])
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return sum(len(s.input_ids) for s in samples)

    step(batches[0])
    started = time.perf_counter()
    tokens = sum(step(samples) for samples in batches[1:])
    seconds = time.perf_counter() - started
    return {
        "variant": variant,
        "threads": threads,
        "steps": len(batches) - 1,
        "real_tokens": tokens,
        "seconds": round(seconds, 2),
        "real_tokens_per_second": round(tokens / seconds, 1),
        "seconds_per_step": round(seconds / (len(batches) - 1), 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--threads", nargs="*", type=int, default=[1, 2])
    parser.add_argument("--tokens", type=int, default=1400, help="real tokens per step")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="2 steps, 1 and 2 threads")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--one", nargs=2, metavar=("VARIANT", "THREADS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:  # a child: one variant, JSON on stdout
        print(json.dumps(run_variant(args.one[0], int(args.one[1]), args.tokens, args.steps)))
        return 0
    steps = 2 if args.quick else args.steps
    rows = []
    for threads in args.threads:
        for variant in args.variants:
            command = [
                sys.executable,
                __file__,
                "--one",
                variant,
                str(threads),
                "--tokens",
                str(args.tokens),
                "--steps",
                str(steps),
            ]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(
                    f"{variant} @ {threads} threads failed:\n{done.stderr[-2000:]}", file=sys.stderr
                )
                continue
            row = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append(row)
            speed = row["real_tokens_per_second"]
            print(
                f"{row['variant']:>18} {row['threads']} thr  {speed:7.1f} real tok/s  "
                f"{row['seconds_per_step']:6.2f} s/step  peak {row['peak_rss_mb']:7.0f} MB",
                flush=True,
            )
    load = os.getloadavg()
    report = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load_average": load},
        "settings": {
            "tokens_per_step": args.tokens,
            "steps": steps,
            "lora": "r=16 alpha=32 q/k/v/o",
        },
        "rows": rows,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2))
    print(f"wrote {args.output} (load average {load[0]:.2f}: a shared box, figures are noisy)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
