"""The example generator: positive, negative and held-out examples from a catalog alone.

Deterministic: every random choice comes from streams seeded by (seed,
ecosystem, purpose), so the same seed gives the same bytes. Held-out examples
are drawn from the held-out part of every phrasing and value list
(`splits`), so they are neither copies nor near-copies of indexed ones, and
they are never added to `indexed`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hybridtools.ecosystems.bindings import Binding, bindings_for
from hybridtools.ecosystems.calls import order_arguments, render_call
from hybridtools.ecosystems.catalog import Catalog
from hybridtools.ecosystems.custom import synthesized_binding
from hybridtools.ecosystems.examples import ToolExampleRecord, stable_id
from hybridtools.ecosystems.intents import INTENTS, Intent, Slots
from hybridtools.ecosystems.negatives import (
    ERROR_TYPES,
    ERROR_WEIGHTS,
    misused_tool_call,
    wrong_call,
)
from hybridtools.ecosystems.no_tool import no_tool_items, no_tool_requests
from hybridtools.ecosystems.phrasing import QUALITY_BY_STYLE, phrase, template_split
from hybridtools.ecosystems.splits import Split, rng_for

# Bump when a change to the generator changes its output for the same seed.
GENERATOR_VERSION = "1.1.0"
# A binding that keeps producing requests already seen has run out of variety.
_MAX_REPEATS = 200
# Share of requests phrased as asks ("what's in x?") rather than commands ("open x").
_ASK_SHARE = 0.3

__all__ = [
    "GENERATOR_VERSION",
    "GeneratedSet",
    "generate_ecosystem_examples",
    "no_tool_requests",
    "synthesize_custom_examples",
]


@dataclass
class GeneratedSet:
    catalog: Catalog
    indexed: list[ToolExampleRecord] = field(default_factory=list)
    held_out: list[ToolExampleRecord] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "positives": sum(record.kind == "positive" for record in self.indexed),
            "negatives": sum(record.kind == "negative" for record in self.indexed),
            "held_out": len(self.held_out),
        }


@dataclass(frozen=True)
class Recipe:
    """How to make requests for each tool of a catalog."""

    bindings: tuple[Binding, ...]
    intents: dict[str, Intent]
    balanced: bool  # round-robin over bindings instead of by weight


@dataclass(frozen=True)
class Draft:
    binding: Binding
    intent: Intent
    slots: Slots
    arguments: dict[str, Any]
    request: str
    style: str


def generate_ecosystem_examples(
    catalog: Catalog,
    positives: int = 10_000,
    negatives: int = 2_000,
    held_out: int = 200,
    seed: int = 0,
) -> GeneratedSet:
    """Examples for a built-in ecosystem's catalog (any other catalog is synthesized)."""
    return _generate(catalog, _recipe(catalog), positives, negatives, held_out, seed)


def synthesize_custom_examples(
    catalog: Catalog,
    positives_per_tool: int = 50,
    negatives_per_tool: int = 10,
    held_out_per_tool: int = 5,
    seed: int = 0,
) -> GeneratedSet:
    """Examples for tools known only by their definitions, the same number for each tool."""
    pairs = [synthesized_binding(tool) for tool in catalog.tools]
    recipe = Recipe(
        bindings=tuple(binding for _, binding in pairs),
        intents={intent.key: intent for intent, _ in pairs},
        balanced=True,
    )
    count = len(catalog.tools)
    return _generate(
        catalog,
        recipe,
        positives_per_tool * count,
        negatives_per_tool * count,
        held_out_per_tool * count,
        seed,
    )


def _recipe(catalog: Catalog) -> Recipe:
    bindings = [
        binding for binding in bindings_for(catalog.ecosystem) if catalog.has_tool(binding.tool)
    ]
    intents = dict(INTENTS)
    covered = {binding.tool for binding in bindings}
    # Tools no hand-written intent covers (a new tool in a catalog update) still get examples.
    for tool in catalog.tools:
        if tool.name not in covered:
            intent, binding = synthesized_binding(tool, weight=1.0)
            intents[intent.key] = intent
            bindings.append(binding)
    return Recipe(tuple(bindings), intents, balanced=not bindings_for(catalog.ecosystem))


