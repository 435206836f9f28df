"""Writing, reading and checking tool calls in each ecosystem's format.

The model always answers in one JSON interlingua, {"name", "arguments"}
(`parse_json_call`); the inference service renders that into the
ecosystem's own text (`render_call`), and `parse_call` reads any of them back:

- json: {"name": "read_file", "arguments": {"filepath": "src/a.py"}}
- xml_tags (Cline): <read_file>\\n<path>src/a.py</path>\\n</read_file>; values are raw
  text, booleans true/false, arrays and objects as JSON text.
- tool_codeblock (Continue's fallback for models without native tools):
  ```tool / TOOL_NAME: x / BEGIN_ARG: arg / value / END_ARG / ```
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from hybridtools.ecosystems.catalog import CALL_FORMATS, Catalog, ToolSpec
from hybridtools.prompting import canonical_call_json

# Tags that wrap a model's reasoning in XML-tag ecosystems, never a tool.
_NON_TOOL_TAGS = frozenset({"thinking", "think", "reasoning", "analysis"})
_TAG_NAME = r"[A-Za-z_][A-Za-z0-9_.-]*"
_OPEN_TAG = re.compile(rf"<({_TAG_NAME})>")
# Scanning every "{" of a long reply is quadratic; real replies put the call early.
_MAX_JSON_STARTS = 64


def render_call(call_format: str, name: str, arguments: Mapping[str, Any]) -> str:
    if call_format == "json":
        return canonical_call_json(name, arguments)
    if call_format == "xml_tags":
        return _render_xml(name, arguments)
    if call_format == "tool_codeblock":
        return _render_codeblock(name, arguments)
    raise ValueError(f"call_format must be one of {CALL_FORMATS}, got {call_format!r}")


def parse_call(
    call_format: str, text: str, *, catalog: Catalog | None = None
) -> tuple[str, dict[str, Any]] | None:
    """The (name, arguments) of the first call in `text`, or None when it holds none.

    Text formats carry no types; with `catalog` each value is typed by its
    tool's schema (so "true" becomes True for a boolean and stays "true" for a
    string). Without it xml_tags values stay strings (as Cline reads them) and
    tool_codeblock values are read as JSON when they parse (as Continue does).
    """
    if call_format == "json":
        return parse_json_call(text)
    if call_format == "xml_tags":
        return _parse_xml(text, catalog)
    if call_format == "tool_codeblock":
        return _parse_codeblock(text, catalog)
    raise ValueError(f"call_format must be one of {CALL_FORMATS}, got {call_format!r}")


def parse_json_call(text: str) -> tuple[str, dict[str, Any]] | None:
    """The first {"name": str, "arguments": {...}} object in `text`, prose and fences allowed.

    Also accepts "parameters" for "arguments", arguments given as a JSON string,
    and OpenAI's {"function": {"name", "arguments"}} wrapper.
    """
    decoder = json.JSONDecoder()
    start = text.find("{")
    tries = 0
    while start != -1 and tries < _MAX_JSON_STARTS:
        tries += 1
        try:
            value, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            value = None
        call = _call_from_object(value)
        if call is not None:
            return call
        start = text.find("{", start + 1)
    return None


def validate_call(catalog: Catalog, name: str, arguments: Any) -> list[str]:
    """Problems with a call, in words a person can read; empty when the call is valid."""
    if not catalog.has_tool(name):
        return [f"unknown tool '{name}'"]
    if not isinstance(arguments, Mapping):
        return [f"arguments of '{name}' must be a JSON object"]
    tool = catalog.tool(name)
    errors = sorted(
        tool.validator.iter_errors(dict(arguments)),
        key=lambda error: (list(map(str, error.absolute_path)), error.validator),
    )
    messages: list[str] = []
    for error in errors:
        for message in _describe_error(error):
            if message not in messages:
                messages.append(message)
    return messages


def order_arguments(arguments: Mapping[str, Any], parameters: Mapping[str, Any]) -> dict[str, Any]:
    """`arguments` with keys in the schema's property order, unknown keys last."""
    properties = list((parameters.get("properties") or {}).keys())
    rank = {name: index for index, name in enumerate(properties)}
    return dict(sorted(arguments.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0])))


