"""Adapter manifests: what an adapter was trained from and how good it is.

Every version in the adapter store carries one (`manifest.json`): base model,
dataset mix and its hash, training config, final loss, held-out tool-call
accuracy, created time, and how to reproduce it. `AdapterVersion.to_proto`
reads `base_model`, `final_loss`, `held_out_accuracy`, `dataset_hash` and
`created_time` from it.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hybridtools.adapter_store import AdapterStore, AdapterVersion
from trainer_svc.job_files import JobPaths

ADAPTER_FILES = ("adapter_model.safetensors", "adapter_config.json")


def build_manifest(
    *,
    base_model: str,
    worker_config: dict[str, Any],
    mix: dict[str, Any],
    result: dict[str, Any],
    job: str,
    command: str = "",
) -> dict[str, Any]:
    evaluation = result.get("eval") or {}
    baseline = result.get("baseline_eval") or {}
    manifest: dict[str, Any] = {
        "base_model": base_model,
        "dataset_mix": mix,
        "dataset_hash": mix.get("dataset_hash", ""),
        "config": {
            key: worker_config.get(key)
            for key in (
                "lora",
                "quantization",
                "epochs",
                "max_steps",
                "sequence_length",
                "learning_rate",
                "warmup_ratio",
                "batch_size",
                "seed",
                "init_adapter",
            )
        },
        "final_loss": result.get("final_loss"),
        "initial_loss": result.get("initial_loss"),
        "held_out_accuracy": evaluation.get("accuracy") if evaluation else None,
        "held_out": evaluation or None,
        "held_out_baseline": baseline or None,
        "training": {
            key: result.get(key)
            for key in (
                "steps",
                "tokens",
                "target_tokens",
                "tokens_per_second",
                "train_seconds_this_run",
                "peak_memory_mb",
                "device",
                "processes",
                "threads",
            )
        },
        "job": job,
        "created_time": datetime.now(UTC).isoformat(),
    }
    if command:
        manifest["command"] = command
    return manifest


def commit_from_job(
    store: AdapterStore, name: str, paths: JobPaths, manifest: dict[str, Any]
) -> AdapterVersion:
    """Copies the job's adapter into a new version of `name` (one atomic rename)."""
    staging = store.staging_dir(name)
    try:
        for file_name in ADAPTER_FILES:
            shutil.copy2(paths.adapter / file_name, staging / file_name)
        return store.commit(name, staging, manifest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_packaged(target: Path, adapter_dir: Path, manifest: dict[str, Any]) -> None:
    """Writes the adapter and its manifest into a folder of the source tree."""
    import json

    target.mkdir(parents=True, exist_ok=True)
    for file_name in ADAPTER_FILES:
        shutil.copy2(adapter_dir / file_name, target / file_name)
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