def _generate(
    catalog: Catalog, recipe: Recipe, positives: int, negatives: int, held_out: int, seed: int
) -> GeneratedSet:
    result = GeneratedSet(catalog)
    seen: set[str] = set()
    builder = _DraftBuilder(catalog, recipe)

    positive_rng = rng_for(seed, catalog.ecosystem, "positive")
    for draft in _unique_drafts(builder, positive_rng, "train", positives, seen):
        result.indexed.append(_positive_record(catalog, draft))

    negative_rng = rng_for(seed, catalog.ecosystem, "negative")
    result.indexed.extend(_negative_records(builder, negative_rng, negatives, seen, seed))

    held_rng = rng_for(seed, catalog.ecosystem, "held_out")
    for draft in _unique_drafts(builder, held_rng, "held_out", held_out, seen):
        result.held_out.append(_positive_record(catalog, draft))
    return result


class _DraftBuilder:
    """Draws one request and its correct call for a binding, from one split's lists."""

    def __init__(self, catalog: Catalog, recipe: Recipe) -> None:
        self.catalog = catalog
        self.recipe = recipe
        self._templates: dict[tuple[str, Split], tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def draft(self, rng: random.Random, binding: Binding, split: Split) -> Draft:
        intent = self.recipe.intents[binding.intent]
        slots = intent.sample(rng, split)
        commands, asks = self._split_templates(intent, split)
        use_ask = bool(asks) and rng.random() < _ASK_SHARE
        template = rng.choice(asks if use_ask else commands)
        slots = intent.slots_for(template, slots)
        text_values = {key: value for key, value in slots.items() if isinstance(value, str)}
        phrased = phrase(
            rng, template, text_values, split=split, ask=use_ask, code_slots=intent.code_slots
        )
        tool = self.catalog.tool(binding.tool)
        arguments = order_arguments(binding.build(slots), tool.parameters)
        return Draft(binding, intent, slots, arguments, phrased.text.strip(), phrased.style)

    def _split_templates(
        self, intent: Intent, split: Split
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        key = (intent.key, split)
        if key not in self._templates:
            commands = template_split(intent.commands)[split]
            asks = template_split(intent.asks)[split] if len(intent.asks) >= 2 else ()
            self._templates[key] = (commands, asks)
        return self._templates[key]


def _unique_drafts(
    builder: _DraftBuilder, rng: random.Random, split: Split, count: int, seen: set[str]
) -> list[Draft]:
    """`count` drafts whose requests are new to `seen` (which they are added to)."""
    pick = _picker(builder.recipe, rng)
    drafts: list[Draft] = []
    repeats: dict[int, int] = {}
    exhausted: set[int] = set()
    total = len(builder.recipe.bindings)
    while len(drafts) < count and len(exhausted) < total:
        index = pick(exhausted)
        draft = builder.draft(rng, builder.recipe.bindings[index], split)
        key = _request_key(draft.request)
        if key in seen:
            repeats[index] = repeats.get(index, 0) + 1
            if repeats[index] >= _MAX_REPEATS:
                exhausted.add(index)
            continue
        repeats[index] = 0
        seen.add(key)
        drafts.append(draft)
    return drafts


def _picker(recipe: Recipe, rng: random.Random) -> Callable[[set[int]], int]:
    """Chooses the next binding: by weight, or in turn when the recipe is balanced."""
    bindings = recipe.bindings
    if recipe.balanced:
        position = [0]

        def next_in_turn(exhausted: set[int]) -> int:
            while True:
                index = position[0] % len(bindings)
                position[0] += 1
                if index not in exhausted:
                    return index

        return next_in_turn
    weights = [binding.weight for binding in bindings]

    def by_weight(exhausted: set[int]) -> int:
        live = [0.0 if index in exhausted else weight for index, weight in enumerate(weights)]
        return rng.choices(range(len(bindings)), weights=live)[0]

    return by_weight


def _negative_records(
    builder: _DraftBuilder, rng: random.Random, count: int, seen: set[str], seed: int
) -> list[ToolExampleRecord]:
    catalog = builder.catalog
    no_tool_count = round(count * ERROR_WEIGHTS[-1] / sum(ERROR_WEIGHTS))
    records = _no_tool_negatives(catalog, no_tool_count, seen, seed)
    tool_error_types = ERROR_TYPES[:-1]
    tool_error_weights = ERROR_WEIGHTS[:-1]
    pick = _picker(builder.recipe, rng)
    failures = 0
    while len(records) < count and failures < count * 20:
        index = pick(set())
        binding = builder.recipe.bindings[index]
        draft = builder.draft(rng, binding, "train")
        error_type = rng.choices(tool_error_types, weights=tool_error_weights)[0]
        wrong = wrong_call(rng, error_type, catalog, binding, draft.slots, draft.arguments)
        key = _request_key(draft.request)
        if wrong is None or key in seen:
            failures += 1
            continue
        seen.add(key)
        records.append(_negative_record(catalog, draft, wrong))
    return records


def _no_tool_negatives(
    catalog: Catalog, count: int, seen: set[str], seed: int
) -> list[ToolExampleRecord]:
    records: list[ToolExampleRecord] = []
    # More candidates than needed: some are already used by this ecosystem's other examples.
    for item in no_tool_items(count * 2, seed, "train"):
        if len(records) >= count:
            break
        wrong = misused_tool_call(catalog, item.request)
        key = _request_key(item.request)
        if wrong is None or key in seen:
            continue
        seen.add(key)
        records.append(
            ToolExampleRecord(
                id=stable_id(
                    catalog.ecosystem,
                    "negative",
                    item.request,
                    "",
                    {},
                    wrong_call_name=wrong.name,
                    wrong_call_arguments=wrong.arguments,
                ),
                ecosystem=catalog.ecosystem,
                tool_name=wrong.name,
                request=item.request,
                call_name="",
                call_arguments={},
                call_rendered="",
                usage_pattern=item.category,
                kind="negative",
                tool_version=catalog.version,
                quality_score=1.0,
                wrong_call_name=wrong.name,
                wrong_call_arguments=wrong.arguments,
                wrong_call_rendered=render_call(catalog.call_format, wrong.name, wrong.arguments),
                error_type=wrong.error_type,
                error_description=wrong.description,
            )
        )
    return records


def _positive_record(catalog: Catalog, draft: Draft) -> ToolExampleRecord:
    tool = draft.binding.tool
    return ToolExampleRecord(
        id=stable_id(catalog.ecosystem, "positive", draft.request, tool, draft.arguments),
        ecosystem=catalog.ecosystem,
        tool_name=tool,
        request=draft.request,
        call_name=tool,
        call_arguments=draft.arguments,
        call_rendered=render_call(catalog.call_format, tool, draft.arguments),
        usage_pattern=draft.intent.usage_pattern,
        kind="positive",
        tool_version=catalog.version,
        quality_score=QUALITY_BY_STYLE[draft.style],
    )


def _negative_record(catalog: Catalog, draft: Draft, wrong: Any) -> ToolExampleRecord:
    tool = draft.binding.tool
    return ToolExampleRecord(
        id=stable_id(
            catalog.ecosystem,
            "negative",
            draft.request,
            tool,
            draft.arguments,
            wrong_call_name=wrong.name,
            wrong_call_arguments=wrong.arguments,
        ),
        ecosystem=catalog.ecosystem,
        tool_name=tool,
        request=draft.request,
        call_name=tool,
        call_arguments=draft.arguments,
        call_rendered=render_call(catalog.call_format, tool, draft.arguments),
        usage_pattern=draft.intent.usage_pattern,
        kind="negative",
        tool_version=catalog.version,
        quality_score=QUALITY_BY_STYLE[draft.style],
        wrong_call_name=wrong.name,
        wrong_call_arguments=wrong.arguments,
        wrong_call_rendered=render_call(catalog.call_format, wrong.name, wrong.arguments),
        error_type=wrong.error_type,
        error_description=wrong.description,
    )


def _request_key(request: str) -> str:
    """Requests differing only in case or spacing are the same request."""
    return " ".join(request.lower().split())


def request_keys(records: Sequence[ToolExampleRecord]) -> set[str]:
    return {_request_key(record.request) for record in records}
