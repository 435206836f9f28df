"""Dataset mixes: sources in, one list of chat samples and its report out.

The report is the seed's: samples, tokens counted with the base model's
tokenizer (the chat template included, as the worker sees them), each
source's share of the tokens, the tokens that carry loss, and a sha256 over
the composed samples (the adapter manifest records it, so two adapters
trained on the same mix say so).

How many samples a source gives:
- `sample_count` > 0: that many, repeating the source or taking a seeded
  random part of it;
- else, with `weight` > 0: a share of the mix's samples. When other sources
  are fixed (a count, or all of them once), the weights are fractions of the
  final total (they must sum to less than 1); when every source is weighted,
  the total is the sources' combined size, split by the weights;
- else every sample once.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hybridtools.core.errors import (
    InvalidArgumentError,
    require,
)
from hybridtools.core.files import resolve_file_inside
from hybridtools.ecosystems.training_sets import guardrail_samples, tool_awareness_samples

Sample = dict[str, Any]
BUILTIN_PREFIX = "builtin:"
# The generic adapter's sets: the seed's "1K tool-awareness set" and its guardrails.
BUILTIN_SETS: dict[str, Callable[[int, int], list[Sample]]] = {
    "tool_awareness": tool_awareness_samples,
    "guardrails": guardrail_samples,
}
BUILTIN_DEFAULT_COUNT = 1000
# The most samples one mix may hold: a bound on runaway requests (a preview of
# a billion ran on at full CPU long after its client had left), not a size
# anyone should train at. Real mixes: an IDE's ~12,000 examples (10K positive,
# 2K negative) beside the 1,000-sample built-in sets, a few IDEs, a domain mix
# of tens of thousands, the evening loop's few hundred. The trainer builds and
# tokenizes a whole mix before it trains or previews, at 285-370 samples/s on
# the 2-core dev box (10,000 of each built-in set took 70 s), so a mix at the
# cap takes ~10 minutes there.
MAX_MIX_SAMPLES = 200_000
_ROLES = frozenset({"system", "user", "assistant", "tool"})


@dataclass(frozen=True)
class RetrievalSpec:
    ecosystem: str
    tool_names: tuple[str, ...] = ()
    include_negatives: bool = False


@dataclass(frozen=True)
class SourceSpec:
    """One source of a mix: a JSONL path, a built-in set or examples from retrieval."""

    name: str = ""
    path: str = ""
    retrieval: RetrievalSpec | None = None
    sample_count: int = 0
    weight: float = 0.0

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        if self.path.startswith(BUILTIN_PREFIX):
            return self.path[len(BUILTIN_PREFIX) :]
        if self.path:
            return Path(self.path).stem
        if self.retrieval is not None:
            return f"retrieval:{self.retrieval.ecosystem}"
        return "unnamed"


@dataclass(frozen=True)
class SourceReport:
    name: str
    samples: int
    tokens: int
    token_share: float


@dataclass(frozen=True)
class MixReport:
    sources: list[SourceReport]
    total_samples: int
    total_tokens: int
    trainable_tokens: int
    dataset_hash: str

    def to_json(self) -> dict[str, Any]:
        return {
            "sources": [source.__dict__ for source in self.sources],
            "total_samples": self.total_samples,
            "total_tokens": self.total_tokens,
            "trainable_tokens": self.trainable_tokens,
            "dataset_hash": self.dataset_hash,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> MixReport:
        return cls(
            [SourceReport(**source) for source in value.get("sources", [])],
            int(value.get("total_samples", 0)),
            int(value.get("total_tokens", 0)),
            int(value.get("trainable_tokens", 0)),
            str(value.get("dataset_hash", "")),
        )


@dataclass
class ComposedMix:
    samples: list[Sample]
    report: MixReport
    # Per sample, the source it came from (same order as `samples`).
    source_of: list[str] = field(default_factory=list)

    def write_jsonl(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            for sample, source in zip(self.samples, self.source_of, strict=True):
                row = {
                    "messages": sample["messages"],
                    "meta": {**sample.get("meta", {}), "source": source},
                }
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        tmp.replace(path)


def validate_sources(sources: Sequence[SourceSpec], dataset_dir: Path) -> None:
    """Checks a mix before any work: cheap, so CreateTrainingJob can answer at once."""
    require(bool(sources), "the dataset mix is empty: name at least one source")
    labels = [source.label for source in sources]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    require(not duplicates, f"source names must be unique in a mix: {', '.join(duplicates)}")
    for source in sources:
        require(source.sample_count >= 0, f"source {source.label!r}: sample_count must be >= 0")
        require(
            source.sample_count <= MAX_MIX_SAMPLES,
            f"source {source.label!r}: sample_count {source.sample_count} is above the cap of "
            f"{MAX_MIX_SAMPLES} samples per mix (the trainer builds and tokenizes every sample "
            "before it trains or previews)",
        )
        # NaN or infinity would make the sample counts NaN, which no count can be.
        require(
            math.isfinite(source.weight) and source.weight >= 0,
            f"source {source.label!r}: weight must be a finite number >= 0, got {source.weight}",
        )
        if source.retrieval is not None:
            require(bool(source.retrieval.ecosystem), f"source {source.label!r}: name an ecosystem")
        elif source.path.startswith(BUILTIN_PREFIX):
            builtin = source.path[len(BUILTIN_PREFIX) :]
            require(
                builtin in BUILTIN_SETS,
                f"source {source.label!r}: unknown built-in set {builtin!r} "
                f"(have: {', '.join(BUILTIN_PREFIX + name for name in BUILTIN_SETS)})",
            )
        else:
            resolve_dataset_path(dataset_dir, source.path)
    fixed = [s for s in sources if s.sample_count > 0 or s.weight <= 0]
    total_weight = sum(s.weight for s in sources if s.sample_count <= 0 and s.weight > 0)
    if fixed and total_weight > 0:
        require(
            total_weight < 1,
            f"weights are shares of the whole mix beside fixed sources: they sum to "
            f"{total_weight:g}, which leaves nothing for the others",
        )
    # Many sources add up, and shares beside fixed sources scale the mix up (a share
    # of 0.999 makes it 1000 times the fixed part). A file or a retrieval query gives at
    # least one sample, so this is the least the mix can hold; `compose` checks the real
    # size once the sources are loaded.
    least_sizes = [_known_size(source) or 1 for source in sources]
    require_mix_size(sources, sample_counts(sources, least_sizes))


def _known_size(source: SourceSpec) -> int:
    """A source's size before counts are applied, where it is known before loading (else 0)."""
    if source.retrieval is None and source.path.startswith(BUILTIN_PREFIX):
        return source.sample_count or BUILTIN_DEFAULT_COUNT  # as `load_source` builds it
    return 0


