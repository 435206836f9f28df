"""Tool catalogs: each ecosystem's tools, their argument schemas and how it writes calls.

The built-in catalogs are data files under `catalogs/`, converted from the
public definitions in shared/reference (each keeps its `source`, and lists the
tools it leaves out and why). A custom ecosystem comes from a list of OpenAI
function definitions. Either way the schemas are normalised (bounded strings
and arrays, canonical property order) and the version is a hash of the
definitions, so changing one tool gives every example a new `tool_version`.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
from google.protobuf import json_format, struct_pb2
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from hybridtools.common.v1 import tools_pb2
from hybridtools.ecosystems.schemas import (
    definitions_version,
    integral_floats_to_int,
    normalize_parameters,
)
from hybridtools.prompting import PromptTool

CALL_FORMATS = ("json", "xml_tags", "tool_codeblock")
BUILTIN_ECOSYSTEMS = ("continue", "cursor", "copilot", "cline")
# The example of a custom ecosystem, shipped beside the built-in ones.
EXAMPLE_CUSTOM_ECOSYSTEM = "ticketing"

_FORMAT_TO_PROTO = {
    "json": tools_pb2.CALL_FORMAT_JSON,
    "xml_tags": tools_pb2.CALL_FORMAT_XML_TAGS,
    "tool_codeblock": tools_pb2.CALL_FORMAT_TOOL_CODEBLOCK,
}
_PROTO_TO_FORMAT = {number: name for name, number in _FORMAT_TO_PROTO.items()}
# Names every provider accepts (OpenAI: ^[a-zA-Z0-9_-]{1,64}$); dots for MCP-style names.
_TOOL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
# Keywords whose values are data, not schemas: a "$ref" inside one refers to nothing.
_DATA_KEYWORDS = frozenset({"const", "default", "enum", "examples"})
# Keywords whose values map names to schemas (a property may be called "default").
_SCHEMA_MAPS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    # JSON Schema of the arguments object, normalised by `normalize_parameters`.
    parameters: dict[str, Any] = field(hash=False)

    @cached_property
    def validator(self) -> jsonschema.protocols.Validator:
        return jsonschema.Draft202012Validator(self.parameters)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(self.parameters.get("required") or ())

    @property
    def properties(self) -> dict[str, Any]:
        return self.parameters.get("properties") or {}

    def to_proto(self) -> tools_pb2.ToolDefinition:
        message = tools_pb2.ToolDefinition(name=self.name, description=self.description)
        message.parameters.update(self.parameters)
        return message

    @classmethod
    def from_proto(cls, message: tools_pb2.ToolDefinition) -> ToolSpec:
        parameters = parameters_from_struct(message.parameters)
        return cls(message.name, message.description, normalize_parameters(parameters))

    def to_prompt_tool(self) -> PromptTool:
        return PromptTool(self.name, self.description, self.parameters)


@dataclass(frozen=True)
class Catalog:
    ecosystem: str
    version: str
    call_format: str  # one of CALL_FORMATS
    tools: tuple[ToolSpec, ...]
    source: str

    def __post_init__(self) -> None:
        if self.call_format not in CALL_FORMATS:
            raise ValueError(f"call_format must be one of {CALL_FORMATS}, got {self.call_format!r}")

    @cached_property
    def _by_name(self) -> dict[str, ToolSpec]:
        return {tool.name: tool for tool in self.tools}

    @property
    def tool_names(self) -> tuple[str, ...]:
        return tuple(tool.name for tool in self.tools)

    def tool(self, name: str) -> ToolSpec:
        """The tool called `name`; KeyError when the catalog has none."""
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"{self.ecosystem} has no tool {name!r}") from None

    def has_tool(self, name: str) -> bool:
        return name in self._by_name

    def to_proto(self) -> tools_pb2.ToolCatalog:
        return tools_pb2.ToolCatalog(
            ecosystem=self.ecosystem,
            version=self.version,
            call_format=_FORMAT_TO_PROTO[self.call_format],
            tools=[tool.to_proto() for tool in self.tools],
            source=self.source,
        )

    @classmethod
    def from_proto(cls, message: tools_pb2.ToolCatalog) -> Catalog:
        call_format = _PROTO_TO_FORMAT.get(message.call_format, "json")
        tools = tuple(ToolSpec.from_proto(tool) for tool in message.tools)
        version = message.version or _version_of(tools)
        return cls(message.ecosystem, version, call_format, tools, message.source)


def parameters_from_struct(parameters: struct_pb2.Struct) -> dict[str, Any]:
    """A ToolDefinition's parameters as JSON (ValueError for a NaN or Infinity in them)."""
    # A Struct's keys come in an order that changes from process to process
    # (upb's map); sorted, every service shows the same schema in its prompts.
    return _sorted_keys(integral_floats_to_int(json_format.MessageToDict(parameters)))


