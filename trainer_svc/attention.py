"""Attention over packed samples: causal within each sample, nothing across them.

transformers can already keep packed samples apart: given position ids that
restart at 0 and no attention mask, its sdpa path builds one block-diagonal
causal mask over the whole row. On the CPU that mask costs the full L x L
attention (and its construction) for a row of L tokens, and the measured step
was more than twice slower than this (bench/trainer_cpu.py). Here the row is
cut at the sample boundaries and each sample runs sdpa's causal kernel on its
own: the same result, no masked-out work, and no sample sees another.

The boundaries travel as the `cu_seq_lens` keyword of the model's forward;
transformers passes unknown keywords down to the attention function.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from transformers import AttentionInterface
from transformers.masking_utils import AttentionMaskInterface, flash_attention_mask

PACKED_ATTENTION = "packed_sdpa"


def packed_sdpa_attention(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    cu_seq_lens: torch.Tensor | None = None,
    shared_prefix: int = 0,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """query [1, heads, L, d], key/value [1, kv_heads, L, d] -> [1, L, heads, d].

    Segments are cut at `cu_seq_lens`. With `shared_prefix` = P, the first
    segment is a prefix all samples share and every later segment (a
    sample's remainder, positioned after the prefix) attends to the prefix
    and causally to itself: what it would see if the prefix were its own.
    """
    if attention_mask is not None:
        raise ValueError("packed attention takes sample boundaries, not an attention mask")
    groups = getattr(module, "num_key_value_groups", 1)
    bounds = [0, query.shape[2]] if cu_seq_lens is None else [int(b) for b in cu_seq_lens]
    if query.shape[0] != 1 and len(bounds) > 2:
        raise ValueError("packed attention expects one row of samples laid end to end")
    dropout_p = dropout if module.training else 0.0
    outputs = []
    for start, end in zip(bounds[:-1], bounds[1:], strict=False):
        if end <= start:
            continue
        if shared_prefix and start >= shared_prefix:
            length = end - start
            keys = torch.cat([key[:, :, :shared_prefix], key[:, :, start:end]], dim=2)
            values = torch.cat([value[:, :, :shared_prefix], value[:, :, start:end]], dim=2)
            # Row j sees the whole prefix and its own tokens up to j.
            visible = torch.ones(
                length, shared_prefix + length, dtype=torch.bool, device=query.device
            ).tril(diagonal=shared_prefix)
            outputs.append(
                F.scaled_dot_product_attention(
                    query[:, :, start:end],
                    keys,
                    values,
                    attn_mask=visible,
                    dropout_p=dropout_p,
                    scale=scaling,
                    enable_gqa=groups > 1,
                )
            )
            continue
        outputs.append(
            F.scaled_dot_product_attention(
                query[:, :, start:end],
                key[:, :, start:end],
                value[:, :, start:end],
                dropout_p=dropout_p,
                is_causal=end - start > 1,
                scale=scaling,
                enable_gqa=groups > 1,
            )
        )
    output = outputs[0] if len(outputs) == 1 else torch.cat(outputs, dim=2)
    return output.transpose(1, 2).contiguous(), None


def register_packed_attention() -> str:
    """Registers the attention (and its no-mask mask function); returns its name."""
    AttentionInterface.register(PACKED_ATTENTION, packed_sdpa_attention)
    # Like flash attention, it needs no mask: the boundaries carry the structure.
    AttentionMaskInterface.register(PACKED_ATTENTION, flash_attention_mask)
    return PACKED_ATTENTION
