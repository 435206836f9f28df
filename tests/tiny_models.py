"""A tiny randomly initialised Llama, for tests that need the architecture, not the weights."""

from __future__ import annotations

import torch
from transformers import LlamaConfig, LlamaForCausalLM


def tiny_llama(**overrides: object) -> LlamaForCausalLM:
    """Two layers, grouped-query attention (4 heads, 2 key/value heads), seed 0."""
    settings: dict[str, object] = {
        "vocab_size": 256,
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 128,
        "tie_word_embeddings": False,
    }
    config = LlamaConfig(**{**settings, **overrides})
    torch.manual_seed(0)
    return LlamaForCausalLM(config).eval()
