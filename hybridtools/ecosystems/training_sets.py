"""The generic adapter's chat samples (the seed's Tier 5): tool awareness and guardrails.

Tool awareness teaches "tools exist, a call is JSON with a name and arguments,
follow the examples in the prompt", never one IDE's tools: invented tools whose
tool and parameter names change from sample to sample, 2-3 examples in the
layout of `hybridtools.prompting` (the one the inference service uses), the
right tool among distractors (sometimes only in the tool list), argument
values copied from the request, and requests that need no tool answered in
plain text. Beyond copying spans in order, training samples also teach
reading: flags the request implies in words ("and mark it urgent"; unsaid:
false), old and new values said in either order ("use {new} in place of
{old}"), an optional argument every example sets to one value the request
never says (copied from the examples, left out where none shows it), and
trailing chatter no value takes in. Guardrails teach plain answers when no
tool is needed, refusals or questions for destructive commands, and ordinary
calls for their safe look-alikes.

Every sample is {"messages": [system, user, assistant], "meta": {...}}.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from typing import Any

from hybridtools.ecosystems import shell_commands
from hybridtools.ecosystems.guardrails import DANGEROUS_CASES, SAFE_LOOKALIKES, install_urls
from hybridtools.ecosystems.invented_tools import (
    HELD_OUT_TOOLS,
    TRAIN_TOOLS,
    InventedParam,
    InventedTool,
)
from hybridtools.ecosystems.no_tool import NoToolItem, no_tool_items
from hybridtools.ecosystems.phrasing import phrase, template_split
from hybridtools.ecosystems.splits import Split, rng_for
from hybridtools.prompting import (
    PromptExample,
    PromptTool,
    build_messages,
    canonical_call_json,
)

Sample = dict[str, Any]
# Shares of sample kinds; the probe trained on 85% calls, 15% plain answers.
NO_TOOL_SHARE = 0.15
NEGATIVE_EXAMPLE_SHARE = 0.1
# How many times the right tool appears among the examples: 0 = only in the tool list.
RIGHT_EXAMPLE_COUNTS = (0, 1, 2, 3)
RIGHT_EXAMPLE_WEIGHTS = (10, 50, 30, 10)
# Tools whose values the request implies or orders freely (flags said in
# words, a rename's old and new) are drawn this many times as often: they
# teach reading a request, not copying its spans in order.
READING_TOOL_WEIGHT = 2
# Share of training tool variants with one optional argument that every
# example of the tool sets to the same value the request never says (an
# output format, a result limit): the answer copies it where examples show it
# and leaves it out where none do, as IDE examples carry conventions
# (line ranges, approval flags) no request spells.
CONVENTION_SHARE = 0.25
# Share of training requests that end in chatter no value takes in.
CHATTER_SHARE = 0.15
# Kept apart from the phrasing module's suffixes, held-out ones included, so
# the skill (a value ends where the chatter starts) is taught on other words.
_CHATTER = (
    " if you can",
    " cheers",
    " ty",
    " when possible",
    " for now",
    " today",
    " btw",
    ", no hurry",
    " right away",
    " as before",
    " once more",
    " thx!",
)


@dataclass(frozen=True)
class _Convention:
    names: tuple[str, ...]
    json_type: str
    values: tuple[Any, ...]


_CONVENTIONS = (
    _Convention(("format", "output_format"), "string", ("json", "text", "csv", "markdown")),
    _Convention(("source", "client"), "string", ("assistant", "ide", "chat", "cli")),
    _Convention(("max_results", "top_k"), "integer", (5, 10, 20, 25, 50, 100)),
    _Convention(("dry_run", "preview"), "boolean", (True, False)),
    _Convention(("timeout_seconds", "timeout"), "integer", (10, 30, 60, 120)),
    _Convention(("api_version",), "string", ("v1", "v2", "2024-06-01")),
)
_SHELL_TOOL = InventedTool(
    ("run_shell", "exec_command", "shell_exec", "terminal_run"),
    "Run a shell command in the project folder and return its output.",
    (
        InventedParam(
            "command",
            ("cmd", "command", "script"),
            "string",
            lambda rng, split: shell_commands.command(rng, split).command,
        ),
    ),
    (
        "run {command}",
        "execute {command}",
        "can you run {command}?",
        "start {command}",
        "please run {command}",
    ),
)


@dataclass(frozen=True)
class _Variant:
    """An invented tool with the tool and parameter names this sample uses."""

    tool: InventedTool
    name: str
    parameter_names: dict[str, str]
    # (argument name, JSON type, value) every call of this variant sets.
    conventions: tuple[tuple[str, str, Any], ...] = ()

    def prompt_tool(self) -> PromptTool:
        properties: dict[str, Any] = {}
        for param in self.tool.params:
            schema: dict[str, Any] = {"type": param.json_type}
            if param.enum:
                schema["enum"] = list(param.enum)
            if param.json_type == "array":
                schema["items"] = {"type": "string"}
            properties[self.parameter_names[param.key]] = schema
        for name, json_type, _ in self.conventions:
            properties[name] = {"type": json_type}
        required = [self.parameter_names[p.key] for p in self.tool.params if p.required]
        parameters = {"type": "object", "properties": properties, "required": required}
        return PromptTool(self.name, self.tool.description, parameters)

    def instance(
        self, rng: random.Random, split: Split, avoid_template: str = ""
    ) -> tuple[str, dict[str, Any], str]:
        """(request, arguments, template used): values drawn, then said in the request."""
        templates = _templates(self.tool, split)
        choices = [template for template in templates if template != avoid_template] or list(
            templates
        )
        template = rng.choice(choices)
        values = {param.key: param.make(rng, split) for param in self.tool.params}
        _redraw_equal(rng, split, self.tool, values)
        arguments = {
            self.parameter_names[param.key]: values[param.key]
            for param in self.tool.params
            if "{" + param.key + "}" in template
        }
        arguments.update((name, value) for name, _, value in self.conventions)
        wording = template
        for param in self.tool.params:
            if param.said is not None:
                slot = "{" + param.key + "}"
                wording = _tidy(wording.replace(slot, param.said(rng, values.pop(param.key))))
        text_values = {key: _as_text(value) for key, value in values.items()}
        request = phrase(rng, wording, text_values, split=split, ask=wording.endswith("?")).text
        return request, arguments, template

    def convention_names(self) -> set[str]:
        return {name for name, _, _ in self.conventions}


def tool_awareness_samples(n: int = 1000, seed: int = 0) -> list[Sample]:
    """`n` IDE-neutral samples on invented tools, for training."""
    return _awareness_samples(n, seed, TRAIN_TOOLS, "train")


def held_out_tool_awareness(n: int = 200, seed: int = 0) -> list[Sample]:
    """`n` samples on invented tools never used in training, with held-out values,
    phrasings and no-tool requests; the assistant turn is the reference answer."""
    return _awareness_samples(n, seed, HELD_OUT_TOOLS, "held_out")


def guardrail_samples(n: int = 1000, seed: int = 0) -> list[Sample]:
    """`n` samples: plain answers (45%), refusals (20%), questions before risky commands
    (20%) and ordinary calls for safe look-alikes (15%)."""
    rng = rng_for(seed, "guardrails")
    answers = iter(no_tool_items(n, seed + 1, "train"))
    samples: list[Sample] = []
    seen: set[str] = set()
    while len(samples) < n:
        shell = _variant(rng, _SHELL_TOOL)
        others = [_variant(rng, tool) for tool in rng.sample(TRAIN_TOOLS, rng.randint(1, 2))]
        tools = [shell, *others]
        examples = [_example(rng, variant, "train") for variant in tools]
        rng.shuffle(examples)
        rng.shuffle(tools)
        roll = rng.random()
        if roll < 0.45:
            item = next(answers, None) or _fallback_item(rng, seed)
            request, answer, meta = (
                item.request,
                item.answer,
                {"kind": "no_tool", "category": item.category},
            )
        elif roll < 0.85:
            request, answer, meta = _dangerous(rng, "refuse" if roll < 0.65 else "confirm")
        else:
            request, answer, meta = _safe_lookalike(rng, shell)
        sample = _sample(request, tools, examples, answer, meta | {"split": "train"})
        key = json.dumps(sample["messages"], sort_keys=True)
        if key not in seen:
            seen.add(key)
            samples.append(sample)
    return samples


def _awareness_samples(
    n: int, seed: int, tools: tuple[InventedTool, ...], split: Split
) -> list[Sample]:
    rng = rng_for(seed, "tool_awareness", split)
    no_tool_pool = no_tool_items(max(10, round(n * NO_TOOL_SHARE * 1.5)), seed, split)
    next_plain = 0
    samples: list[Sample] = []
    seen: set[str] = set()
    teaching = split == "train"
    while len(samples) < n:
        target_tool, *distractor_tools = _draw_tools(rng, tools, 4, weighted=teaching)
        target = _variant(rng, target_tool, conventions=teaching)
        distractors = [_variant(rng, tool, conventions=teaching) for tool in distractor_tools]
        if rng.random() < NO_TOOL_SHARE and next_plain < len(no_tool_pool):
            item = no_tool_pool[next_plain]
            next_plain += 1
            sample = _plain_sample(rng, item, [target, *distractors], split)
        else:
            sample = _call_sample(rng, target, distractors, split)
        if sample["messages"][1]["content"] not in seen:
            seen.add(sample["messages"][1]["content"])
            samples.append(sample)
    return samples


def _call_sample(
    rng: random.Random, target: _Variant, distractors: list[_Variant], split: Split
) -> Sample:
    request, arguments, template = target.instance(rng, split)
    if split == "train" and rng.random() < CHATTER_SHARE:
        request += rng.choice(_CHATTER)
    right_count = rng.choices(RIGHT_EXAMPLE_COUNTS, RIGHT_EXAMPLE_WEIGHTS)[0]
    if not right_count:  # no example shows the convention: nothing to copy it from
        arguments = {k: v for k, v in arguments.items() if k not in target.convention_names()}
    total = max(right_count, rng.randint(2, 3))
    examples = [_example(rng, target, split, avoid_template=template) for _ in range(right_count)]
    used = distractors[: total - right_count]
    examples += [_example(rng, other, split) for other in used]
    negative = False
    if right_count and rng.random() < NEGATIVE_EXAMPLE_SHARE:
        examples[0], negative = _as_negative(rng, target, examples[0])
    rng.shuffle(examples)
    tools = [target, *used]
    if len(tools) < 3 and len(distractors) > len(used):
        tools.append(distractors[len(used)])  # a tool line with no example: read, don't match
    rng.shuffle(tools)
    meta = {
        "kind": "call",
        "tool": target.name,
        "right_examples": right_count,
        "negative_example": negative,
        "convention": bool(right_count and target.conventions),
        "split": split,
        "expected_call": {"name": target.name, "arguments": arguments},
    }
    return _sample(request, tools, examples, canonical_call_json(target.name, arguments), meta)


def _plain_sample(
    rng: random.Random, item: NoToolItem, variants: list[_Variant], split: Split
) -> Sample:
    shown = variants[: rng.randint(2, 3)]
    examples = [_example(rng, variant, split) for variant in shown]
    meta = {"kind": "no_tool", "category": item.category, "split": split, "expected_call": None}
    return _sample(item.request, shown, examples, item.answer, meta)


def _sample(
    request: str, tools: list[_Variant], examples: list[PromptExample], answer: str, meta: dict
) -> Sample:
    messages = build_messages(request, [tool.prompt_tool() for tool in tools], examples)
    messages.append({"role": "assistant", "content": answer})
    return {"messages": messages, "meta": meta}


def _example(
    rng: random.Random, variant: _Variant, split: Split, avoid_template: str = ""
) -> PromptExample:
    request, arguments, _ = variant.instance(rng, split, avoid_template)
    return PromptExample(request, variant.name, arguments)


def _as_negative(
    rng: random.Random, target: _Variant, example: PromptExample
) -> tuple[PromptExample, bool]:
    """The example shown as a wrong call (another name variant of one argument) with its fix."""
    for param in rng.sample(target.tool.params, len(target.tool.params)):
        used = target.parameter_names[param.key]
        others = [name for name in param.names if name != used]
        if others and used in example.call_arguments:
            wrong_name = rng.choice(others)
            wrong = {
                (wrong_name if key == used else key): value
                for key, value in example.call_arguments.items()
            }
            return PromptExample(
                example.request,
                example.call_name,
                example.call_arguments,
                kind="negative",
                wrong_call_name=example.call_name,
                wrong_call_arguments=wrong,
                error_description=f"unknown argument '{wrong_name}'; use '{used}'",
            ), True
    return example, False


def _variant(rng: random.Random, tool: InventedTool, conventions: bool = False) -> _Variant:
    names = {param.key: rng.choice(param.names) for param in tool.params}
    name = rng.choice(tool.names)
    if not conventions or rng.random() >= CONVENTION_SHARE:
        return _Variant(tool, name, names)
    taken = set(names.values())
    convention = rng.choice([c for c in _CONVENTIONS if not taken & set(c.names)])
    chosen = (rng.choice(convention.names), convention.json_type, rng.choice(convention.values))
    return _Variant(tool, name, names, (chosen,))


def _draw_tools(
    rng: random.Random, tools: tuple[InventedTool, ...], count: int, weighted: bool
) -> list[InventedTool]:
    """`count` different tools; with `weighted`, reading tools come up more often."""
    if not weighted:
        return rng.sample(tools, count)
    weights = [READING_TOOL_WEIGHT if _teaches_reading(tool) else 1 for tool in tools]
    chosen: list[InventedTool] = []
    while len(chosen) < count:
        tool = rng.choices(tools, weights)[0]
        if tool not in chosen:
            chosen.append(tool)
    return chosen


def _teaches_reading(tool: InventedTool) -> bool:
    return bool(tool.distinct) or any(param.said is not None for param in tool.params)


def _redraw_equal(
    rng: random.Random, split: Split, tool: InventedTool, values: dict[str, Any]
) -> None:
    """Draws the tool's `distinct` values again until they differ (a rename to itself)."""
    if not tool.distinct:
        return
    first, *others = tool.distinct
    for key in others:
        for _ in range(20):
            if values[key] != values[first]:
                break
            values[key] = next(p for p in tool.params if p.key == key).make(rng, split)


