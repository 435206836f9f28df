"""Checks on generated data: every positive call is valid, every negative is wrong in
exactly the way it says, held-out data does not leak into the index, and training
samples answer as their metadata says. Each check returns readable problems; empty
means fine."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from hybridtools.ecosystems.bindings import BINDINGS
from hybridtools.ecosystems.calls import parse_call, parse_json_call, render_call, validate_call
from hybridtools.ecosystems.catalog import Catalog
from hybridtools.ecosystems.examples import ToolExampleRecord, stable_id
from hybridtools.ecosystems.invented_tools import HELD_OUT_TOOLS, TRAIN_TOOLS
from hybridtools.ecosystems.negatives import NO_TOOL_DESCRIPTION

# Held-out requests this similar (word sets) to an indexed request of the same tool are
# near-duplicates. Generated held-out data stays near 0.25 (median) and below 0.65 (max).
NEAR_DUPLICATE_JACCARD = 0.8
# Short argument values repeat by nature (an enum like "insert", a path like ".", a date,
# an MCP server name); longer ones (paths, commands, URLs, questions, code) must not.
SHARED_VALUE_MIN_LENGTH = 16
_QUOTED = re.compile(r"'([^']+)'")


def check_record(catalog: Catalog, record: ToolExampleRecord) -> list[str]:
    problems: list[str] = []
    if record.ecosystem != catalog.ecosystem:
        problems.append(f"ecosystem {record.ecosystem!r} is not {catalog.ecosystem!r}")
    if record.tool_version != catalog.version:
        problems.append(f"tool_version {record.tool_version!r} is not {catalog.version!r}")
    if record.trained_in_adapter:
        problems.append("trained_in_adapter is set on generated data")
    if not 0.0 <= record.quality_score <= 1.0:
        problems.append(f"quality_score {record.quality_score} is outside 0..1")
    expected_id = stable_id(
        record.ecosystem,
        record.kind,
        record.request,
        record.call_name,
        record.call_arguments,
        wrong_call_name=record.wrong_call_name,
        wrong_call_arguments=record.wrong_call_arguments,
    )
    if record.id != expected_id:
        problems.append("id is not the stable id of the example's content")
    if record.call_name:
        problems += _check_correct_call(catalog, record)
    if record.kind == "positive":
        if not record.call_name:
            problems.append("a positive example has no call")
    elif record.kind == "negative":
        problems += _check_negative(catalog, record)
    else:
        problems.append(f"kind {record.kind!r} is neither positive nor negative")
    return problems


def check_records(catalog: Catalog, records: Iterable[ToolExampleRecord]) -> list[str]:
    problems: list[str] = []
    seen_ids: set[str] = set()
    for record in records:
        if record.id in seen_ids:
            problems.append(f"{record.id}: duplicate id")
        seen_ids.add(record.id)
        problems += [
            f"{record.id} ({record.tool_name}): {p}" for p in check_record(catalog, record)
        ]
    return problems


def check_disjoint(
    indexed: Sequence[ToolExampleRecord],
    held_out: Sequence[ToolExampleRecord],
    catalog: Catalog | None = None,
) -> list[str]:
    """Held-out requests must be neither copies nor near-copies of indexed ones, and their
    free-text argument values (not enum members) must not occur in indexed calls."""
    problems: list[str] = []
    indexed_values = {
        value
        for record in indexed
        for value in _string_values(record.call_arguments)
        if len(value) >= SHARED_VALUE_MIN_LENGTH
    }
    for record in held_out:
        shared = [
            value
            for value in _string_values(record.call_arguments)
            if value in indexed_values and not _is_enum_value(catalog, record, value)
        ]
        if shared:
            problems.append(f"held-out values also in indexed calls: {shared}")
    indexed_keys = {_normalize(record.request) for record in indexed}
    by_tool: dict[str, list[frozenset[str]]] = defaultdict(list)
    for record in indexed:
        by_tool[record.tool_name].append(_words(record.request))
    for record in held_out:
        if _normalize(record.request) in indexed_keys:
            problems.append(f"held-out request is also indexed: {record.request!r}")
            continue
        words = _words(record.request)
        closest = max((_jaccard(words, other) for other in by_tool[record.tool_name]), default=0.0)
        if closest >= NEAR_DUPLICATE_JACCARD:
            problems.append(
                f"held-out request is a near-duplicate ({closest:.2f}) of an indexed one: "
                f"{record.request!r}"
            )
    return problems


def check_requests_disjoint(train: Iterable[str], held_out: Iterable[str]) -> list[str]:
    train_keys = {_normalize(text) for text in train}
    return [
        f"held-out request also in train: {text!r}"
        for text in held_out
        if _normalize(text) in train_keys
    ]


def check_training_samples(samples: Iterable[dict[str, Any]]) -> list[str]:
    """Roles in order; a call answer parses, matches meta and names a listed tool;
    a plain answer is not a call."""
    problems: list[str] = []
    for index, sample in enumerate(samples):
        messages = sample.get("messages") or []
        roles = [message.get("role") for message in messages]
        if roles[:1] != ["system"] or roles[-2:] != ["user", "assistant"]:
            problems.append(f"sample {index}: roles {roles}")
            continue
        answer = messages[-1]["content"]
        expected = (sample.get("meta") or {}).get("expected_call")
        parsed = parse_json_call(answer)
        if expected:
            if parsed != (expected["name"], expected["arguments"]):
                problems.append(f"sample {index}: answer {answer!r} is not the expected call")
            elif f"- {expected['name']}(" not in messages[0]["content"]:
                problems.append(f"sample {index}: {expected['name']} is not in the tool list")
        elif parsed is not None:
            problems.append(f"sample {index}: a plain-answer sample answers with a call")
    return problems


def check_invented_names() -> list[str]:
    """Invented tools must not carry an IDE's tool names, and held-out ones none of training's."""
    ide_names = {binding.tool for bindings in BINDINGS.values() for binding in bindings}
    train_names = {name for tool in TRAIN_TOOLS for name in tool.names}
    problems = [
        f"invented tool {name!r} is an IDE tool name"
        for name in sorted(train_names)
        if name in ide_names
    ]
    for tool in HELD_OUT_TOOLS:
        problems += [
            f"held-out invented tool {name!r} is also a training tool"
            for name in tool.names
            if name in train_names or name in ide_names
        ]
    return problems


def _check_correct_call(catalog: Catalog, record: ToolExampleRecord) -> list[str]:
    problems = [
        f"correct call: {message}"
        for message in validate_call(catalog, record.call_name, record.call_arguments)
    ]
    expected = render_call(catalog.call_format, record.call_name, record.call_arguments)
    if record.call_rendered != expected:
        problems.append("call_rendered is not the call rendered in the ecosystem's format")
    parsed = parse_call(catalog.call_format, record.call_rendered, catalog=catalog)
    if parsed != (record.call_name, record.call_arguments):
        problems.append(f"call_rendered does not parse back to the call (got {parsed})")
    return problems


def _check_negative(catalog: Catalog, record: ToolExampleRecord) -> list[str]:
    if not record.wrong_call_name:
        return ["a negative example has no wrong call"]
    arguments = record.wrong_call_arguments or {}
    messages = validate_call(catalog, record.wrong_call_name, arguments)
    kind = record.error_type
    if kind == "no_tool_needed":
        problems = []
        if record.call_name:
            problems.append("a no-tool-needed negative has a correct call")
        if messages:
            problems.append(f"the misused call should be schema-valid, got {messages}")
        if record.error_description != NO_TOOL_DESCRIPTION:
            problems.append("error_description does not say no tool is needed")
        return problems
    if not record.call_name:
        return [f"a {kind} negative has no correction"]
    if kind in ("wrong_tool_name", "invented_tool"):
        expected = f"unknown tool '{record.wrong_call_name}'"
        if catalog.has_tool(record.wrong_call_name) or expected not in messages:
            return [f"wrong call should be an unknown tool, validator says {messages}"]
        return []
    if kind == "wrong_argument_name":
        quoted = _QUOTED.findall(record.error_description)
        if not quoted or f"unknown argument '{quoted[0]}'" not in messages:
            return [
                f"wrong call should have unknown argument {quoted[:1]}, validator says {messages}"
            ]
        return []
    if kind in ("missing_required_argument", "wrong_argument_type"):
        if record.error_description not in messages:
            return [f"validator does not report {record.error_description!r}: {messages}"]
        return []
    return [f"unknown error_type {kind!r}"]


def _string_values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _string_values(item)]
    if isinstance(value, list):
        return [text for item in value for text in _string_values(item)]
    return []


def _is_enum_value(catalog: Catalog | None, record: ToolExampleRecord, value: str) -> bool:
    if catalog is None or not catalog.has_tool(record.call_name):
        return False
    return value in _enum_values(catalog.tool(record.call_name).parameters)


def _enum_values(schema: Any) -> set[Any]:
    if isinstance(schema, dict):
        found = {
            value for value in schema.get("enum") or () if isinstance(value, (str, int, float))
        }
        for item in schema.values():
            found |= _enum_values(item)
        return found
    if isinstance(schema, list):
        return {value for item in schema for value in _enum_values(item)}
    return set()


def _normalize(text: str) -> str:
    return " ".join(text.lower().split())


def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9_]+", text.lower()))


def _jaccard(left: frozenset[str], right: frozenset[str]) -> float:
    if not left and not right:
        return 1.0
    return len(left & right) / len(left | right)
