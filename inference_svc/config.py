"""Inference service settings, from `INFERENCE_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from hybridtools.core.settings import ServiceSettings, default_data_root


class InferenceSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="INFERENCE_", extra="ignore", populate_by_name=True
    )

    port: int = Field(default=50052, ge=0, le=65535)
    # Where RetrievalService answers (the k8s Service name in the cluster).
    retrieval_address: str = "127.0.0.1:50051"
    retrieval_timeout_s: float = Field(default=5.0, gt=0)
    # "local": transformers + peft on the CPU; "tgi": Hugging Face TGI by URL.
    backend: Literal["local", "tgi"] = "local"
    # Base model of the local backend: the packaged SmolLM2 or a local HF folder.
    base_model: str = "smollm2-135m-instruct"
    # Safetensors copy of the base model (converted from GGUF on first use).
    model_dir: Path | None = Field(
        default=None, validation_alias=AliasChoices("HYBRIDTOOLS_MODEL_DIR", "INFERENCE_MODEL_DIR")
    )
    # The trainer's adapter store (a shared volume in k8s); read only here.
    adapter_dir: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("HYBRIDTOOLS_ADAPTER_DIR", "INFERENCE_ADAPTER_DIR"),
    )
    # Served to requests that name none, unless the store says another is serving.
    default_adapter: str = "tool-awareness"
    torch_threads: int = Field(default=1, ge=1, le=64)
    # Local backend: "onnx" runs decode steps on ONNX Runtime (docs/adr/0006),
    # prompts and what its graph cannot take on torch; "torch" runs all on torch.
    # (hybridtools.llm.engine.LlmRuntime; not imported here: it loads torch.)
    llm_runtime: Literal["onnx", "torch"] = "onnx"
    # Context window the prompt builder plans for (the seed's 2048).
    context_window: int = Field(default=2048, ge=256)
    max_new_tokens: int = Field(default=96, ge=1, le=1024)
    # The default limit of a constrained tool call: its grammar ends it when the
    # call's JSON closes, so this only stops a runaway value. 96 had cut Cursor's
    # `edit_file` calls (a file's path, a sentence and the pasted code).
    max_call_tokens: int = Field(default=256, ge=1, le=1024)
    # Examples injected per tool request, and the token budget they share.
    examples_per_request: int = Field(default=3, ge=0, le=5)
    example_token_budget: int = Field(default=300, ge=0)
    # Local backend, constrained calls: logit bonus for argument values that
    # copy a span of the request, or what the shown examples agree on where the
    # request cannot tell (hybridtools.llm.copying); 0 turns it off.
    copy_bonus: float = Field(default=7.0, ge=0, le=20)
    # Candidate tools shown (with schemas) and allowed by the grammar.
    candidate_tools: int = Field(default=3, ge=1, le=8)
    # When the retrieved examples agree this much on one tool (its share of
    # their relevance), that tool is the only candidate (1.0: only when all
    # of them are its examples; see inference_svc.prompt_builder).
    dominant_tool_share: float = Field(default=0.5, gt=0, le=1.0)
    # When the retrieval service's tool router gives one tool at least this
    # probability, that tool is the only candidate, before the examples' vote
    # (ADR 0009); 1.0 turns the router off.
    router_confidence: float = Field(default=0.1, gt=0, le=1.0)
    # TGI backend.
    tgi_url: str = "http://127.0.0.1:8080"
    # Adapter ids TGI was started with (its LORA_ADAPTERS); TGI answers an
    # unknown id with the base model, so the service refuses those itself.
    tgi_adapters: list[str] = Field(default_factory=list)
    # Tokenizer of the served model for prompt budgeting and chat templates
    # (TGI only); empty = the local base model's.
    tgi_tokenizer: str = ""
    tgi_timeout_s: float = Field(default=60.0, gt=0)

    def resolved_model_dir(self) -> Path:
        return self.model_dir or default_data_root() / "models"

    def resolved_adapter_dir(self) -> Path:
        return self.adapter_dir or default_data_root() / "adapters"
