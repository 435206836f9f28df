"""The local model runtime: base models, and a CPU engine with LoRA adapters.

- `packaged`: where base models are (the packaged SmolLM2-135M GGUF) and the
  fast-loading safetensors copy made on first use.
- `engine.LocalEngine`: generation with prefix caching, compact decode
  weights, JSON-schema constraints with jump-forward, streaming, adapters.

The names below are re-exported lazily: a caller that only needs `packaged`
(the trainer) does not import peft and xgrammar through the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hybridtools.llm.engine import EngineOptions, GenerationResult, LocalEngine
    from hybridtools.llm.packaged import DEFAULT_BASE_MODEL, ensure_model_dir, find_packaged_gguf

__all__ = [
    "DEFAULT_BASE_MODEL",
    "EngineOptions",
    "GenerationResult",
    "LocalEngine",
    "ensure_model_dir",
    "find_packaged_gguf",
]

_HOMES = {
    "EngineOptions": "hybridtools.llm.engine",
    "GenerationResult": "hybridtools.llm.engine",
    "LocalEngine": "hybridtools.llm.engine",
    "DEFAULT_BASE_MODEL": "hybridtools.llm.packaged",
    "ensure_model_dir": "hybridtools.llm.packaged",
    "find_packaged_gguf": "hybridtools.llm.packaged",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_HOMES[name]), name)
