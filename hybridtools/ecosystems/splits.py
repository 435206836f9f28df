"""Train / held-out partitions of every word list, and seeded random streams.

Held-out requests must not be near-duplicates of indexed ones, so the split
is made on the atoms requests are built from, not on finished requests: each
value list (entity names, commands, URLs...) and each list of phrasings is cut
once, by a hash of the item, into a train part and a held-out part. A
held-out request then uses a phrasing and values that no indexed request uses.
Hashes, not Python's `hash()`, so the cut is the same in every process.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from typing import Literal, TypeVar

Split = Literal["train", "held_out"]
SPLITS: tuple[Split, ...] = ("train", "held_out")
# A fifth of every list is kept for evaluation.
HELD_OUT_SHARE = 0.2

T = TypeVar("T")


def stable_fraction(key: str) -> float:
    """A number in [0, 1) fixed by `key` alone."""
    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def partition(
    items: Sequence[T], salt: str, share: float = HELD_OUT_SHARE
) -> dict[Split, tuple[T, ...]]:
    """Cut `items` into train and held-out parts; both are non-empty when len(items) >= 2."""
    ranked = sorted(
        range(len(items)), key=lambda index: stable_fraction(f"{salt}\x00{items[index]!r}")
    )
    held_count = max(1, round(len(items) * share)) if len(items) >= 2 else 0
    held = set(ranked[:held_count])
    return {
        "train": tuple(item for index, item in enumerate(items) if index not in held),
        "held_out": tuple(item for index, item in enumerate(items) if index in held),
    }


def split_by_position(items: Sequence[T], every: int = 5) -> dict[Split, tuple[T, ...]]:
    """Every `every`-th item (the 5th, 10th...) held out: for hand-written phrasing lists,
    where a hash could leave a short list with no held-out phrasing at all."""
    if len(items) < 2:
        return {"train": tuple(items), "held_out": tuple(items)}
    held = {index for index in range(len(items)) if index % every == every - 1} or {len(items) - 1}
    return {
        "train": tuple(item for index, item in enumerate(items) if index not in held),
        "held_out": tuple(item for index, item in enumerate(items) if index in held),
    }


def rng_for(seed: int, *parts: str) -> random.Random:
    """An independent random stream per (seed, purpose), stable across runs and versions."""
    digest = hashlib.sha256("\x00".join([str(seed), *parts]).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


_PARTITIONS: dict[str, dict[Split, tuple]] = {}


def choose(rng: random.Random, items: Sequence[T], salt: str, split: Split) -> T:
    """A random item of `items`' `split` part; `salt` names the list (one salt, one list)."""
    parts = _PARTITIONS.get(salt)
    if parts is None:
        parts = _PARTITIONS[salt] = partition(items, salt)
    return rng.choice(parts[split])
