"""Normalising tools' argument schemas so every later step can rely on their shape.

Two things matter downstream:
- A constrained decoder compiles the schema into a grammar; an unbounded string
  or array lets a small model loop until the token limit, so every string gets
  a `maxLength` and every array a `maxItems`.
- The schema reaches the services both from JSON files and through protobuf
  Structs, which do not keep key order. Properties are therefore put in one
  canonical order (required ones as `required` lists them, then the optional
  ones alphabetically), so a catalog prints and hashes the same either way.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

# Long enough for a whole small file or patch; short enough to stop a runaway decode.
LONG_TEXT_MAX_LENGTH = 8000
TEXT_MAX_LENGTH = 1000
ARRAY_MAX_ITEMS = 32
# Parameter-name words that mark free text (file contents, code, patches, prose).
_LONG_TEXT_WORDS = frozenset(
    {
        "content",
        "contents",
        "code",
        "edit",
        "changes",
        "diff",
        "input",
        "string",
        "str",
        "text",
        "rule",
        "result",
        "body",
        "knowledge",
        "response",
        "context",
        "prompt",
        "description",
        "message",
        "comment",
        "patch",
        "explanation",
        "instructions",
        "note",
    }
)


def split_identifier(name: str) -> list[str]:
    """`waitForCompletion` -> [wait, for, completion]; `old_string` -> [old, string]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [word.lower() for word in re.split(r"[^A-Za-z0-9]+", spaced) if word]


def normalize_parameters(parameters: Mapping[str, Any] | None) -> dict[str, Any]:
    """A bounded, canonically ordered copy of an arguments schema (the input is not changed)."""
    schema = copy.deepcopy(dict(parameters or {}))
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    return _normalize(schema, field_name="")


def definitions_version(tools: list[tuple[str, str, Mapping[str, Any]]]) -> str:
    """12 hex digits of sha256 over the (name, description, parameters) triples."""
    canonical = json.dumps(
        [[name, description, parameters] for name, description, parameters in tools],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def integral_floats_to_int(value: Any) -> Any:
    """protobuf Structs hold every number as a double; 1000.0 goes back to 1000."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: integral_floats_to_int(item) for key, item in value.items()}
    if isinstance(value, list):
        return [integral_floats_to_int(item) for item in value]
    return value


def _normalize(schema: dict[str, Any], field_name: str) -> dict[str, Any]:
    types = schema.get("type")
    type_set = set(types) if isinstance(types, list) else {types}
    if "string" in type_set and "maxLength" not in schema and "enum" not in schema:
        schema["maxLength"] = _string_bound(field_name)
    if "array" in type_set:
        schema.setdefault("maxItems", ARRAY_MAX_ITEMS)
        if isinstance(schema.get("items"), dict):
            schema["items"] = _normalize(schema["items"], field_name)
    for union_key in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(union_key), list):
            schema[union_key] = [_normalize(option, field_name) for option in schema[union_key]]
    properties = schema.get("properties")
    if isinstance(properties, dict):
        required = [name for name in schema.get("required") or () if name in properties]
        ordered = required + sorted(name for name in properties if name not in required)
        schema["properties"] = {name: _normalize(properties[name], name) for name in ordered}
        # A call with an argument the tool does not know is wrong; saying so in
        # the schema lets both the validator and the grammar reject it.
        schema.setdefault("additionalProperties", False)
    return schema


def _string_bound(field_name: str) -> int:
    words = set(split_identifier(field_name))
    return LONG_TEXT_MAX_LENGTH if words & _LONG_TEXT_WORDS else TEXT_MAX_LENGTH
