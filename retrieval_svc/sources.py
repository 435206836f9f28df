"""Where a swap's examples come from, each read and validated whole.

A source is read completely and every example checked before anything is
indexed, so a bad line rejects the whole swap with its line number and the
serving version is never touched.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf import json_format

from hybridtools.common.v1 import tools_pb2
from hybridtools.core.errors import (
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
)
from hybridtools.ecosystems.calls import render_call, validate_call
from hybridtools.ecosystems.catalog import (
    BUILTIN_ECOSYSTEMS,
    Catalog,
    catalog_from_openai_functions,
    load_builtin_catalog,
)
from hybridtools.ecosystems.examples import stable_id

# Errors listed in one rejection; the count of the rest follows.
_MAX_REPORTED_ERRORS = 10
MAX_REQUEST_CHARS = 2000
KINDS = {"EXAMPLE_KIND_POSITIVE": "positive", "EXAMPLE_KIND_NEGATIVE": "negative"}


@dataclass(frozen=True)
class LoadedSource:
    """Examples as proto-JSON dicts (JSONL field names), all valid, ids set."""

    examples: list[dict[str, Any]]
    catalog: Catalog | None
    description: str


def resolve_import_path(import_dir: Path, relative: str) -> Path:
    """A path inside the import directory; anything that escapes it is refused."""
    if not relative:
        raise InvalidArgumentError("jsonl_path is empty")
    root = import_dir.resolve()
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root):
        raise PermissionDeniedError(
            f"path {relative!r} is outside the import directory {root}; copy the file there first"
        )
    if not candidate.exists():
        raise NotFoundError(f"no file {relative!r} in the import directory {root}")
    if not candidate.is_file():
        raise InvalidArgumentError(f"{relative!r} is not a file")
    return candidate


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
            message = json_format.Parse(line, tools_pb2.ToolExample())
        except json_format.ParseError as exc:
            bad += 1
            if len(errors) < _MAX_REPORTED_ERRORS:
                errors.append(f"line {number}: {exc}")
            continue
        example = json_format.MessageToDict(message, preserving_proto_field_name=True)
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
        except json.JSONDecodeError as exc:
            raise InvalidArgumentError(
                f"tool definition {number} is not valid JSON: {exc}"
            ) from exc
    if file_path is not None:
        try:
            loaded = json.loads(file_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidArgumentError(
                f"{file_path.name} is not a JSON array of tool definitions: {exc}"
            ) from exc
        if not isinstance(loaded, list):
            raise InvalidArgumentError(
                f"{file_path.name} must hold a JSON array of tool definitions"
            )
        functions.extend(loaded)
    if not functions:
        raise InvalidArgumentError("tool_definitions holds no definitions")
    try:
        catalog = catalog_from_openai_functions(ecosystem, functions, call_format=call_format)
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
