"""Compact copies of the linear weights, used only for the few-token decode steps.

A decode step multiplies one token's activations by every weight of the model,
so it is bound by how many weight bytes stream from memory: 540 MB in float32
for SmolLM2-135M, ~120 ms on this machine's one core. Prefill is the opposite
(hundreds of rows per weight, compute-bound, fastest in float32). Each
`DecodeLinear` therefore keeps its float32 weight for prefill and training
and adds a compact copy that the engine switches on around decode steps:

- "int4": 4-bit groups of 32 along the input, with a scale and offset per
  group: the layout of the GGUF's own Q4_1 blocks, so re-packing the dequantized
  weights finds the same 16-level grid (checked per layer; a layer whose grid
  does not fit falls back to bfloat16). torch's CPU kernel computes in
  bfloat16, so activations, scales and offsets are rounded to bfloat16
  (~0.3% relative error per product). ~70 MB for the 210 layer weights.
- "bfloat16": a bfloat16 copy (half the bytes of float32).
- "float32": no copy; decode uses the prefill weights.

The embedding-tied `lm_head` (Q8_0 in the GGUF: not a 4-bit grid) always
gets the bfloat16 copy in the compact modes.

`DecodeLinear` subclasses `nn.Linear` and keeps the float32 `weight`
parameter, so peft wraps it as any linear layer (LoRA's own small matrices
stay float32) and `state_dict` is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

DecodeWeights = Literal["float32", "bfloat16", "int4"]
DECODE_WEIGHT_CHOICES: tuple[DecodeWeights, ...] = ("float32", "bfloat16", "int4")

_GROUP_SIZE = 32
_INT4_LEVELS = 15
# torch's int4 packing tiles the input dimension; 1 is the only value every K fits.
_INNER_K_TILES = 1
# Steps feeding more rows than this (a long jump-forward string) use the float32
# weights: past a few rows the compact kernels lose to the float32 GEMM.
MAX_COMPACT_ROWS = 16


@dataclass
class DecodeSwitch:
    """Shared by every `DecodeLinear` of a model: on during decode steps only."""

    active: bool = False


class DecodeLinear(nn.Linear):
    """`nn.Linear` with an optional compact weight for decode steps."""

    switch: DecodeSwitch
    _int4: tuple[torch.Tensor, torch.Tensor] | None
    _bfloat16: torch.Tensor | None

    @classmethod
    def wrap(cls, linear: nn.Linear, switch: DecodeSwitch, mode: DecodeWeights) -> DecodeLinear:
        wrapped = cls(
            linear.in_features,
            linear.out_features,
            bias=linear.bias is not None,
            device="meta",
        )
        # The same Parameter objects, so tied weights stay tied.
        wrapped.weight = linear.weight
        wrapped.bias = linear.bias
        wrapped.switch = switch
        wrapped._int4 = _pack_int4_exact(linear.weight.detach()) if mode == "int4" else None
        wrapped._bfloat16 = (
            linear.weight.detach().to(torch.bfloat16)
            if mode == "bfloat16" or (mode == "int4" and wrapped._int4 is None)
            else None
        )
        return wrapped

    @property
    def compact_format(self) -> str:
        if self._int4 is not None:
            return "int4"
        return "bfloat16" if self._bfloat16 is not None else "float32"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.switch.active or x.shape[-2] > MAX_COMPACT_ROWS:
            return F.linear(x, self.weight, self.bias)
        if self._int4 is not None:
            packed, scales_and_zeros = self._int4
            rows = x.reshape(-1, x.shape[-1]).to(torch.bfloat16)
            out = torch.ops.aten._weight_int4pack_mm_for_cpu(
                rows, packed, _GROUP_SIZE, scales_and_zeros
            )
            out = out.reshape(*x.shape[:-1], self.out_features).to(x.dtype)
        elif self._bfloat16 is not None:
            out = F.linear(x.to(torch.bfloat16), self._bfloat16).to(x.dtype)
        else:
            return F.linear(x, self.weight, self.bias)
        return out if self.bias is None else out + self.bias


def _pack_int4_exact(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Packs `weight` for torch's int4 CPU kernel if it is a 4-bit grid per group of 32.

    Returns None when it is not (a weight that was never 4-bit quantized):
    packing it would be lossy, and the caller keeps a bfloat16 copy instead.
    """
    rows, columns = weight.shape
    if weight.dtype != torch.float32 or columns % _GROUP_SIZE or rows % 8:
        return None
    groups = weight.reshape(rows, columns // _GROUP_SIZE, _GROUP_SIZE)
    low = groups.amin(dim=-1)
    step = (groups.amax(dim=-1) - low) / _INT4_LEVELS
    safe_step = torch.where(step == 0, torch.ones_like(step), step)
    levels = ((groups - low[..., None]) / safe_step[..., None]).round().clamp(0, _INT4_LEVELS)
    rebuilt = levels * safe_step[..., None] + low[..., None]
    tolerance = 1e-5 * float(weight.abs().max()) + 1e-12
    if float((rebuilt - groups).abs().max()) > tolerance:
        return None
    packed = torch.ops.aten._convert_weight_to_int4pack_for_cpu(
        levels.to(torch.int32).reshape(rows, columns), _INNER_K_TILES
    )
    # The kernel computes (level - 8) * scale + zero, so zero is the grid's
    # value at level 8. Layout: [groups, rows, (scale, zero)].
    zero = low + 8 * safe_step
    scales_and_zeros = torch.stack([safe_step, zero], dim=-1).transpose(0, 1).contiguous()
    return packed, scales_and_zeros.to(torch.bfloat16)


def install_decode_weights(model: nn.Module, mode: DecodeWeights) -> DecodeSwitch:
    """Replaces every `nn.Linear` of `model` by a `DecodeLinear` sharing its weight.

    Must run before any LoRA adapter is attached (peft then wraps the
    `DecodeLinear`s). Returns the switch the engine turns on around decode steps.
    """
    if mode not in DECODE_WEIGHT_CHOICES:
        raise ValueError(f"decode_weights must be one of {DECODE_WEIGHT_CHOICES}, got {mode!r}")
    switch = DecodeSwitch()
    if mode == "float32":
        return switch
    targets = [
        (parent, child_name, child)
        for parent in model.modules()
        for child_name, child in parent.named_children()
        if type(child) is nn.Linear
    ]
    for parent, child_name, child in targets:
        setattr(parent, child_name, DecodeLinear.wrap(child, switch, mode))
    return switch


def compact_format_counts(model: nn.Module) -> dict[str, int]:
    """How many layers decode in each format (for logs and the benchmark)."""
    counts: dict[str, int] = {}
    for module in model.modules():
        if isinstance(module, DecodeLinear):
            counts[module.compact_format] = counts.get(module.compact_format, 0) + 1
    return counts
