"""The training worker: `accelerate launch -m trainer_svc.worker --job-dir DIR`.

One program for 1 CPU, 1 GPU or several GPUs; accelerate's launch flags pick.
It reads `worker.json` and `dataset.jsonl` from the job directory, trains a
LoRA (or QLoRA: 4-bit NF4 base weights through bitsandbytes) adapter, and
writes `progress.jsonl` as it goes, checkpoints, the adapter and `result.json`
(see `job_files.py`). It decides nothing about publishing: the server does.

Rerun on the same directory, it resumes from the newest checkpoint with the
exact steps the interrupted run had left (the step plan is fixed by the seed).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import resource
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from hybridtools.core.files import write_json_atomic
from trainer_svc.attention import register_packed_attention
from trainer_svc.job_files import JobPaths, WorkerConfig, append_event
from trainer_svc.packing import IGNORE, TokenizedSample, pack, plan_steps, tokenize_sample, truncate

CHECKPOINTS_KEPT = 2
# The loss reported as "final": the mean over the last steps, since one
# step's loss on a handful of samples is noisy.
FINAL_LOSS_WINDOW = 10


@dataclass
class RunState:
    """What a checkpoint restores besides the weights and the optimizer."""

    step: int = 0
    tokens: int = 0
    target_tokens: int = 0
    losses: list[float] = field(default_factory=list)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--job-dir", required=True, type=Path)
    args = parser.parse_args(argv)
    paths = JobPaths(args.job_dir.resolve())
    config = WorkerConfig.read(paths.worker_config)
    from accelerate import Accelerator

    accelerator = Accelerator(cpu=not torch.cuda.is_available())
    events = paths.progress if accelerator.is_main_process else None
    try:
        run(paths, config, accelerator)
    except BaseException as exc:
        if events is not None:
            append_event(events, {"event": "error", "error": _reason(exc), "time": time.time()})
        raise
    return 0


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return f"{type(exc).__name__}: {exc}"[:2000]


def _emit(paths: JobPaths, accelerator: Any, event: dict[str, Any]) -> None:
    if accelerator.is_main_process:
        append_event(paths.progress, {**event, "time": time.time()})


def run(paths: JobPaths, config: WorkerConfig, accelerator: Any) -> None:
    from transformers import set_seed

    from hybridtools.llm.packaged import ensure_model_dir, load_tokenizer
    from hybridtools.llm.threads import available_cpus, set_torch_threads

    if accelerator.device.type == "cpu":
        set_torch_threads(config.threads or available_cpus())
    if config.eval_samples > 0:
        # Imported now, not after hours of training: the evaluation then runs
        # the code that was there when the job started.
        import trainer_svc.evaluation  # noqa: F401

        if accelerator.device.type == "cpu":
            import hybridtools.llm.engine  # noqa: F401
    set_seed(config.seed)
    _emit(
        paths,
        accelerator,
        {
            "event": "started",
            "pid": os.getpid(),
            "processes": accelerator.num_processes,
            "device": str(accelerator.device),
            "threads": torch.get_num_threads(),
        },
    )
    model_dir = ensure_model_dir(config.base_model, Path(config.model_cache_dir))
    tokenizer = load_tokenizer(model_dir)
    samples, truncated = _load_samples(paths.dataset, tokenizer, config.sequence_length)
    plan = plan_steps(
        [len(s.input_ids) for s in samples],
        config.batch_size * config.sequence_length,
        config.epochs,
        config.seed,
        config.max_steps,
    )
    model = _load_model(model_dir, config, accelerator.device)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=0.0)
    from transformers import get_linear_schedule_with_warmup

    warmup = max(1, round(plan.total_steps * config.warmup_ratio))
    scheduler = get_linear_schedule_with_warmup(optimizer, warmup, plan.total_steps)
    model, optimizer = accelerator.prepare(model, optimizer)
    state = _resume(paths, accelerator, model, optimizer, scheduler)
    _emit(
        paths,
        accelerator,
        {
            "event": "plan",
            "total_steps": plan.total_steps,
            "samples": len(samples),
            "truncated_samples": truncated,
            "resumed_from_step": state.step,
            "trainable_parameters": sum(p.numel() for p in trainable),
        },
    )
    started = time.perf_counter()
    tokens_at_start, steps_at_start = state.tokens, state.step
    model.train()
    for step in range(state.step, plan.total_steps):
        share = plan.steps[step][accelerator.process_index :: accelerator.num_processes]
        # A process with no sample in this step still runs one (weighted 0):
        # DDP's gradient all-reduce waits for every process.
        batch = pack(
            [samples[index] for index in share or plan.steps[step][:1]], config.share_prefix
        )
        loss_sum, targets = _train_step(
            model, batch, accelerator, optimizer, scheduler, weight=1.0 if share else 0.0
        )
        # Real tokens: what the samples hold (a shared prefix counts for each
        # sample, as without sharing), never padding (there is none).
        real_tokens = batch.sample_tokens if share else 0
        totals = accelerator.reduce(
            torch.tensor([loss_sum, targets, real_tokens], device=accelerator.device), "sum"
        ).tolist()
        state.step = step + 1
        state.losses.append(totals[0] / max(totals[1], 1.0))
        state.target_tokens += int(totals[1])
        state.tokens += int(totals[2])
        elapsed = time.perf_counter() - started
        per_step = elapsed / (state.step - steps_at_start)
        _emit(
            paths,
            accelerator,
            {
                "event": "step",
                "step": state.step,
                "total_steps": plan.total_steps,
                "loss": round(state.losses[-1], 5),
                "learning_rate": scheduler.get_last_lr()[0],
                "tokens": state.tokens,
                "tokens_per_second": round((state.tokens - tokens_at_start) / elapsed, 2),
                "eta_seconds": round(per_step * (plan.total_steps - state.step), 1),
                "epoch": round(plan.epoch_at(state.step), 4),
            },
        )
        last = state.step == plan.total_steps
        if config.checkpoint_every and state.step % config.checkpoint_every == 0 and not last:
            _save_checkpoint(paths, accelerator, model, optimizer, scheduler, state)
    train_seconds = time.perf_counter() - started
    accelerator.wait_for_everyone()
    if not accelerator.is_main_process:
        return
    unwrapped = accelerator.unwrap_model(model)
    _save_adapter(unwrapped, paths.adapter, config.base_model)
    result: dict[str, Any] = {
        "steps": state.step,
        "total_steps": plan.total_steps,
        "initial_loss": state.losses[0] if state.losses else None,
        "final_loss": _final_loss(state.losses),
        "last_step_loss": state.losses[-1] if state.losses else None,
        "tokens": state.tokens,
        "target_tokens": state.target_tokens,
        "train_seconds_this_run": round(train_seconds, 1),
        "tokens_per_second": round((state.tokens - tokens_at_start) / max(train_seconds, 1e-9), 2),
        "samples": len(samples),
        "truncated_samples": truncated,
        "peak_memory_mb": _peak_memory_mb(accelerator.device),
        "device": str(accelerator.device),
        "processes": accelerator.num_processes,
        "threads": torch.get_num_threads(),
    }
    if config.eval_samples > 0:
        _emit(paths, accelerator, {"event": "evaluating", "samples": config.eval_samples})
        if accelerator.device.type == "cpu":
            del model, optimizer, unwrapped
            gc.collect()
            result.update(_evaluate_on_cpu(paths, config, model_dir))
        else:
            result.update(_evaluate_with_model(paths, config, unwrapped, tokenizer))
    write_json_atomic(paths.result, result)
    _emit(paths, accelerator, {"event": "done", "final_loss": result["final_loss"]})


def _load_samples(
    dataset: Path, tokenizer: Any, sequence_length: int
) -> tuple[list[TokenizedSample], int]:
    samples: list[TokenizedSample] = []
    truncated = 0
    with open(dataset, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                sample = tokenize_sample(tokenizer, json.loads(line)["messages"])
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{dataset.name} line {number}: {exc}") from exc
            if len(sample.input_ids) > sequence_length:
                truncated += 1
                sample = truncate(sample, sequence_length)
            if sample.trainable_tokens > 0:
                samples.append(sample)
    if not samples:
        raise ValueError(f"{dataset.name} holds no sample with an assistant turn to learn")
    return samples, truncated


def _load_model(model_dir: Path, config: WorkerConfig, device: torch.device) -> Any:
    from peft import LoraConfig, PeftModel, get_peft_model, prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    attention = register_packed_attention()
    on_gpu = device.type == "cuda"
    # bf16 on GPUs (every card QLoRA targets has it); fp32 on the CPU, where
    # bf16 matmuls without AVX-512 BF16 are slower than fp32.
    compute_dtype = torch.bfloat16 if on_gpu else torch.float32
    if config.quantization == "4bit":
        quantization = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=compute_dtype,
        )
        model = AutoModelForCausalLM.from_pretrained(
            model_dir,
            quantization_config=quantization,
            dtype=compute_dtype,
            attn_implementation=attention,
            device_map={"": (device.index or 0) if on_gpu else "cpu"},
        )
        # Gradient checkpointing trades compute for memory: worth it for a 7B
        # base on a GPU, not for the 135M model on the CPU.
        model = prepare_model_for_kbit_training(
            model,
            use_gradient_checkpointing=on_gpu,
            gradient_checkpointing_kwargs={"use_reentrant": False},
        )
    else:
        model = AutoModelForCausalLM.from_pretrained(
            model_dir, dtype=compute_dtype, attn_implementation=attention
        ).to(device)
    model.config.use_cache = False
    if config.init_adapter:
        return PeftModel.from_pretrained(model, config.init_adapter, is_trainable=True)
    lora = LoraConfig(
        r=config.lora.rank,
        lora_alpha=config.lora.alpha,
        target_modules=list(config.lora.target_modules),
        lora_dropout=config.lora.dropout,
        bias="none",
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, lora)


def _train_step(
    model: Any,
    batch: Any,
    accelerator: Any,
    optimizer: Any,
    scheduler: Any,
    weight: float = 1.0,
) -> tuple[float, int]:
    """One optimizer step on one packed row; returns (loss sum, target tokens), both x weight."""
    device = accelerator.device
    targets = torch.tensor(batch.targets, device=device)
    keep = targets != IGNORE
    count = int(keep.sum())
    output = model(
        input_ids=torch.tensor([batch.input_ids], device=device),
        position_ids=torch.tensor([batch.position_ids], device=device),
        cu_seq_lens=torch.tensor(batch.boundaries),
        shared_prefix=batch.shared_prefix,
        # Logits only where a target is: most positions are prompt, and
        # the vocabulary projection is a fifth of the model's compute.
        logits_to_keep=keep.unsqueeze(0),
        use_cache=False,
    )
    logits = output.logits.reshape(-1, output.logits.shape[-1]).float()
    loss_sum = F.cross_entropy(logits, targets[keep], reduction="sum")
    # Mean over this process's targets; with several processes DDP averages
    # the gradients, which weighs each process's tokens alike.
    accelerator.backward(weight * loss_sum / max(count, 1))
    accelerator.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return weight * float(loss_sum.detach()), int(weight * count)


def _final_loss(losses: list[float]) -> float | None:
    if not losses:
        return None
    window = losses[-min(FINAL_LOSS_WINDOW, max(1, math.ceil(len(losses) / 10))) :]
    return round(sum(window) / len(window), 5)


def _checkpoint_dirs(paths: JobPaths) -> list[Path]:
    if not paths.checkpoints.is_dir():
        return []
    return sorted(
        (p for p in paths.checkpoints.iterdir() if p.name.startswith("step-")),
        key=lambda p: int(p.name.split("-")[1]),
    )


def _save_checkpoint(
    paths: JobPaths,
    accelerator: Any,
    model: Any,
    optimizer: Any,
    scheduler: Any,
    state: RunState,
) -> None:
    accelerator.wait_for_everyone()
    if not accelerator.is_main_process:
        return
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    target = paths.checkpoints / f"step-{state.step:06d}"
    staging = paths.checkpoints / f".staging-{state.step:06d}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    weights = get_peft_model_state_dict(accelerator.unwrap_model(model))
    save_file(
        {k: v.detach().contiguous().cpu() for k, v in weights.items()}, staging / "lora.safetensors"
    )
    torch.save(optimizer.state_dict(), staging / "optimizer.pt")
    torch.save(scheduler.state_dict(), staging / "scheduler.pt")
    write_json_atomic(staging / "state.json", state.__dict__)
    # The rename is the commit: a crash before it leaves only a staging folder.
    staging.rename(target)
    for old in _checkpoint_dirs(paths)[:-CHECKPOINTS_KEPT]:
        shutil.rmtree(old, ignore_errors=True)
    _emit(paths, accelerator, {"event": "checkpoint", "step": state.step})


def _resume(
    paths: JobPaths, accelerator: Any, model: Any, optimizer: Any, scheduler: Any
) -> RunState:
    checkpoints = _checkpoint_dirs(paths)
    if not checkpoints:
        return RunState()
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    latest = checkpoints[-1]
    weights = load_file(latest / "lora.safetensors", device=str(accelerator.device))
    set_peft_model_state_dict(accelerator.unwrap_model(model), weights)
    optimizer.load_state_dict(torch.load(latest / "optimizer.pt", map_location=accelerator.device))
    scheduler.load_state_dict(torch.load(latest / "scheduler.pt"))
    state = RunState(**json.loads((latest / "state.json").read_text()))
    _emit(paths, accelerator, {"event": "resumed", "step": state.step})
    return state


def _save_adapter(model: Any, target: Path, base_model: str) -> None:
    staging = target.with_name(f".{target.name}.staging")
    shutil.rmtree(staging, ignore_errors=True)
    # A registered name, not this machine's cache path: the adapter is loaded
    # elsewhere (the inference service, another pod).
    for config in model.peft_config.values():
        config.base_model_name_or_path = base_model
    model.save_pretrained(staging, safe_serialization=True)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


def _peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return round(torch.cuda.max_memory_allocated(device) / 2**20, 1)
    # ru_maxrss is in KiB on Linux.
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _evaluate_on_cpu(paths: JobPaths, config: WorkerConfig, model_dir: Path) -> dict[str, Any]:
    """Evaluates through LocalEngine, the code path the inference service serves with."""
    from hybridtools.llm.engine import EngineOptions, LocalEngine
    from trainer_svc.evaluation import engine_generator, evaluate, held_out_samples

    engine = LocalEngine(model_dir, EngineOptions(threads=torch.get_num_threads()))
    engine.load_adapter("candidate", paths.adapter)
    samples = held_out_samples(config.eval_samples, config.eval_seed)
    results: dict[str, Any] = {}
    report = evaluate(
        engine_generator(engine, "candidate"), samples, _eval_progress(paths, "adapter")
    )
    results["eval"] = report.to_json()
    if config.compare_with:
        adapter = None
        if config.compare_with != "base":
            engine.load_adapter("baseline", Path(config.compare_with))
            adapter = "baseline"
        baseline = evaluate(
            engine_generator(engine, adapter), samples, _eval_progress(paths, "baseline")
        )
        results["baseline_eval"] = baseline.to_json() | {"compared_with": config.compare_with}
    return results


def _evaluate_with_model(
    paths: JobPaths, config: WorkerConfig, model: Any, tokenizer: Any
) -> dict[str, Any]:
    from trainer_svc.evaluation import evaluate, held_out_samples, transformers_generator

    model.eval()
    samples = held_out_samples(config.eval_samples, config.eval_seed)
    generate = transformers_generator(model, tokenizer)
    results: dict[str, Any] = {
        "eval": evaluate(generate, samples, _eval_progress(paths, "adapter")).to_json()
    }
    if config.compare_with == "base":
        with model.disable_adapter():
            baseline = evaluate(generate, samples, _eval_progress(paths, "baseline"))
        results["baseline_eval"] = baseline.to_json() | {"compared_with": "base"}
    elif config.compare_with:
        model.load_adapter(config.compare_with, adapter_name="baseline")
        model.set_adapter("baseline")
        baseline = evaluate(generate, samples, _eval_progress(paths, "baseline"))
        results["baseline_eval"] = baseline.to_json() | {"compared_with": config.compare_with}
    return results


def _eval_progress(paths: JobPaths, which: str) -> Any:
    def report(done: int, total: int) -> None:
        append_event(
            paths.progress,
            {"event": "eval", "which": which, "done": done, "total": total, "time": time.time()},
        )

    return report


if __name__ == "__main__":
    sys.exit(main())
