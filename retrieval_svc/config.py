"""Retrieval service settings, from `RETRIEVAL_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from hybridtools.core.settings import ServiceSettings

EmbedderRuntime = Literal["onnx-int8", "onnx", "torch"]


class RetrievalSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="RETRIEVAL_", extra="ignore", populate_by_name=True
    )

    port: int = Field(default=50051, ge=0, le=65535)
    # A Qdrant server (the cluster's); empty = Qdrant's engine embedded in-process.
    qdrant_url: str | None = Field(
        default=None, validation_alias=AliasChoices("QDRANT_URL", "RETRIEVAL_QDRANT_URL")
    )
    qdrant_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("QDRANT_API_KEY", "RETRIEVAL_QDRANT_API_KEY")
    )
    # "all-MiniLM-L6-v2" (packaged) or a local sentence-transformers directory.
    embedding_model: str = "all-MiniLM-L6-v2"
    # How the embedder runs (docs/benchmarks.md): "onnx-int8" (ONNX Runtime,
    # int8 weights: 2x float32's throughput, the same recall@3), "onnx"
    # (float32, torch's vectors), "torch" (sentence-transformers as is).
    embedder_runtime: EmbedderRuntime = "onnx-int8"
    # ONNX Runtime threads per embedding session (one for queries, one for swaps).
    embedder_threads: int = Field(default=2, ge=1, le=64)
    # Where ONNX exports of the embedder are kept (by model hash, shared by
    # every data dir); empty = $HYBRIDTOOLS_DATA_DIR/models/onnx.
    onnx_dir: Path | None = None
    # Torch threads: the "torch" runtime, and the check of an ONNX export.
    torch_threads: int = Field(default=1, ge=1, le=64)
    # The only folder a swap reads files from; empty = $HYBRIDTOOLS_DATA_DIR/datasets,
    # where `hybridtools ecosystems build` writes.
    import_dir: Path | None = None
    # Keep embeddings of indexed texts so a re-index skips the model.
    embedding_cache: bool = True
    # Seconds the ecosystem metadata is cached (other replicas may change it).
    meta_ttl_s: float = Field(default=2.0, ge=0)
    # Most queries embedded in one forward pass.
    max_query_batch: int = Field(default=32, ge=1, le=256)
