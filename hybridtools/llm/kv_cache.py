"""Key/value caches for one sequence, and reuse of a prompt's cache across requests.

transformers' `DynamicLayer` grows by `torch.cat` on every step, which copies
the whole cache each token (17 ms of a 118 ms decode step for a 300-token
prompt here). `GrowableLayer` writes into a buffer that doubles when full and
hands the model views of it, so a step copies only the new token's keys.

`PrefixCache` keeps, per adapter, the cache of the last prompt run; the next
request with the same adapter skips the prefill of the longest common prefix
(system message, tool schemas, shared examples). Entries are per adapter
because a LoRA on q/k/v changes the keys and values of every token.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import torch
from transformers import PretrainedConfig
from transformers.cache_utils import Cache, DynamicLayer

# First allocation, in tokens; doubled as needed.
_INITIAL_CAPACITY = 512


class GrowableLayer(DynamicLayer):
    """One decoder layer's keys and values in a buffer that grows by doubling."""

    def __init__(self, initial_capacity: int = _INITIAL_CAPACITY) -> None:
        super().__init__()
        self._initial_capacity = initial_capacity
        self._key_buffer: torch.Tensor | None = None
        self._value_buffer: torch.Tensor | None = None
        self.length = 0

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        self.device = key_states.device
        self._key_buffer = self._allocate(key_states, self._initial_capacity)
        self._value_buffer = self._allocate(value_states, self._initial_capacity)
        self.length = 0
        self.is_initialized = True

    @staticmethod
    def _allocate(like: torch.Tensor, capacity: int) -> torch.Tensor:
        batch, heads, _, head_dim = like.shape
        return torch.empty(batch, heads, capacity, head_dim, dtype=like.dtype, device=like.device)

    def _reserve(self, needed: int) -> None:
        assert self._key_buffer is not None and self._value_buffer is not None
        capacity = self._key_buffer.shape[-2]
        if needed <= capacity:
            return
        while capacity < needed:
            capacity *= 2
        for name in ("_key_buffer", "_value_buffer"):
            old: torch.Tensor = getattr(self, name)
            new = self._allocate(old, capacity)
            new[:, :, : self.length] = old[:, :, : self.length]
            setattr(self, name, new)

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args: object, **kwargs: object
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        assert self._key_buffer is not None and self._value_buffer is not None
        start = self.length
        end = start + key_states.shape[-2]
        self._reserve(end)
        self._key_buffer[:, :, start:end] = key_states
        self._value_buffer[:, :, start:end] = value_states
        self.length = end
        self.keys = self._key_buffer[:, :, :end]
        self.values = self._value_buffer[:, :, :end]
        return self.keys, self.values

    def get_seq_length(self) -> int:
        return self.length if self.is_initialized else 0

    def truncate(self, length: int) -> None:
        """Forgets every position from `length` on; the buffer is kept for reuse."""
        if not self.is_initialized or length >= self.length:
            return
        self.length = max(length, 0)
        assert self._key_buffer is not None and self._value_buffer is not None
        self.keys = self._key_buffer[:, :, : self.length]
        self.values = self._value_buffer[:, :, : self.length]

    def crop(self, tokens_to_remove: int) -> None:
        # transformers' convention: a negative count of tokens to drop from the end.
        if tokens_to_remove < 0:
            self.truncate(self.length + tokens_to_remove)

    def reset(self) -> None:
        self.truncate(0)


class SequenceCache(Cache):
    """A `Cache` of `GrowableLayer`s for one sequence (batch size 1)."""

    def __init__(self, num_layers: int) -> None:
        super().__init__(layers=[GrowableLayer() for _ in range(num_layers)])

    @classmethod
    def for_config(cls, config: PretrainedConfig) -> SequenceCache:
        text_config = config.get_text_config(decoder=True)
        return cls(text_config.num_hidden_layers)

    def truncate(self, length: int) -> None:
        for layer in self.layers:
            assert isinstance(layer, GrowableLayer)
            layer.truncate(length)


def common_prefix_length(left: list[int], right: list[int]) -> int:
    limit = min(len(left), len(right))
    for index in range(limit):
        if left[index] != right[index]:
            return index
    return limit


class PromptCache(Protocol):
    """What the prefix cache needs of a sequence's cache: torch's or the ONNX graph's."""

    def get_seq_length(self) -> int: ...

    def truncate(self, length: int) -> None: ...


@dataclass
class CachedPrompt:
    """A cache whose first `len(tokens)` positions hold exactly `tokens`."""

    tokens: list[int]
    cache: PromptCache
    # The logits after the last prompt token, so that an identical prompt
    # needs no forward pass at all and continues from the very same numbers.
    last_logits: torch.Tensor


@dataclass
class CheckedOut:
    cache: PromptCache
    # Leading prompt tokens already in `cache`.
    reused: int
    # Set when the whole prompt was reused: the logits to continue from.
    last_logits: torch.Tensor | None = None


class PrefixCache:
    """The last prompt's cache per adapter, least recently used dropped first.

    Each entry costs 2 * layers * kv_heads * head_dim * 4 bytes per token
    (46 KB for SmolLM2-135M: 94 MB at 2,048 tokens), hence the small bound.

    Reuse is exact for a repeated prompt. For a new suffix it is exact up to
    float rounding: the suffix runs as its own, shorter matrix product, which
    can round differently in the last bits than one pass over the whole
    prompt; greedy outputs agree in practice, sampled ones may drift.
    """

    def __init__(self, max_entries: int = 4) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[str | None, CachedPrompt] = OrderedDict()

    def checkout(
        self, adapter: str | None, prompt_ids: list[int], new_cache: Callable[[], PromptCache]
    ) -> CheckedOut:
        """A cache for `prompt_ids`, holding as much of it as was kept.

        The entry is taken out while in use, so a failed request cannot leave
        a half-written cache behind. `new_cache` makes one when none is kept;
        an adapter always runs on the same runtime, so its entry has the type
        `new_cache` makes.
        """
        entry = self._entries.pop(adapter, None)
        if entry is None:
            return CheckedOut(new_cache(), 0)
        if entry.tokens == prompt_ids:
            return CheckedOut(entry.cache, len(prompt_ids), entry.last_logits)
        # At least the last prompt token is left to compute: its logits pick
        # the first new token.
        reused = min(common_prefix_length(entry.tokens, prompt_ids), len(prompt_ids) - 1)
        entry.cache.truncate(reused)
        return CheckedOut(entry.cache, reused)

    def checkin(
        self,
        adapter: str | None,
        prompt_ids: list[int],
        cache: PromptCache,
        last_logits: torch.Tensor,
    ) -> None:
        """Keeps `cache` (truncated to the prompt) for the next request on `adapter`.

        Generated tokens are dropped: they were computed by the decode path,
        whose weights may differ in precision from the prefill's, and a cold
        run of a longer prompt would not reproduce them bit for bit.
        """
        cache.truncate(len(prompt_ids))
        self._entries[adapter] = CachedPrompt(list(prompt_ids), cache, last_logits)
        self._entries.move_to_end(adapter)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def discard(self, adapter: str | None) -> None:
        self._entries.pop(adapter, None)

    def clear(self) -> None:
        self._entries.clear()
