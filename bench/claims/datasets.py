"""The bench's data, from the project's example generator (deterministic in the seed).

Per ecosystem: the examples to index (the generator's `indexed` split,
positives and negatives in the seed's 10:2 ratio) and the held-out tool
requests (`held_out`: phrasings and values no indexed example uses, never
indexed). Shared by all ecosystems: held-out requests that need no tool.

The old approach's training set: Continue's indexed examples as chat samples
in the serving layout with the tool list and *no* examples (what the
inference service builds for a `no_examples` request), so Continue's tools are
trained into the LoRA instead of retrieved.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hybridtools.ecosystems.catalog import Catalog, load_builtin_catalog
from hybridtools.ecosystems.datasets import no_tool_records
from hybridtools.ecosystems.examples import ToolExampleRecord
from hybridtools.ecosystems.generator import generate_ecosystem_examples
from hybridtools.ecosystems.no_tool import no_tool_items
from hybridtools.prompting import build_messages, canonical_call_json

# Negatives per positive, as the seed's ~10K positive + ~2K negative per ecosystem.
NEGATIVE_SHARE = 0.2
# Tools shown beside the right one in an old-approach sample, as the service
# shows its three candidate tools.
DISTRACTOR_TOOLS = 2


@dataclass(frozen=True)
class BenchRequest:
    ecosystem: str
    index: int
    kind: str  # "tool" | "no_tool"
    request: str
    expected_name: str = ""
    expected_arguments: dict[str, Any] = field(default_factory=dict, hash=False)
    required: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "ecosystem": self.ecosystem,
            "index": self.index,
            "kind": self.kind,
            "request": self.request,
            "expected_name": self.expected_name,
            "expected_arguments": self.expected_arguments,
            "required": list(self.required),
        }


@dataclass
class EcosystemData:
    catalog: Catalog
    indexed: list[ToolExampleRecord]
    requests: list[BenchRequest]

    @property
    def positives(self) -> int:
        return sum(record.kind == "positive" for record in self.indexed)

    @property
    def negatives(self) -> int:
        return sum(record.kind == "negative" for record in self.indexed)

    @property
    def tool_requests(self) -> list[BenchRequest]:
        return [request for request in self.requests if request.kind == "tool"]


def negatives_for(positives: int) -> int:
    return max(1, round(positives * NEGATIVE_SHARE))


def build_ecosystem_data(
    ecosystems: tuple[str, ...],
    positives: int,
    tool_requests: int,
    no_tool_requests: int,
    seed: int,
) -> dict[str, EcosystemData]:
    """Indexed examples and the requests to ask, per ecosystem."""
    no_tool = [record.request for record in no_tool_records(no_tool_requests, seed)]
    data: dict[str, EcosystemData] = {}
    for ecosystem in ecosystems:
        catalog = load_builtin_catalog(ecosystem)
        generated = generate_ecosystem_examples(
            catalog, positives, negatives_for(positives), tool_requests, seed
        )
        requests = [
            BenchRequest(
                ecosystem,
                index,
                "tool",
                record.request,
                record.call_name,
                dict(record.call_arguments),
                catalog.tool(record.call_name).required,
            )
            for index, record in enumerate(generated.held_out)
        ]
        requests += [
            BenchRequest(ecosystem, len(requests) + offset, "no_tool", text)
            for offset, text in enumerate(no_tool)
        ]
        data[ecosystem] = EcosystemData(catalog, generated.indexed, requests)
    return data


def old_approach_samples(data: EcosystemData, seed: int) -> list[dict[str, Any]]:
    """Every indexed example of one ecosystem as a chat sample with no examples in the prompt.

    Positives and negatives' corrections answer with the call; the negatives
    whose right answer is no call answer in plain text (the generator's own
    answer for that request), with the same tool list in front of them.
    """
    rng = random.Random(f"{seed}:old-approach:{data.catalog.ecosystem}")
    catalog = data.catalog
    # The generator drew these requests from the first 2 x count no-tool items of its
    # seed (one stream, so a longer list starts with the same items).
    no_call = sum(1 for record in data.indexed if not record.call_name)
    answers = {item.request: item.answer for item in no_tool_items(4 * no_call + 8, seed, "train")}
    samples: list[dict[str, Any]] = []
    for record in data.indexed:
        if record.call_name:
            right = record.call_name
            reply = canonical_call_json(right, record.call_arguments)
        elif record.request in answers:
            right = ""
            reply = answers[record.request]
        else:
            continue
        others = [name for name in catalog.tool_names if name != right]
        shown = ([right] if right else []) + rng.sample(
            others, min(len(others), DISTRACTOR_TOOLS + (0 if right else 1))
        )
        rng.shuffle(shown)
        messages = build_messages(
            record.request, [catalog.tool(name).to_prompt_tool() for name in shown], []
        )
        messages.append({"role": "assistant", "content": reply})
        samples.append(
            {
                "messages": messages,
                "meta": {"kind": "old_approach", "ecosystem": catalog.ecosystem, "tool": right},
            }
        )
    return samples


def write_chat_jsonl(path: Path, samples: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        for sample in samples:
            handle.write(json.dumps(sample, ensure_ascii=False) + "\n")
    temporary.replace(path)