def load_builtin_catalog(name: str) -> Catalog:
    """One of BUILTIN_ECOSYSTEMS (or the shipped custom example, `ticketing`)."""
    if name not in BUILTIN_ECOSYSTEMS and name != EXAMPLE_CUSTOM_ECOSYSTEM:
        known = ", ".join(BUILTIN_ECOSYSTEMS)
        raise ValueError(f"unknown ecosystem {name!r}; built-in ecosystems: {known}")
    return _load_packaged(name)


def builtin_catalog_notes(name: str) -> dict[str, Any]:
    """The catalog file's own metadata: notes, skipped tools, fallback call format."""
    document = json.loads(_packaged_text(name))
    if isinstance(document, list):
        return {}
    return {key: value for key, value in document.items() if key != "tools"}


def load_catalog_file(path: str | Path, ecosystem: str | None = None) -> Catalog:
    """A catalog from a file: this package's catalog format, or OpenAI function definitions.

    OpenAI definitions may be a bare list or `{"tools": [...]}`; the ecosystem is
    then `ecosystem`, else the file's stem.
    """
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON ({exc})") from exc
    return _catalog_from_document(document, ecosystem or path.stem, source=str(path))


def catalog_from_openai_functions(
    ecosystem: str,
    functions: Sequence[Mapping[str, Any]],
    call_format: str = "json",
    version: str | None = None,
    source: str = "custom",
) -> Catalog:
    """A catalog from `{"type": "function", "function": {...}}` or bare `{name, ...}` items.

    Raises ValueError naming the offending item. Strings get `maxLength` and
    arrays `maxItems` where missing; `version` defaults to a hash of the
    definitions.
    """
    if not ecosystem or not isinstance(ecosystem, str):
        raise ValueError("ecosystem must be a non-empty string")
    if isinstance(functions, (str, bytes, Mapping)) or not isinstance(functions, Sequence):
        raise ValueError("functions must be a list of function definitions")
    if not functions:
        raise ValueError("functions is empty: a catalog needs at least one tool")
    tools: list[ToolSpec] = []
    seen: set[str] = set()
    for index, item in enumerate(functions):
        tool = _tool_from_openai(index, item)
        if tool.name in seen:
            raise ValueError(f"function #{index} ({tool.name!r}): duplicate tool name")
        seen.add(tool.name)
        tools.append(tool)
    frozen_tools = tuple(tools)
    return Catalog(
        ecosystem=ecosystem,
        version=version or _version_of(frozen_tools),
        call_format=call_format,
        tools=frozen_tools,
        source=source,
    )