def _tidy(wording: str) -> str:
    """A template with a slot said as nothing: no double spaces or orphaned commas."""
    wording = re.sub(r" {2,}", " ", wording).strip()
    wording = re.sub(r" ([?,.:!])", r"\1", wording)
    return re.sub(r",(\?|$)", r"\1", wording)


def _dangerous(rng: random.Random, kind: str) -> tuple[str, str, dict]:
    case = rng.choice([case for case in DANGEROUS_CASES if case.kind == kind])
    url = rng.choice(install_urls())
    template = rng.choice(case.requests)
    # Commands hold braces of their own (the fork bomb); only {url} is a slot.
    escaped = template.replace("{url}", "\0").replace("{", "{{").replace("}", "}}")
    escaped = escaped.replace("\0", "{url}")
    request = phrase(rng, escaped, {"url": url}, split="train", ask=True).text
    answer = case.answer.replace("{url}", url)
    return request, answer, {"kind": f"dangerous_{kind}"}


def _safe_lookalike(rng: random.Random, shell: _Variant) -> tuple[str, str, dict]:
    request_template, command_template = rng.choice(SAFE_LOOKALIKES)
    url = rng.choice(install_urls())
    request = request_template.format(url=url)
    command = command_template.format(url=url)
    arguments = {shell.parameter_names["command"]: command}
    meta = {"kind": "safe_command", "expected_call": {"name": shell.name, "arguments": arguments}}
    return request, canonical_call_json(shell.name, arguments), meta


def _fallback_item(rng: random.Random, seed: int) -> NoToolItem:
    return rng.choice(no_tool_items(50, seed + 2, "train"))


def _templates(tool: InventedTool, split: Split) -> tuple[str, ...]:
    # Held-out tools are unseen as a whole: all their phrasings serve evaluation.
    if tool in HELD_OUT_TOOLS:
        return tool.templates
    return template_split(tool.templates)[split]


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)
