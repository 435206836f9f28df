"""Reproduces the committed default adapter: `python -m trainer_svc.default_adapter`.

The generic tool-awareness adapter for the packaged SmolLM2-135M-Instruct,
trained by the trainer's own pieces (composer, `accelerate launch` worker,
held-out evaluation) on the project's generated sets: 1000 tool-awareness
and 1000 guardrail samples, one epoch. It writes the adapter and its manifest
to `hybridtools/default_adapter/`, which the inference service seeds into an
empty adapter store, so a fresh checkout serves it without training.

On the shared 2-core development box one epoch takes an hour or more (see the manifest's
`training` figures); it resumes from its last checkpoint when rerun with the
same --work-dir after an interruption.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from hybridtools.adapter_store import PACKAGED_DEFAULT
from hybridtools.core.files import write_json_atomic
from hybridtools.llm.packaged import DEFAULT_BASE_MODEL, ensure_model_dir, load_tokenizer
from trainer_svc.composer import SourceSpec, compose
from trainer_svc.job_files import (
    JobPaths,
    LoraConfigSpec,
    WorkerConfig,
    read_events,
)
from trainer_svc.launchers import LocalLauncher
from trainer_svc.manifests import build_manifest, write_packaged

ADAPTER_NAME = "tool-awareness"
COMMAND = "python -m trainer_svc.default_adapter"
SOURCES = [
    SourceSpec(name="tool_awareness", path="builtin:tool_awareness", sample_count=1000),
    SourceSpec(name="guardrails", path="builtin:guardrails", sample_count=1000),
]


def default_worker_config(
    model_cache_dir: Path, eval_samples: int, threads: int, max_steps: int = 0
) -> WorkerConfig:
    # The probe's settings (r=16, alpha 32, q/k/v/o, lr 1e-3, warm-up then
    # linear decay). 640 tokens hold the longest sample (548) whole; a step
    # packs ~2,560 tokens, about 8 samples, so one epoch is ~260 steps.
    return WorkerConfig(
        base_model=DEFAULT_BASE_MODEL,
        model_cache_dir=str(model_cache_dir),
        lora=LoraConfigSpec(rank=16, alpha=32.0, dropout=0.0),
        quantization="none",
        epochs=1.0,
        max_steps=max_steps,
        sequence_length=640,
        learning_rate=1e-3,
        seed=0,
        batch_size=4,
        warmup_ratio=0.05,
        checkpoint_every=20,
        eval_samples=eval_samples,
        eval_seed=0,
        compare_with="base",
        threads=threads,
    )


def prepare(
    work_dir: Path, model_cache_dir: Path, eval_samples: int, threads: int, max_steps: int
) -> dict[str, Any]:
    """Composes the mix into the work dir (once) and writes the worker's config.

    A rerun on the same work dir keeps the mix and the config (so the worker
    resumes the same run), except `max_steps`, which may cut a run short.
    """
    paths = JobPaths(work_dir)
    mix_path = work_dir / "mix.json"
    if mix_path.exists() and paths.dataset.exists():
        config = json.loads(paths.worker_config.read_text())
        if max_steps and config.get("max_steps") != max_steps:
            config["max_steps"] = max_steps
            write_json_atomic(paths.worker_config, config)
        return dict(json.loads(mix_path.read_text()))
    tokenizer = load_tokenizer(ensure_model_dir(DEFAULT_BASE_MODEL, model_cache_dir))
    mix = compose(SOURCES, work_dir, tokenizer, seed=0)
    mix.write_jsonl(paths.dataset)
    config = default_worker_config(model_cache_dir, eval_samples, threads, max_steps)
    write_json_atomic(paths.worker_config, config.to_json())
    write_json_atomic(mix_path, mix.report.to_json())
    _print_mix(mix.report.to_json())
    return mix.report.to_json()


def _print_mix(report: dict[str, Any]) -> None:
    print(
        f"mix: {report['total_samples']} samples, {report['total_tokens']} tokens "
        f"({report['trainable_tokens']} trained), sha256 {report['dataset_hash'][:16]}"
    )
    for source in report["sources"]:
        print(
            f"  {source['name']}: {source['samples']} samples, {source['tokens']} tokens "
            f"({source['token_share']:.1%})"
        )


async def train(work_dir: Path) -> None:
    """Runs the worker and draws its progress until it ends."""
    from tqdm import tqdm

    paths = JobPaths(work_dir)
    handle = await LocalLauncher(gpus=None).launch("default-adapter", work_dir)
    bar = tqdm(total=0, unit="step", dynamic_ncols=True)
    offset = 0
    try:
        while (ended := await handle.poll()) is None:
            events, offset = read_events(paths.progress, offset)
            for event in events:
                _show(bar, event)
            await asyncio.sleep(1.0)
    finally:
        bar.close()
    events, offset = read_events(paths.progress, offset)
    errors = [e["error"] for e in events if e.get("event") == "error"]
    if not ended.succeeded or not paths.result.exists():
        reason = errors[-1] if errors else ended.detail
        raise SystemExit(f"training failed: {reason} (log: {paths.log})")


def _show(bar: Any, event: dict[str, Any]) -> None:
    kind = event.get("event")
    if kind == "plan":
        bar.reset(total=event["total_steps"])
        bar.update(event.get("resumed_from_step", 0))
    elif kind == "step":
        bar.n = event["step"]
        bar.set_postfix(loss=event["loss"], tok_s=event["tokens_per_second"])
        bar.refresh()
    elif kind == "evaluating":
        bar.set_description("evaluating")
    elif kind == "eval":
        bar.set_postfix(evaluated=f"{event['which']} {event['done']}/{event['total']}")


def evaluate_again(work_dir: Path, samples: int, threads: int) -> None:
    """Evaluates a finished run's adapter (and the base model) on `samples` held-out samples.

    For a run whose own evaluation was skipped or cut short: the figures go
    into its result.json, as the worker would have written them.
    """
    import torch

    from hybridtools.llm.packaged import ensure_model_dir
    from trainer_svc.worker import _evaluate_on_cpu

    paths = JobPaths(work_dir)
    config = WorkerConfig.from_json(json.loads(paths.worker_config.read_text()))
    config.eval_samples = samples
    torch.set_num_threads(threads)
    model_dir = ensure_model_dir(config.base_model, Path(config.model_cache_dir))
    result = json.loads(paths.result.read_text())
    result.update(_evaluate_on_cpu(paths, config, model_dir))
    write_json_atomic(paths.result, result)


def package(work_dir: Path, output: Path, note: str = "") -> dict[str, Any]:
    paths = JobPaths(work_dir)
    result = json.loads(paths.result.read_text())
    manifest = build_manifest(
        base_model=DEFAULT_BASE_MODEL,
        worker_config=json.loads(paths.worker_config.read_text()),
        mix=json.loads((work_dir / "mix.json").read_text()),
        result=result,
        job=f"default-adapter ({work_dir.name})",
        command=COMMAND,
    )
    manifest["name"] = ADAPTER_NAME
    history = _training_history(paths)
    if history["runs"] > 1:
        # The worker's own figures cover its last run only (after a resume,
        # possibly no step at all): the history's speak for the whole job.
        for key in ("tokens_per_second", "train_seconds_this_run", "peak_memory_mb", "threads"):
            manifest["training"].pop(key, None)
    manifest["training"].update(history)
    if note:
        manifest["notes"] = note
    write_packaged(output, paths.adapter, manifest)
    return manifest


def _training_history(paths: JobPaths) -> dict[str, Any]:
    """Figures over every run of the job (the worker's result covers only the last one)."""
    events, _ = read_events(paths.progress, 0)
    steps = [e for e in events if e.get("event") == "step"]
    plans = [e for e in events if e.get("event") == "plan"]
    rates = sorted(e["tokens_per_second"] for e in steps)
    return {
        "runs": len(plans),
        "planned_steps_first_run": plans[0]["total_steps"] if plans else None,
        "median_tokens_per_second": rates[len(rates) // 2] if rates else None,
        "max_tokens_per_second": rates[-1] if rates else None,
    }


def main(argv: list[str] | None = None) -> int:
    from hybridtools.core.settings import default_data_root
    from hybridtools.llm.threads import available_cpus

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--work-dir", type=Path, default=default_data_root() / "trainer" / "default-adapter"
    )
    parser.add_argument("--model-dir", type=Path, default=default_data_root() / "models")
    parser.add_argument("--output", type=Path, default=PACKAGED_DEFAULT)
    parser.add_argument("--eval-samples", type=int, default=120)
    parser.add_argument("--threads", type=int, default=available_cpus())
    parser.add_argument(
        "--max-steps", type=int, default=0, help="stop after this many steps (0: one epoch)"
    )
    parser.add_argument(
        "--evaluate",
        type=int,
        default=0,
        metavar="N",
        help="with --package-only: first evaluate the finished adapter on N held-out samples",
    )
    parser.add_argument("--note", default="", help="a remark kept in the manifest")
    parser.add_argument(
        "--package-only",
        action="store_true",
        help="only write the output from a finished --work-dir",
    )
    args = parser.parse_args(argv)
    work_dir = args.work_dir.resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    if not args.package_only:
        prepare(work_dir, args.model_dir.resolve(), args.eval_samples, args.threads, args.max_steps)
        asyncio.run(train(work_dir))
    elif args.evaluate:
        evaluate_again(work_dir, args.evaluate, args.threads)
    manifest = package(work_dir, args.output, args.note)
    held_out = manifest.get("held_out") or {}
    base = manifest.get("held_out_baseline") or {}
    print(
        f"wrote {args.output}: final loss {manifest['final_loss']}, held-out accuracy "
        f"{held_out.get('accuracy')} (base model: {base.get('accuracy')})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