def require_mix_size(sources: Sequence[SourceSpec], counts: Sequence[int]) -> None:
    """Refuses a mix of more than MAX_MIX_SAMPLES samples, naming its largest sources."""
    total = sum(counts)
    if total <= MAX_MIX_SAMPLES:
        return
    largest = sorted(zip(counts, (s.label for s in sources), strict=True), reverse=True)[:3]
    raise InvalidArgumentError(
        f"the mix would hold {total} samples, above the cap of {MAX_MIX_SAMPLES} "
        f"(largest: {', '.join(f'{label!r} {count}' for count, label in largest)}): lower the "
        "sample counts, or the weights beside fixed sources, which scale the mix up"
    )


def resolve_dataset_path(dataset_dir: Path, relative: str) -> Path:
    """A JSONL file inside the dataset directory; anything escaping it is refused."""
    require(bool(relative), "a source needs a path, a built-in set or a retrieval query")
    return resolve_file_inside(dataset_dir, relative, "path", "the dataset directory")


def read_chat_jsonl(path: Path) -> list[Sample]:
    """Chat samples from a JSONL file; a bad line rejects the file with its number."""
    samples: list[Sample] = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidArgumentError(
                    f"{path.name} line {number}: not JSON ({exc.msg})"
                ) from exc
            problem = chat_sample_problem(value)
            if problem:
                raise InvalidArgumentError(f"{path.name} line {number}: {problem}")
            samples.append({"messages": value["messages"], "meta": value.get("meta") or {}})
    if not samples:
        raise InvalidArgumentError(f"{path.name} holds no samples")
    return samples


def chat_sample_problem(value: Any) -> str:
    """What is wrong with a chat sample ("" when nothing)."""
    if not isinstance(value, dict) or not isinstance(value.get("messages"), list):
        return 'expected {"messages": [{"role": ..., "content": ...}, ...]}'
    roles = []
    for message in value["messages"]:
        if not isinstance(message, dict) or not isinstance(message.get("content"), str):
            return "every message needs a string content"
        if message.get("role") not in _ROLES:
            return f"unknown role {message.get('role')!r} (expected one of {sorted(_ROLES)})"
        roles.append(message["role"])
    if "assistant" not in roles:
        return "no assistant turn to learn from"
    return ""


