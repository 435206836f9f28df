"""Where a swap's examples come from, each read and validated whole.

A source is read completely and every example checked before anything is
indexed, so a bad line rejects the whole swap with its line number and the
serving version is never touched.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf import descriptor, json_format

from hybridtools.common.v1 import tools_pb2
from hybridtools.core.errors import (
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    require,
)
from hybridtools.core.files import resolve_file_inside
from hybridtools.ecosystems.calls import render_call, validate_call
from hybridtools.ecosystems.catalog import (
    BUILTIN_ECOSYSTEMS,
    Catalog,
    catalog_from_openai_functions,
    load_builtin_catalog,
    parameters_from_struct,
)
from hybridtools.ecosystems.examples import stable_id

# Errors listed in one rejection; the count of the rest follows.
_MAX_REPORTED_ERRORS = 10
MAX_REQUEST_CHARS = 2000
KINDS = {"EXAMPLE_KIND_POSITIVE": "positive", "EXAMPLE_KIND_NEGATIVE": "negative"}
# What tool definitions get when they ask for 0 (unset) examples of a tool.
DEFAULT_POSITIVES_PER_TOOL = 40
DEFAULT_NEGATIVES_PER_TOOL = 8
# How many examples tool definitions may ask for. The seed's design indexes
# ~10K positives + ~2K negatives per ecosystem (generate_ecosystem_examples'
# defaults), the size whose swap is held to a minute (docs/benchmarks.md).
# Synthesis and embedding grow with the count and hold the ecosystem's lock;
# synthesis is one call that runs to its end even after the client has left
# (embedding stops at its next batch). So a request is kept to that size: all
# its tools together, and one tool to a fifth of the positives and a quarter
# of the negatives.
MAX_POSITIVES_PER_TOOL = 2_000
MAX_NEGATIVES_PER_TOOL = 500
MAX_SYNTHESIZED_POSITIVES = 10_000
MAX_SYNTHESIZED_NEGATIVES = 2_000


@dataclass(frozen=True)
class LoadedSource:
    """Examples as proto-JSON dicts (JSONL field names), all valid, ids set."""

    examples: list[dict[str, Any]]
    catalog: Catalog | None
    description: str


def resolve_import_path(import_dir: Path, relative: str, field: str = "jsonl_path") -> Path:
    """A file inside the import directory; anything that escapes it is refused.

    `field` names the request field the path came from, in the messages.
    """
    if not relative:
        raise InvalidArgumentError(f"{field} is empty")
    return resolve_file_inside(import_dir, relative, field, "the import directory")


def _call_dict(call: dict[str, Any] | None) -> tuple[str, dict[str, Any]] | None:
    if not call or not call.get("name"):
        return None
    arguments = call.get("arguments") or {}
    return str(call["name"]), dict(arguments)


def validate_example(example: dict[str, Any], ecosystem: str, catalog: Catalog | None) -> list[str]:
    """Problems with one example (empty = valid); fills in ids and rendered calls."""
    problems: list[str] = []
    own_ecosystem = example.get("ecosystem", "")
    if own_ecosystem and own_ecosystem != ecosystem:
        problems.append(f"ecosystem is {own_ecosystem!r}, expected {ecosystem!r} or empty")
    example["ecosystem"] = ecosystem
    request = example.get("request", "")
    if not request.strip():
        problems.append("request is empty")
    elif len(request) > MAX_REQUEST_CHARS:
        problems.append(f"request is {len(request)} characters, more than {MAX_REQUEST_CHARS}")
    tool_name = example.get("tool_name", "")
    if not tool_name:
        problems.append("tool_name is empty")
    kind = KINDS.get(example.get("kind", ""))
    if kind is None:
        problems.append("kind must be EXAMPLE_KIND_POSITIVE or EXAMPLE_KIND_NEGATIVE")
    quality = example.get("quality_score", 0.0)
    if not 0.0 <= float(quality) <= 1.0:
        problems.append(f"quality_score {quality} is outside 0..1")
    call = _call_dict(example.get("call"))
    if kind == "positive":
        if call is None:
            problems.append("a positive example needs call.name")
        elif call[0] != tool_name:
            problems.append(f"call.name {call[0]!r} differs from tool_name {tool_name!r}")
    if kind == "negative":
        if _call_dict(example.get("wrong_call")) is None:
            problems.append("a negative example needs wrong_call.name")
        if not example.get("error_description", "").strip():
            problems.append("a negative example needs error_description")
    if call is not None and catalog is not None:
        problems.extend(f"call: {p}" for p in validate_call(catalog, call[0], call[1]))
        if not problems and not example["call"].get("rendered"):
            example["call"]["rendered"] = render_call(catalog.call_format, call[0], call[1])
    if not problems and not example.get("id"):
        wrong = _call_dict(example.get("wrong_call"))
        example["id"] = stable_id(
            ecosystem,
            kind or "",
            request,
            call[0] if call else "",
            call[1] if call else {},
            wrong_call_name=wrong[0] if wrong else "",
            wrong_call_arguments=wrong[1] if wrong else None,
        )
    return problems


def _reject(errors: list[str], total_bad: int, what: str) -> None:
    shown = "; ".join(errors[:_MAX_REPORTED_ERRORS])
    more = (
        f" (and {total_bad - _MAX_REPORTED_ERRORS} more)"
        if total_bad > _MAX_REPORTED_ERRORS
        else ""
    )
    raise InvalidArgumentError(f"{what} rejected, nothing was indexed: {shown}{more}")


def validate_all(
    examples: list[dict[str, Any]], ecosystem: str, catalog: Catalog | None, label: str, what: str
) -> None:
    """Validates every example; raises one error listing the first problems."""
    errors: list[str] = []
    bad = 0
    for number, example in enumerate(examples, start=1):
        problems = validate_example(example, ecosystem, catalog)
        if problems:
            bad += 1
            if len(errors) < _MAX_REPORTED_ERRORS:
                errors.append(f"{label} {number}: {', '.join(problems)}")
    if bad:
        _reject(errors, bad, what)
    if not examples:
        raise InvalidArgumentError(f"{what} holds no examples")


class _NotPlain(Exception):
    """The line needs the proto parser: its form, or its error message."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # The proto parser rejects repeated keys; json.loads would keep the last.
    record = dict(pairs)
    if len(record) != len(pairs):
        raise _NotPlain
    return record