def value_as_text(value: Any) -> str:
    """A value as text formats write it: strings raw, everything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _call_from_object(value: Any) -> tuple[str, dict[str, Any]] | None:
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("function"), dict) and "name" not in value:
        value = value["function"]
    name = value.get("name")
    if not isinstance(name, str) or not name:
        return None
    arguments = value.get("arguments", value.get("parameters", {}))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError:
            return None
    if not isinstance(arguments, dict):
        return None
    return name, arguments


def _render_xml(name: str, arguments: Mapping[str, Any]) -> str:
    lines = [f"<{name}>"]
    for key, value in arguments.items():
        text = value_as_text(value)
        # Multi-line values sit on their own lines, as Cline's prompts show them.
        if "\n" in text:
            text = f"\n{text}\n"
        lines.append(f"<{key}>{text}</{key}>")
    lines.append(f"</{name}>")
    return "\n".join(lines)


def _parse_xml(text: str, catalog: Catalog | None) -> tuple[str, dict[str, Any]] | None:
    for match in _OPEN_TAG.finditer(text):
        name = match.group(1)
        if name.lower() in _NON_TOOL_TAGS:
            continue
        if catalog is not None and not catalog.has_tool(name):
            continue
        body_end = text.rfind(f"</{name}>")
        if body_end < match.end():
            if catalog is None:
                continue  # without a catalog an unclosed tag is more likely prose
            body_end = len(text)  # a reply cut off before its closing tag
        tool = catalog.tool(name) if catalog is not None else None
        arguments = _parse_xml_parameters(text[match.end() : body_end], tool)
        return name, arguments
    return None


def _parse_xml_parameters(body: str, tool: ToolSpec | None) -> dict[str, Any]:
    arguments: dict[str, Any] = {}
    position = 0
    while True:
        match = _OPEN_TAG.search(body, position)
        if match is None:
            break
        key = match.group(1)
        closing = f"</{key}>"
        # Long text (file contents, diffs) may itself hold tags; it ends at the
        # last closing tag, as Cline's parser does for content.
        schema = tool.properties.get(key, {}) if tool else {}
        if schema.get("maxLength", 0) > 1000:
            end = body.rfind(closing)
        else:
            end = body.find(closing, match.end())
        if end < match.end():
            end = len(body)
        raw = body[match.end() : end]
        if raw.startswith("\n"):
            raw = raw[1:]
        if raw.endswith("\n"):
            raw = raw[:-1]
        arguments[key] = _typed(raw, schema) if tool else raw
        position = end + len(closing)
    return arguments


def _render_codeblock(name: str, arguments: Mapping[str, Any]) -> str:
    lines = ["```tool", f"TOOL_NAME: {name}"]
    for key, value in arguments.items():
        lines.extend([f"BEGIN_ARG: {key}", value_as_text(value), "END_ARG"])
    lines.append("```")
    return "\n".join(lines)


_TOOL_NAME_LINE = re.compile(r"^\s*tool_?name:\s*(\S+)\s*$", re.IGNORECASE | re.MULTILINE)
_BEGIN_ARG_LINE = re.compile(r"^\s*begin_?arg:\s*(.+?)\s*$", re.IGNORECASE)
_END_ARG_LINE = re.compile(r"^\s*end_?arg\s*$", re.IGNORECASE)


def _parse_codeblock(text: str, catalog: Catalog | None) -> tuple[str, dict[str, Any]] | None:
    for match in _TOOL_NAME_LINE.finditer(text):
        name = match.group(1)
        if catalog is not None and not catalog.has_tool(name):
            continue
        tool = catalog.tool(name) if catalog is not None else None
        return name, _parse_codeblock_arguments(text[match.end() :].split("\n")[1:], tool)
    return None


def _parse_codeblock_arguments(lines: list[str], tool: ToolSpec | None) -> dict[str, Any]:
    arguments: dict[str, Any] = {}
    key: str | None = None
    value_lines: list[str] = []
    for line in lines:
        if key is None:
            begin = _BEGIN_ARG_LINE.match(line)
            if begin:
                key, value_lines = begin.group(1), []
            elif line.strip().startswith("```"):
                break
            continue
        if _END_ARG_LINE.match(line):
            raw = "\n".join(value_lines).strip()
            schema = tool.properties.get(key, {}) if tool else None
            arguments[key] = _typed(raw, schema) if schema is not None else _json_or_text(raw)
            key = None
        else:
            value_lines.append(line)
    return arguments


def _typed(raw: str, schema: Mapping[str, Any]) -> Any:
    """A text value typed by its schema; left as text when it does not fit the type."""
    kind = schema.get("type")
    if kind == "string" or (kind is None and "enum" in schema and _all_strings(schema["enum"])):
        return raw
    stripped = raw.strip()
    if kind == "boolean":
        lowered = stripped.lower()
        return {"true": True, "false": False}.get(lowered, raw)
    if kind in ("integer", "number"):
        try:
            number = float(stripped)
        except ValueError:
            return raw
        return int(number) if number.is_integer() and "." not in stripped else number
    return _json_or_text(stripped)


def _json_or_text(raw: str) -> Any:
    stripped = raw.strip()
    try:
        return json.loads(stripped)
    except json.JSONDecodeError:
        return stripped


def _all_strings(values: Any) -> bool:
    return isinstance(values, list) and all(isinstance(value, str) for value in values)


def _describe_error(error: Any) -> list[str]:
    path = _path_text(error.absolute_path)
    prefix = f"{path}." if path else ""
    if error.validator == "required":
        return [
            f"missing required argument '{prefix}{name}'"
            for name in error.validator_value
            if isinstance(error.instance, dict) and name not in error.instance
        ]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set((error.schema.get("properties") or {}).keys())
        extras = [name for name in error.instance if name not in known]
        return [f"unknown argument '{prefix}{name}'" for name in extras]
    label = f"argument '{path}'" if path else "arguments"
    if error.validator == "type":
        expected = error.validator_value
        expected_text = " or ".join(expected) if isinstance(expected, list) else expected
        return [f"{label} should be {expected_text}, got {_json_type(error.instance)}"]
    if error.validator == "enum":
        options = ", ".join(json.dumps(value) for value in error.validator_value)
        return [f"{label} must be one of {options}"]
    if error.validator == "maxLength":
        return [f"{label} is longer than {error.validator_value} characters"]
    if error.validator == "maxItems":
        return [f"{label} has more than {error.validator_value} items"]
    if error.validator == "minItems":
        return [f"{label} needs at least {error.validator_value} items"]
    return [f"{label}: {error.message}"]


def _path_text(path: Any) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"