def load_source(
    source: SourceSpec,
    dataset_dir: Path,
    seed: int,
    retrieved: dict[str, list[Sample]] | None = None,
) -> list[Sample]:
    """The source's samples before counts are applied."""
    if source.retrieval is not None:
        samples = (retrieved or {}).get(source.label)
        if samples is None:
            raise InvalidArgumentError(f"source {source.label!r}: its examples were not fetched")
        return samples
    if source.path.startswith(BUILTIN_PREFIX):
        make = BUILTIN_SETS[source.path[len(BUILTIN_PREFIX) :]]
        return make(source.sample_count or BUILTIN_DEFAULT_COUNT, seed)
    return read_chat_jsonl(resolve_dataset_path(dataset_dir, source.path))


def sample_counts(sources: Sequence[SourceSpec], sizes: Sequence[int]) -> list[int]:
    """How many samples each source gives (see the module docstring)."""
    weighted = [s.sample_count <= 0 and s.weight > 0 for s in sources]
    fixed_total = sum(
        (s.sample_count if s.sample_count > 0 else size)
        for s, size, w in zip(sources, sizes, weighted, strict=True)
        if not w
    )
    total_weight = sum(s.weight for s, w in zip(sources, weighted, strict=True) if w)
    if any(not w for w in weighted):
        mix_total = fixed_total / (1 - total_weight) if total_weight else fixed_total
        weighted_share = {i: sources[i].weight for i, w in enumerate(weighted) if w}
    else:
        mix_total = sum(sizes)
        weighted_share = {i: sources[i].weight / total_weight for i in range(len(sources))}
    counts = []
    for index, source in enumerate(sources):
        if source.sample_count > 0:
            counts.append(source.sample_count)
        elif index in weighted_share:
            counts.append(max(1, round(mix_total * weighted_share[index])))
        else:
            counts.append(sizes[index])
    return counts


def take(samples: list[Sample], count: int, rng: random.Random) -> list[Sample]:
    """`count` samples: whole copies of the source, then a seeded random part of it."""
    if not samples or count <= 0:
        return []
    copies, remainder = divmod(count, len(samples))
    taken = [sample for _ in range(copies) for sample in samples]
    return taken + rng.sample(samples, remainder)


class ComposeStopped(Exception):
    """The caller stopped waiting for the mix (a preview's client left)."""


def compose(
    sources: Sequence[SourceSpec],
    dataset_dir: Path,
    tokenizer: Any,
    seed: int = 0,
    retrieved: dict[str, list[Sample]] | None = None,
    stop: threading.Event | None = None,
) -> ComposedMix:
    """Loads, counts, tokenizes and reports a mix; ComposeStopped once `stop` is set (checked
    between sources and between samples)."""
    from trainer_svc.packing import tokenize_sample

    def check_stop() -> None:
        if stop is not None and stop.is_set():
            raise ComposeStopped("the mix is no longer wanted")

    validate_sources(sources, dataset_dir)
    loaded = []
    for source in sources:
        check_stop()
        loaded.append(load_source(source, dataset_dir, seed, retrieved))
    for source, samples in zip(sources, loaded, strict=True):
        require(bool(samples), f"source {source.label!r} gave no samples")
    counts = sample_counts(sources, [len(samples) for samples in loaded])
    require_mix_size(sources, counts)  # files and retrieval sets are sized only now
    composed: list[Sample] = []
    source_of: list[str] = []
    source_tokens: list[int] = []
    trainable = 0
    digest = hashlib.sha256()
    for index, (source, samples, count) in enumerate(zip(sources, loaded, counts, strict=True)):
        rng = random.Random(f"{seed}:{index}:{source.label}")
        chosen = take(samples, count, rng)
        tokens = 0
        for sample in chosen:
            check_stop()
            tokenized = tokenize_sample(tokenizer, sample["messages"])
            tokens += len(tokenized.input_ids)
            trainable += tokenized.trainable_tokens
            digest.update(
                json.dumps(sample["messages"], sort_keys=True, ensure_ascii=False).encode() + b"\n"
            )
        composed.extend(chosen)
        source_of.extend([source.label] * len(chosen))
        source_tokens.append(tokens)
    total_tokens = sum(source_tokens)
    report = MixReport(
        [
            SourceReport(
                source.label,
                count,
                tokens,
                round(tokens / total_tokens, 4) if total_tokens else 0.0,
            )
            for source, count, tokens in zip(sources, counts, source_tokens, strict=True)
        ],
        len(composed),
        total_tokens,
        trainable,
        digest.hexdigest(),
    )
    return ComposedMix(composed, report, source_of)
