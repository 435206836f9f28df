"""Trainer service settings, from `TRAINER_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from hybridtools.core.settings import ServiceSettings, default_data_root


class TrainerSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TRAINER_", extra="ignore", populate_by_name=True)

    port: int = Field(default=50053, ge=0, le=65535)
    # Where RetrievalService and InferenceService answer (k8s Service names in the cluster).
    retrieval_address: str = "127.0.0.1:50051"
    inference_address: str = "127.0.0.1:50052"
    # Seconds a call to either may take (LoadAdapter loads weights: give it time).
    peer_timeout_s: float = Field(default=60.0, gt=0)
    # Base-model cache shared with the inference service (safetensors copies).
    model_dir: Path | None = Field(
        default=None, validation_alias=AliasChoices("HYBRIDTOOLS_MODEL_DIR", "TRAINER_MODEL_DIR")
    )
    # The adapter store (a shared volume in k8s); the trainer is its only writer.
    adapter_dir: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("HYBRIDTOOLS_ADAPTER_DIR", "TRAINER_ADAPTER_DIR"),
    )
    # The only folder JSONL sources are read from; empty = $HYBRIDTOOLS_DATA_DIR/datasets.
    dataset_dir: Path | None = None
    # "local": a subprocess of this server; "kubernetes": one Job per run from the template.
    launcher: Literal["local", "kubernetes"] = "local"
    job_template: Path = Path("/etc/hybridtools/trainer/job-template.yaml")
    # GPUs the local launcher gives a worker; empty = every visible one (0 = CPU).
    local_gpus: int | None = Field(default=None, ge=0)
    # torch threads of a CPU worker; 0 = every core the worker may use.
    worker_threads: int = Field(default=0, ge=0, le=256)
    # Jobs waiting behind the running one; more get RESOURCE_EXHAUSTED.
    max_queued_jobs: int = Field(default=16, ge=0, le=1000)
    # Seconds a cancelled worker gets to exit before it is killed.
    cancel_grace_s: float = Field(default=10.0, ge=0)
    # How often the progress file is read while a job runs.
    poll_interval_s: float = Field(default=0.5, gt=0)
    checkpoint_every: int = Field(default=50, ge=0)
    # Held-out samples a job evaluates when its spec says 0 but it publishes
    # (publishing compares with the serving adapter).
    publish_eval_samples: int = Field(default=100, ge=0)
    # Evening loop.
    evening_threshold: int = Field(default=100, ge=1)
    evening_max_steps: int = Field(default=200, ge=1)
    # Packed sequences of 1,024 tokens per optimizer step.
    evening_batch_size: int = Field(default=4, ge=1, le=64)
    # Samples of each generic set replayed beside the new tools' examples, so
    # the adapter keeps what it knew.
    evening_replay_samples: int = Field(default=200, ge=0)
    evening_eval_samples: int = Field(default=100, ge=0)

    def resolved_model_dir(self) -> Path:
        return self.model_dir or default_data_root() / "models"

    def resolved_adapter_dir(self) -> Path:
        return self.adapter_dir or default_data_root() / "adapters"

    def resolved_dataset_dir(self) -> Path:
        return self.dataset_dir or default_data_root() / "datasets"