def _tool_from_openai(index: int, item: Any) -> ToolSpec:
    if not isinstance(item, Mapping):
        raise ValueError(f"function #{index}: expected an object, got {type(item).__name__}")
    definition = item.get("function") if item.get("type") == "function" else item
    if not isinstance(definition, Mapping):
        raise ValueError(f"function #{index}: 'function' must be an object")
    name = definition.get("name")
    label = f"function #{index} ({name!r})"
    if not isinstance(name, str) or not _TOOL_NAME.match(name):
        raise ValueError(f"{label}: name must match {_TOOL_NAME.pattern}")
    description = definition.get("description", "")
    if not isinstance(description, str):
        raise ValueError(f"{label}: description must be a string")
    parameters = definition.get("parameters") or {}
    if not isinstance(parameters, Mapping):
        raise ValueError(f"{label}: parameters must be a JSON Schema object")
    if parameters.get("type", "object") != "object":
        raise ValueError(f"{label}: parameters must describe an object (type: object)")
    properties = parameters.get("properties") or {}
    if not isinstance(properties, Mapping):
        raise ValueError(f"{label}: parameters.properties must be an object")
    missing = [name for name in parameters.get("required") or () if name not in properties]
    if missing:
        raise ValueError(f"{label}: required names unknown properties {missing}")
    normalized = normalize_parameters(parameters)
    try:
        jsonschema.Draft202012Validator.check_schema(normalized)
    except jsonschema.SchemaError as exc:
        raise ValueError(f"{label}: invalid JSON Schema ({exc.message})") from exc
    # check_schema leaves references alone; one that points nowhere would fail
    # only when an argument is validated against it, and a remote one would be
    # fetched over the network then.
    reference = _unresolvable_reference(normalized)
    if reference is not None:
        raise ValueError(
            f"{label}: $ref {reference!r} does not resolve within its parameters (only "
            "references into the schema itself, such as '#/$defs/name', are followed)"
        )
    return ToolSpec(name, " ".join(description.split()), normalized)


def _unresolvable_reference(schema: dict[str, Any]) -> str | None:
    """The first $ref or $dynamicRef of `schema` that finds no schema in it, if any."""
    # A registry that holds this schema alone and retrieves nothing.
    resolver = Registry().with_resource("", DRAFT202012.create_resource(schema)).resolver()
    for reference in _references(schema):
        try:
            target = resolver.lookup(reference).contents
        except Unresolvable:
            return reference
        if not isinstance(target, Mapping | bool):  # '#/properties/a/type': a string
            return reference
    return None


def _references(schema: Any) -> Iterator[str]:
    if isinstance(schema, list):
        for item in schema:
            yield from _references(item)
    elif isinstance(schema, Mapping):
        for key, value in schema.items():
            if key in ("$ref", "$dynamicRef"):
                if isinstance(value, str):  # check_schema refuses any other
                    yield value
            elif key in _SCHEMA_MAPS and isinstance(value, Mapping):
                for subschema in value.values():
                    yield from _references(subschema)
            elif key not in _DATA_KEYWORDS:
                yield from _references(value)


def _catalog_from_document(document: Any, ecosystem: str, source: str) -> Catalog:
    if isinstance(document, list):
        return catalog_from_openai_functions(ecosystem, document, source=source)
    if not isinstance(document, Mapping) or not isinstance(document.get("tools"), list):
        raise ValueError(f"{source}: expected a list of functions or an object with 'tools'")
    return catalog_from_openai_functions(
        ecosystem=document.get("ecosystem") or ecosystem,
        functions=document["tools"],
        call_format=document.get("call_format", "json"),
        version=document.get("version"),
        source=document.get("source") or source,
    )


def _version_of(tools: tuple[ToolSpec, ...]) -> str:
    return definitions_version([(tool.name, tool.description, tool.parameters) for tool in tools])


def _packaged_text(name: str) -> str:
    catalogs = resources.files("hybridtools.ecosystems").joinpath("catalogs")
    return catalogs.joinpath(f"{name}.json").read_text(encoding="utf-8")


@functools.cache
def _load_packaged(name: str) -> Catalog:
    return _catalog_from_document(json.loads(_packaged_text(name)), name, source=f"{name}.json")


def _sorted_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value
