"""Tool catalogs: built-in data, normalisation, proto round trips, custom definitions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from hybridtools.ecosystems.catalog import (
    BUILTIN_ECOSYSTEMS,
    Catalog,
    builtin_catalog_notes,
    catalog_from_openai_functions,
    load_builtin_catalog,
    load_catalog_file,
)
from hybridtools.ecosystems.schemas import LONG_TEXT_MAX_LENGTH, TEXT_MAX_LENGTH

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "shared" / "reference"
ALL_CATALOGS = (*BUILTIN_ECOSYSTEMS, "ticketing")


def _walk(schema: Any) -> list[dict[str, Any]]:
    """Every sub-schema of `schema`."""
    found: list[dict[str, Any]] = []
    if isinstance(schema, dict):
        found.append(schema)
        for key in ("properties",):
            for child in (schema.get(key) or {}).values():
                found += _walk(child)
        if isinstance(schema.get("items"), dict):
            found += _walk(schema["items"])
        for key in ("anyOf", "oneOf", "allOf"):
            for child in schema.get(key) or ():
                found += _walk(child)
    return found


def test_builtin_catalogs_have_their_ecosystems_call_formats() -> None:
    formats = {name: load_builtin_catalog(name).call_format for name in BUILTIN_ECOSYSTEMS}
    assert formats == {"continue": "json", "cursor": "json", "copilot": "json", "cline": "xml_tags"}
    assert builtin_catalog_notes("continue")["fallback_call_format"] == "tool_codeblock"


@pytest.mark.parametrize("name", ALL_CATALOGS)
def test_catalog_is_well_formed(name: str) -> None:
    catalog = load_builtin_catalog(name)
    assert catalog.ecosystem == name
    assert catalog.source and catalog.version
    assert len(set(catalog.tool_names)) == len(catalog.tools) > 0
    for tool in catalog.tools:
        jsonschema.Draft202012Validator.check_schema(tool.parameters)
        assert tool.parameters["type"] == "object"
        assert tool.parameters["additionalProperties"] is False
        for schema in _walk(tool.parameters):
            kinds = schema.get("type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if "string" in kinds and "enum" not in schema:
                assert schema["maxLength"] in (TEXT_MAX_LENGTH, LONG_TEXT_MAX_LENGTH), tool.name
            if "array" in kinds:
                assert "maxItems" in schema, tool.name


def test_skipped_tools_are_listed_and_absent() -> None:
    expected_skips = {
        "continue": {"codebase", "read_file_range", "view_repo_map", "view_subdirectory"},
        "cursor": {"multi_tool_use.parallel"},
        "copilot": {"tool_replay", "edit_files", "memory", "switch_agent"},
    }
    for name, skipped in expected_skips.items():
        notes = builtin_catalog_notes(name)
        listed = {item["name"] for item in notes["skipped"]}
        assert skipped <= listed
        assert all(item["reason"] for item in notes["skipped"])
        assert not skipped & set(load_builtin_catalog(name).tool_names)


@pytest.mark.skipif(not REFERENCE_DIR.is_dir(), reason="shared/reference is not beside the repo")
@pytest.mark.parametrize("name", BUILTIN_ECOSYSTEMS)
def test_every_reference_tool_is_kept_or_skipped_with_its_parameters(name: str) -> None:
    reference = json.loads((REFERENCE_DIR / f"{name}_tools.json").read_text())
    catalog = load_builtin_catalog(name)
    skipped = {item["name"] for item in builtin_catalog_notes(name)["skipped"]}
    for tool in reference["tools"]:
        if tool["name"] in skipped:
            continue
        kept = catalog.tool(tool["name"])
        reference_properties = (tool["parameters"] or {}).get("properties", {})
        assert set(kept.properties) == set(reference_properties), tool["name"]
        assert set(kept.required) == set((tool["parameters"] or {}).get("required", [])), tool[
            "name"
        ]


@pytest.mark.parametrize("name", ALL_CATALOGS)
def test_proto_round_trip_keeps_everything_including_property_order(name: str) -> None:
    catalog = load_builtin_catalog(name)
    again = Catalog.from_proto(catalog.to_proto())
    assert again == catalog
    for original, copy in zip(catalog.tools, again.tools, strict=True):
        assert original.parameters == copy.parameters
        assert list(original.properties) == list(copy.properties)


def test_tool_lookup_errors() -> None:
    catalog = load_builtin_catalog("continue")
    assert catalog.tool("read_file").required == ("filepath",)
    with pytest.raises(KeyError):
        catalog.tool("read")
    with pytest.raises(ValueError, match="continue, cursor, copilot, cline"):
        load_builtin_catalog("vim")


_FUNCTIONS = [
    {
        "type": "function",
        "function": {
            "name": "create_ticket",
            "description": "Open a ticket.",
            "parameters": {
                "type": "object",
                "properties": {
                    "title": {"type": "string"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                },
                "required": ["title"],
            },
        },
    },
    {"name": "ping", "description": "Ping.", "parameters": {"type": "object", "properties": {}}},
]


def test_catalog_from_openai_functions_accepts_both_shapes_and_bounds_schemas() -> None:
    catalog = catalog_from_openai_functions("helpdesk", _FUNCTIONS)
    assert catalog.tool_names == ("create_ticket", "ping")
    assert catalog.call_format == "json" and catalog.source == "custom"
    title = catalog.tool("create_ticket").properties["title"]
    tags = catalog.tool("create_ticket").properties["tags"]
    assert title["maxLength"] == TEXT_MAX_LENGTH
    assert tags["maxItems"] > 0 and tags["items"]["maxLength"] == TEXT_MAX_LENGTH
    assert _FUNCTIONS[0]["function"]["parameters"]["properties"]["title"] == {"type": "string"}


def test_version_is_a_hash_of_the_definitions() -> None:
    first = catalog_from_openai_functions("helpdesk", _FUNCTIONS)
    assert catalog_from_openai_functions("helpdesk", _FUNCTIONS).version == first.version
    changed = json.loads(json.dumps(_FUNCTIONS))
    changed[1]["description"] = "Ping a host."
    assert catalog_from_openai_functions("helpdesk", changed).version != first.version
    assert catalog_from_openai_functions("helpdesk", _FUNCTIONS, version="v7").version == "v7"


@pytest.mark.parametrize(
    ("functions", "message"),
    [
        ([{"name": "ok"}, "nope"], "function #1"),
        ([{"description": "no name"}], "function #0"),
        ([{"name": "bad name!"}], "'bad name!'"),
        ([{"name": "a", "parameters": {"type": "string"}}], "'a'"),
        (
            [{"name": "a", "parameters": {"type": "object", "properties": {}, "required": ["x"]}}],
            "required names unknown properties",
        ),
        ([{"name": "a"}, {"name": "a"}], "duplicate"),
        (
            [{"name": "a", "parameters": {"type": "object", "properties": {"x": {"type": 3}}}}],
            "invalid JSON Schema",
        ),
        ([], "empty"),
    ],
)
def test_bad_definitions_are_rejected_naming_the_item(functions: list[Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("!", "!")):
        catalog_from_openai_functions("broken", functions)


def test_load_catalog_file_reads_openai_lists_and_tool_objects(tmp_path: Path) -> None:
    listed = tmp_path / "helpdesk.json"
    listed.write_text(json.dumps(_FUNCTIONS))
    assert load_catalog_file(listed).ecosystem == "helpdesk"
    wrapped = tmp_path / "other.json"
    wrapped.write_text(
        json.dumps({"ecosystem": "desk", "call_format": "xml_tags", "tools": _FUNCTIONS})
    )
    catalog = load_catalog_file(wrapped)
    assert (catalog.ecosystem, catalog.call_format) == ("desk", "xml_tags")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ValueError, match="not JSON"):
        load_catalog_file(broken)
