"""The prompt layout: the one function that turns tools + retrieved examples into chat messages.

The generic adapter is trained on prompts built here and the inference service
builds its prompts here too: a model trained on one layout and served another
loses most of what it learnt (the probe in shared/notes saw 0/20 without the
layout it was trained on), so nothing else may format these prompts.

The layout, after the probe that showed it can work on SmolLM2-135M:

    <rules: reply with one JSON object {"name", "arguments"}; names as shown;
     copy values from the request; plain text when no tool fits; ask first
     before destructive commands>

    Tools:
    - read_file(filepath: string) - Read the full contents of an existing file.

    Examples:
    Request: show me src/app.py
    Call: {"name": "read_file", "arguments": {"filepath": "src/app.py"}}

then the user's request as its own turn. The tool lines answer the probe's
first failure (the model followed whichever tool dominated the examples): the
candidates' names, parameters and one-line descriptions are in front of it.

The model always answers in this JSON interlingua, whatever the ecosystem; the
inference service renders the call into the ecosystem's own format.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Kept short on purpose: every token here is paid on every request, and a
# 135M model follows three plain rules better than a page of them.
TOOL_RULES = (
    "You are a coding assistant that can call tools. To call one, reply with only a JSON "
    'object {"name": ..., "arguments": {...}}. Use tool and argument names exactly as shown; '
    "copy argument values from the request. If no tool fits or none is needed, answer in "
    "plain text. Ask before any command that destroys data or pipes a download into a shell."
)
# The no-tool path: no tools, no examples, an ordinary assistant.
PLAIN_ASSISTANT = (
    "You are a helpful coding assistant. Answer in plain text, briefly and accurately. "
    "Ask before suggesting anything that destroys data."
)
# Tool lines stay one line each; longer descriptions are cut at a sentence or a word.
MAX_DESCRIPTION_CHARS = 72
# A tool with more parameters than this shows the required ones and the first optional ones.
MAX_PARAMETERS_SHOWN = 8
NO_CALL = "none (answer in plain text)"


@dataclass(frozen=True)
class PromptTool:
    """A tool as the prompt shows it."""

    name: str
    description: str
    parameters: Mapping[str, Any]  # JSON Schema of the arguments object


@dataclass(frozen=True)
class PromptExample:
    """One retrieved example. A negative shows the wrong call, why, and the correction."""

    request: str
    call_name: str  # "" when the right answer is no call at all
    call_arguments: Mapping[str, Any]
    kind: str = "positive"
    wrong_call_name: str = ""
    wrong_call_arguments: Mapping[str, Any] | None = None
    error_description: str = ""


def canonical_call_json(name: str, arguments: Mapping[str, Any]) -> str:
    """The call as the model writes it: one line, keys in the order given, UTF-8 kept."""
    return json.dumps({"name": name, "arguments": dict(arguments)}, ensure_ascii=False)


def render_tools_section(tools: Sequence[PromptTool]) -> str:
    if not tools:
        return ""
    return "Tools:\n" + "\n".join(_tool_line(tool) for tool in tools)


def render_examples_section(examples: Sequence[PromptExample]) -> str:
    if not examples:
        return ""
    return "Examples:\n" + "\n\n".join(_example_block(example) for example in examples)


def render_system_message(tools: Sequence[PromptTool], examples: Sequence[PromptExample]) -> str:
    if not tools and not examples:
        return PLAIN_ASSISTANT
    sections = [TOOL_RULES, render_tools_section(tools), render_examples_section(examples)]
    return "\n\n".join(section for section in sections if section)


def build_messages(
    request: str,
    tools: Sequence[PromptTool],
    examples: Sequence[PromptExample],
    history: Iterable[Mapping[str, str]] = (),
) -> list[dict[str, str]]:
    """System message, then earlier turns as given, then the user's request."""
    messages = [{"role": "system", "content": render_system_message(tools, examples)}]
    messages.extend({"role": turn["role"], "content": turn["content"]} for turn in history)
    messages.append({"role": "user", "content": request})
    return messages


def _example_block(example: PromptExample) -> str:
    lines = [f"Request: {example.request}"]
    if example.kind == "negative" and example.wrong_call_name:
        wrong = canonical_call_json(example.wrong_call_name, example.wrong_call_arguments or {})
        reason = f" - {example.error_description}" if example.error_description else ""
        lines.append(f"Wrong: {wrong}{reason}")
    if example.call_name:
        lines.append(f"Call: {canonical_call_json(example.call_name, example.call_arguments)}")
    else:
        lines.append(f"Call: {NO_CALL}")
    return "\n".join(lines)


def _tool_line(tool: PromptTool) -> str:
    parameters = _parameter_list(tool.parameters)
    description = _one_line(tool.description)
    return f"- {tool.name}({parameters})" + (f" - {description}" if description else "")


def _parameter_list(schema: Mapping[str, Any]) -> str:
    properties: Mapping[str, Any] = schema.get("properties") or {}
    required = [name for name in schema.get("required") or () if name in properties]
    optional = [name for name in properties if name not in required]
    shown = required + optional[: max(0, MAX_PARAMETERS_SHOWN - len(required))]
    parts = [
        f"{name}{'' if name in required else '?'}: {schema_type_text(properties[name])}"
        for name in shown
    ]
    if len(shown) < len(properties):
        parts.append("...")
    return ", ".join(parts)


def schema_type_text(schema: Mapping[str, Any]) -> str:
    """A TypeScript-like type: string, integer, boolean, "a"|"b", string[], object."""
    if "enum" in schema:
        return "|".join(json.dumps(value, ensure_ascii=False) for value in schema["enum"])
    for union_key in ("anyOf", "oneOf"):
        if union_key in schema:
            return "|".join(schema_type_text(option) for option in schema[union_key])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        return "|".join(str(part) for part in kind)
    if kind == "array":
        items = schema.get("items") or {}
        item_text = schema_type_text(items) if isinstance(items, Mapping) else "any"
        return f"({item_text})[]" if "|" in item_text else f"{item_text}[]"
    return str(kind)


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= MAX_DESCRIPTION_CHARS:
        return text
    sentence_end = text.find(". ", 0, MAX_DESCRIPTION_CHARS)
    if sentence_end > 20:
        return text[: sentence_end + 1]
    return text[:MAX_DESCRIPTION_CHARS].rsplit(" ", 1)[0] + "..."
