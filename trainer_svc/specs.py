"""A training job's spec as the domain sees it: defaults filled, input checked.

The proto's zeros mean "the default" (`TrainingJobSpec` documents each); here
they become values, so the job record and the manifest say what was used.
One exception: a `lora` message that is set must carry a rank, since a client
that sends LoRA settings with rank 0 has made a mistake; leaving `lora` unset
takes all the defaults (r=16, alpha 32, q/k/v/o, no dropout).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hybridtools.adapter_store import validate_adapter_name
from hybridtools.core.errors import require
from hybridtools.llm.packaged import BASE_MODELS, DEFAULT_BASE_MODEL
from trainer_svc.composer import RetrievalSpec, SourceSpec, validate_sources
from trainer_svc.job_files import DEFAULT_TARGET_MODULES, LoraConfigSpec

_MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
# A Hugging Face Hub id ("Qwen/Qwen2.5-Coder-7B-Instruct"); only where the
# worker may download (the cluster's training Jobs, or HF_HUB_OFFLINE unset).
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
QUANTIZATIONS = ("none", "4bit")


@dataclass
class MarkTrained:
    """Examples to mark trained_in_adapter once the job's adapter is published."""

    ecosystem: str
    tool_names: list[str]


@dataclass
class TrainingSpec:
    adapter_name: str
    base_model: str = DEFAULT_BASE_MODEL
    sources: list[SourceSpec] = field(default_factory=list)
    lora: LoraConfigSpec = field(default_factory=LoraConfigSpec)
    quantization: str = "none"
    epochs: float = 1.0
    max_steps: int = 0
    sequence_length: int = 512
    learning_rate: float = 1e-3
    seed: int = 0
    batch_size: int = 4
    publish: bool = False
    eval_samples: int = 0
    # Set by the evening loop, not by the API: start from these LoRA weights,
    # and mark these examples trained when the adapter is published.
    init_adapter: str = ""
    mark_trained: list[MarkTrained] = field(default_factory=list)
    # Tools this job deepens (the evening loop's), for ledgers and reports.
    label: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> TrainingSpec:
        value = dict(value)
        sources = []
        for source in value.pop("sources", []):
            retrieval = source.get("retrieval")
            sources.append(
                SourceSpec(
                    name=source.get("name", ""),
                    path=source.get("path", ""),
                    retrieval=RetrievalSpec(
                        retrieval["ecosystem"],
                        tuple(retrieval.get("tool_names", ())),
                        bool(retrieval.get("include_negatives", False)),
                    )
                    if retrieval
                    else None,
                    sample_count=int(source.get("sample_count", 0)),
                    weight=float(source.get("weight", 0.0)),
                )
            )
        lora = LoraConfigSpec(**value.pop("lora", {}))
        marks = [MarkTrained(**mark) for mark in value.pop("mark_trained", [])]
        known = set(cls.__dataclass_fields__)
        rest = {key: item for key, item in value.items() if key in known}
        return cls(sources=sources, lora=lora, mark_trained=marks, **rest)


def base_model_known(base_model: str, hub_allowed: bool = False) -> bool:
    """A registered name, a local model directory, or (where workers may download) a Hub id."""
    if base_model in BASE_MODELS:
        return True
    if (Path(base_model).expanduser() / "config.json").is_file():
        return True
    return hub_allowed and bool(_HUB_ID.match(base_model))


def hub_downloads_allowed(launcher: str) -> bool:
    """Cluster Jobs download from the Hub (their template says so); locally only when online."""
    offline = os.environ.get("HF_HUB_OFFLINE", "") not in ("", "0", "false", "False")
    return launcher == "kubernetes" or not offline


def validate_spec(spec: TrainingSpec, dataset_dir: Path, hub_allowed: bool = False) -> None:
    """Raises InvalidArgumentError (or NotFound/PermissionDenied for paths) on bad input."""
    validate_adapter_name(spec.adapter_name)
    require(
        base_model_known(spec.base_model, hub_allowed),
        f"unknown base model {spec.base_model!r}: expected one of {sorted(BASE_MODELS)} or a "
        "local Hugging Face model directory",
    )
    lora = spec.lora
    require(1 <= lora.rank <= 256, f"lora.rank must be 1..256, got {lora.rank}")
    # The other numbers' ranges leave out NaN and infinity; alpha's needs saying so.
    require(
        math.isfinite(lora.alpha) and lora.alpha > 0,
        f"lora.alpha must be a finite number > 0, got {lora.alpha}",
    )
    require(0 <= lora.dropout < 1, f"lora.dropout must be in [0, 1), got {lora.dropout}")
    require(bool(lora.target_modules), "lora.target_modules is empty")
    for module in lora.target_modules:
        require(bool(_MODULE_NAME.match(module)), f"lora.target_modules: bad name {module!r}")
    require(spec.quantization in QUANTIZATIONS, f"quantization must be one of {QUANTIZATIONS}")
    require(0 < spec.epochs <= 100, f"epochs must be in (0, 100], got {spec.epochs}")
    require(0 <= spec.max_steps <= 1_000_000, f"max_steps must be 0..1000000, got {spec.max_steps}")
    require(
        64 <= spec.sequence_length <= 32_768,
        f"sequence_length must be 64..32768, got {spec.sequence_length}",
    )
    require(
        0 < spec.learning_rate < 1, f"learning_rate must be in (0, 1), got {spec.learning_rate}"
    )
    require(1 <= spec.batch_size <= 1024, f"batch_size must be 1..1024, got {spec.batch_size}")
    require(
        0 <= spec.eval_samples <= 2000, f"eval_samples must be 0..2000, got {spec.eval_samples}"
    )
    validate_sources(spec.sources, dataset_dir)


def default_lora(
    rank: int = 0, alpha: float = 0.0, targets: list[str] | None = None, dropout: float = 0.0
) -> LoraConfigSpec:
    return LoraConfigSpec(
        rank=rank,
        alpha=alpha or 2.0 * rank,
        target_modules=list(targets or DEFAULT_TARGET_MODULES),
        dropout=dropout,
    )