def _struct_value(value: Any) -> Any:
    """A Struct value as the proto round trip returns it: every number a float."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError as exc:
            raise _NotPlain from exc
        if not math.isfinite(number):
            raise _NotPlain
        return number
    if isinstance(value, list):
        return [_struct_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _struct_value(item) for key, item in value.items()}
    raise _NotPlain


def _shortest_float32(value: float) -> float:
    """The float32 field's value as MessageToDict writes it: the fewest digits
    that give the same four bytes (json_format's own rule)."""
    try:
        stored = struct.unpack("<f", struct.pack("<f", value))[0]
    except (OverflowError, struct.error) as exc:
        raise _NotPlain from exc
    if not math.isfinite(stored):
        raise _NotPlain
    for digits in range(6, 10):
        rounded = float(f"{stored:.{digits}g}")
        if struct.unpack("<f", struct.pack("<f", rounded))[0] == stored:
            return rounded
    return stored


def _plain_message(value: Any, message: descriptor.Descriptor) -> dict[str, Any]:
    """`value` as MessageToDict(Parse(value)) would give it, when it is already
    in that form (proto field names, enum names, defaults optional); anything
    else (JSON names, enum numbers, numbers in strings, nulls, repeated or map
    fields) raises _NotPlain and goes through the proto parser."""
    if not isinstance(value, dict):
        raise _NotPlain
    plain: dict[str, Any] = {}
    for key, item in value.items():
        field = message.fields_by_name.get(key)
        if field is None or field.is_repeated:
            raise _NotPlain
        kind = field.type
        if kind == descriptor.FieldDescriptor.TYPE_MESSAGE:
            if field.message_type.full_name == "google.protobuf.Struct":
                if not isinstance(item, dict):
                    raise _NotPlain
                plain[key] = _struct_value(item)
            else:
                plain[key] = _plain_message(item, field.message_type)
        elif kind == descriptor.FieldDescriptor.TYPE_STRING:
            if not isinstance(item, str):
                raise _NotPlain
            if item:
                plain[key] = item
        elif kind == descriptor.FieldDescriptor.TYPE_BOOL:
            if not isinstance(item, bool):
                raise _NotPlain
            if item:
                plain[key] = True
        elif kind == descriptor.FieldDescriptor.TYPE_FLOAT:
            if isinstance(item, bool) or not isinstance(item, int | float):
                raise _NotPlain
            number = _shortest_float32(item)
            if number:
                plain[key] = number
        elif kind == descriptor.FieldDescriptor.TYPE_ENUM:
            enum_value = field.enum_type.values_by_name.get(item) if isinstance(item, str) else None
            if enum_value is None:
                raise _NotPlain
            if enum_value.number:
                plain[key] = item
        else:
            raise _NotPlain
    return plain


_JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number"}


def parse_example_line(line: str) -> dict[str, Any]:
    """One JSONL line as a ToolExample dict (proto field names, defaults left out).

    Lines already in that form, which is what this project writes, take a
    direct path ten times cheaper than the proto parser (~3 s of a 12K swap);
    every other line, valid or not, goes through json_format, so what is
    accepted, how it reads and the error messages are the parser's; only JSON
    that is no object is refused here, as the parser's words for it ("expected
    string or bytes-like object") do not say what is wrong.
    """
    try:
        value = json.loads(line, object_pairs_hook=_unique_keys)
    except (_NotPlain, ValueError, RecursionError):
        return _parsed_by_proto(line)
    if not isinstance(value, dict):
        kind = "null" if value is None else _JSON_KINDS.get(type(value), "true or false")
        raise json_format.ParseError(
            f"each line must be a JSON object (one ToolExample), this one is {kind}"
        )
    try:
        return _plain_message(value, tools_pb2.ToolExample.DESCRIPTOR)
    except (_NotPlain, ValueError, RecursionError):
        return _parsed_by_proto(line)


def _parsed_by_proto(line: str) -> dict[str, Any]:
    message = json_format.Parse(line, tools_pb2.ToolExample())
    try:
        return json_format.MessageToDict(message, preserving_proto_field_name=True)
    except json_format.SerializeToJsonError as exc:  # NaN or Infinity in arguments
        raise json_format.ParseError(str(exc)) from exc


def read_jsonl(path: Path, ecosystem: str, catalog: Catalog | None) -> list[dict[str, Any]]:
    """Every line parsed as a ToolExample and validated; the first bad lines reported."""
    try:
        raw_lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise InvalidArgumentError(f"{path.name} is not UTF-8 text: {exc}") from exc
    except OSError as exc:
        raise FailedPreconditionError(f"cannot read {path.name}: {exc.strerror}") from exc
    examples: list[dict[str, Any]] = []
    errors: list[str] = []
    bad = 0
    for number, line in enumerate(raw_lines, start=1):
        if not line.strip():
            continue
        try:
            example = parse_example_line(line)
        except json_format.ParseError as exc:
            bad += 1
            if len(errors) < _MAX_REPORTED_ERRORS:
                errors.append(f"line {number}: {exc}")
            continue
        problems = validate_example(example, ecosystem, catalog)
        if problems:
            bad += 1
            if len(errors) < _MAX_REPORTED_ERRORS:
                errors.append(f"line {number}: {', '.join(problems)}")
            continue
        examples.append(example)
    if bad:
        _reject(errors, bad, path.name)
    if not examples:
        raise InvalidArgumentError(f"{path.name} holds no examples")
    return examples


def builtin_catalog_or_none(ecosystem: str) -> Catalog | None:
    """The built-in catalog of that name: a new built-in ecosystem needs no catalog sent."""
    return load_builtin_catalog(ecosystem) if ecosystem in BUILTIN_ECOSYSTEMS else None


def builtin_source(name: str, ecosystem: str, seed: int = 0) -> LoadedSource:
    if name not in BUILTIN_ECOSYSTEMS:
        raise NotFoundError(
            f"no built-in catalog {name!r}; built-in: {', '.join(BUILTIN_ECOSYSTEMS)}"
        )
    from hybridtools.ecosystems.generator import generate_ecosystem_examples

    catalog = load_builtin_catalog(name)
    if ecosystem != name:
        catalog = Catalog(
            ecosystem, catalog.version, catalog.call_format, catalog.tools, catalog.source
        )
    generated = generate_ecosystem_examples(catalog, seed=seed)
    examples = [record.to_json_dict() for record in generated.indexed]
    validate_all(examples, ecosystem, catalog, "example", f"built-in catalog {name}")
    return LoadedSource(examples, catalog, f"built-in catalog {name}")


def inline_catalog(message: tools_pb2.ToolCatalog, ecosystem: str, call_format: str) -> Catalog:
    """The catalog a swap sends, held to the checks tool definitions get.

    Its tools go through catalog_from_openai_functions as tool definitions do
    (the name pattern, an object schema that is valid JSON Schema and whose
    references resolve, no name twice), so a schema that would fail later, in
    an example's validation, is refused here with the tool's name. Whatever
    ecosystem the catalog names, it becomes the swap's own: clients send a
    built-in catalog as the template of an ecosystem of theirs (the tests'
    `continue` catalog for "evening", say), as builtin_source renames one.
    """
    require(len(message.tools) > 0, "catalog has no tools; send the ecosystem's tool definitions")
    definitions = []
    for number, tool in enumerate(message.tools, start=1):
        try:
            parameters = parameters_from_struct(tool.parameters)
        except ValueError as exc:  # NaN or Infinity in the schema
            raise InvalidArgumentError(f"catalog tool {number} ({tool.name!r}): {exc}") from exc
        definitions.append(
            {"name": tool.name, "description": tool.description, "parameters": parameters}
        )
    try:
        return catalog_from_openai_functions(
            ecosystem,
            definitions,
            call_format=call_format,
            version=message.version or None,
            source=message.source,
        )
    except ValueError as exc:
        raise InvalidArgumentError(f"catalog rejected: {exc}") from exc
    except RecursionError as exc:
        raise InvalidArgumentError(
            "catalog rejected: a tool's schema is nested too deeply"
        ) from exc


def synthesized_counts(positives_per_tool: int, negatives_per_tool: int) -> tuple[int, int]:
    """The examples per tool that tool definitions ask for (0: the default), within the caps."""
    require(
        0 <= positives_per_tool <= MAX_POSITIVES_PER_TOOL,
        f"tool_definitions.positives_per_tool must be 0..{MAX_POSITIVES_PER_TOOL}, "
        f"got {positives_per_tool} (0 asks for {DEFAULT_POSITIVES_PER_TOOL})",
    )
    require(
        0 <= negatives_per_tool <= MAX_NEGATIVES_PER_TOOL,
        f"tool_definitions.negatives_per_tool must be 0..{MAX_NEGATIVES_PER_TOOL}, "
        f"got {negatives_per_tool} (0 asks for {DEFAULT_NEGATIVES_PER_TOOL})",
    )
    return (
        positives_per_tool or DEFAULT_POSITIVES_PER_TOOL,
        negatives_per_tool or DEFAULT_NEGATIVES_PER_TOOL,
    )


def _require_within_an_ecosystem(tools: int, per_tool: int, kind: str, most: int) -> None:
    require(
        tools * per_tool <= most,
        f"{tools} tools x {per_tool} {kind}_per_tool is {tools * per_tool} {kind}, more than "
        f"the {most} an ecosystem is made for; ask for fewer per tool or split the tools "
        "into several ecosystems",
    )


def tool_definitions_source(
    ecosystem: str,
    functions_json: Sequence[str],
    file_path: Path | None,
    call_format: str,
    positives_per_tool: int,
    negatives_per_tool: int,
    seed: int,
) -> LoadedSource:
    """Examples synthesized from OpenAI function definitions the project never saw."""
    from hybridtools.ecosystems.generator import synthesize_custom_examples

    functions: list[dict[str, Any]] = []
    for number, text in enumerate(functions_json, start=1):
        try:
            functions.append(json.loads(text))
        except (json.JSONDecodeError, RecursionError) as exc:
            raise InvalidArgumentError(
                f"tool definition {number} is not valid JSON: {exc}"
            ) from exc
    if file_path is not None:
        try:
            loaded = json.loads(file_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise InvalidArgumentError(
                f"{file_path.name} is not a JSON array of tool definitions: {exc}"
            ) from exc
        except OSError as exc:
            raise FailedPreconditionError(f"cannot read {file_path.name}: {exc.strerror}") from exc
        if not isinstance(loaded, list):
            raise InvalidArgumentError(
                f"{file_path.name} must hold a JSON array of tool definitions"
            )
        functions.extend(loaded)
    if not functions:
        raise InvalidArgumentError("tool_definitions holds no definitions")
    try:
        catalog = catalog_from_openai_functions(ecosystem, functions, call_format=call_format)
    except ValueError as exc:
        raise InvalidArgumentError(str(exc)) from exc
    except RecursionError as exc:
        raise InvalidArgumentError("a tool definition's schema is nested too deeply") from exc
    # Checked before anything is synthesized; the tools are counted only now
    # that a file's definitions are read.
    tools = len(catalog.tools)
    _require_within_an_ecosystem(tools, positives_per_tool, "positives", MAX_SYNTHESIZED_POSITIVES)
    _require_within_an_ecosystem(tools, negatives_per_tool, "negatives", MAX_SYNTHESIZED_NEGATIVES)
    try:
        records = synthesize_custom_examples(
            catalog,
            positives_per_tool=positives_per_tool,
            negatives_per_tool=negatives_per_tool,
            held_out_per_tool=0,
            seed=seed,
        ).indexed
    except ValueError as exc:
        raise InvalidArgumentError(str(exc)) from exc
    examples = [record.to_json_dict() for record in records]
    validate_all(examples, ecosystem, catalog, "synthesized example", "tool definitions")
    return LoadedSource(examples, catalog, f"{len(catalog.tools)} tool definitions")
