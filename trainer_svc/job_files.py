"""What the server and a training worker share: one directory per job.

The server and the worker may run in different pods (a Kubernetes Job on a
GPU node), so they talk only through files in the job directory, on a volume
both mount at the same path:

    <data>/jobs/<id>/job.json         the server's record of the job (state, spec, outcome)
    <data>/jobs/<id>/worker.json      what the worker trains: `WorkerConfig`, written once
    <data>/jobs/<id>/dataset.jsonl    the composed chat samples, one per line
    <data>/jobs/<id>/progress.jsonl   the worker's events, appended (started, step, ...)
    <data>/jobs/<id>/checkpoints/     step-NNNNNN/ folders, the newest two kept
    <data>/jobs/<id>/adapter/         the trained adapter (peft's save_pretrained)
    <data>/jobs/<id>/result.json      written last by the worker: losses, speed, evaluation
    <data>/jobs/<id>/worker.log       the worker's stdout and stderr (local launcher)
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj")


@dataclass(frozen=True)
class JobPaths:
    root: Path

    @property
    def record(self) -> Path:
        return self.root / "job.json"

    @property
    def worker_config(self) -> Path:
        return self.root / "worker.json"

    @property
    def dataset(self) -> Path:
        return self.root / "dataset.jsonl"

    @property
    def progress(self) -> Path:
        return self.root / "progress.jsonl"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def adapter(self) -> Path:
        return self.root / "adapter"

    @property
    def result(self) -> Path:
        return self.root / "result.json"

    @property
    def log(self) -> Path:
        return self.root / "worker.log"


@dataclass
class LoraConfigSpec:
    rank: int = 16
    alpha: float = 32.0
    target_modules: list[str] = field(default_factory=lambda: list(DEFAULT_TARGET_MODULES))
    dropout: float = 0.0


@dataclass
class WorkerConfig:
    """Everything a worker needs; resolved by the server, so the worker decides nothing."""

    base_model: str
    # Where registered base models are converted/cached (HYBRIDTOOLS_MODEL_DIR).
    model_cache_dir: str
    lora: LoraConfigSpec
    quantization: str = "none"  # "none" | "4bit"
    epochs: float = 1.0
    max_steps: int = 0
    sequence_length: int = 512
    learning_rate: float = 1e-3
    seed: int = 0
    batch_size: int = 4
    # Share of the steps spent warming the learning rate up (then linear decay to 0).
    warmup_ratio: float = 0.05
    # Optimizer steps between checkpoints; 0 = only the final adapter.
    checkpoint_every: int = 50
    # Held-out tool requests evaluated after training (0 = none).
    eval_samples: int = 0
    eval_seed: int = 0
    # Also evaluate this for comparison: an adapter directory, "base" (no
    # adapter) or "" (nothing).
    compare_with: str = ""
    # Start from these LoRA weights instead of fresh ones (the evening loop
    # extends the serving adapter).
    init_adapter: str = ""
    # torch CPU threads; 0 = every core this process may use.
    threads: int = 0
    # Compute the leading tokens all samples of a step share (a fixed system
    # prompt) once per step: exact, ~1.3x faster on the generic adapter's mix.
    share_prefix: bool = True

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> WorkerConfig:
        value = dict(value)
        value["lora"] = LoraConfigSpec(**value.get("lora", {}))
        known = set(cls.__dataclass_fields__)
        return cls(**{key: item for key, item in value.items() if key in known})

    @classmethod
    def read(cls, path: Path) -> WorkerConfig:
        return cls.from_json(json.loads(path.read_text()))


def append_event(path: Path, event: dict[str, Any]) -> None:
    """One JSON line, written with a single write() so a reader sees whole lines."""
    line = json.dumps(event, sort_keys=True) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()


def read_events(path: Path, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Complete lines appended since `offset`, and the offset to read from next."""
    if not path.exists():
        return [], offset
    with open(path, "rb") as handle:
        handle.seek(offset)
        chunk = handle.read()
    end = chunk.rfind(b"\n")
    if end < 0:
        return [], offset
    events = []
    for line in chunk[: end + 1].splitlines():
        if line.strip():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a torn line from a killed writer; skip it
    return events, offset + end + 1
