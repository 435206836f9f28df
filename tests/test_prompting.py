"""The prompt layout shared by training and inference."""

from __future__ import annotations

from hybridtools.ecosystems.catalog import load_builtin_catalog
from hybridtools.ecosystems.generator import generate_ecosystem_examples
from hybridtools.ecosystems.training_sets import tool_awareness_samples
from hybridtools.prompting import (
    NO_CALL,
    PLAIN_ASSISTANT,
    TOOL_RULES,
    PromptExample,
    PromptTool,
    build_messages,
    canonical_call_json,
    render_examples_section,
    render_system_message,
    render_tools_section,
)

READ = PromptTool(
    "read_file",
    "Read the full contents of an existing file.",
    {"type": "object", "properties": {"filepath": {"type": "string"}}, "required": ["filepath"]},
)
GREP = PromptTool(
    "grep",
    "ripgrep-backed exact/regex search with rg-style options. Supports many flags and modes.",
    {
        "type": "object",
        "properties": {
            "pattern": {"type": "string"},
            "output_mode": {"type": "string", "enum": ["content", "count"]},
            "paths": {"type": "array", "items": {"type": "string"}},
            "newCode": {
                "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
            },
        },
        "required": ["pattern"],
    },
)


def test_canonical_call_json_keeps_key_order_and_text() -> None:
    text = canonical_call_json("t", {"b": 1, "a": "é"})
    assert text == '{"name": "t", "arguments": {"b": 1, "a": "é"}}'
    assert "\n" not in canonical_call_json("t", {"content": "line 1\nline 2"})


def test_no_tools_and_no_examples_is_a_plain_assistant() -> None:
    assert render_system_message([], []) == PLAIN_ASSISTANT
    messages = build_messages("what is a closure?", [], [])
    assert messages == [
        {"role": "system", "content": PLAIN_ASSISTANT},
        {"role": "user", "content": "what is a closure?"},
    ]


def test_tool_lines_show_names_parameter_types_and_a_short_description() -> None:
    section = render_tools_section([READ, GREP])
    lines = section.splitlines()
    assert lines[0] == "Tools:"
    assert lines[1] == "- read_file(filepath: string) - Read the full contents of an existing file."
    assert lines[2].startswith(
        '- grep(pattern: string, output_mode?: "content"|"count", paths?: string[], '
        "newCode?: string|string[])"
    )
    assert lines[2].endswith("rg-style options.")  # cut at the first sentence


def test_examples_show_calls_and_negatives_with_their_correction() -> None:
    positive = PromptExample("open a.py", "read_file", {"filepath": "a.py"})
    negative = PromptExample(
        "show b.py",
        "read_file",
        {"filepath": "b.py"},
        kind="negative",
        wrong_call_name="read_file",
        wrong_call_arguments={"path": "b.py"},
        error_description="unknown argument 'path'; read_file calls it 'filepath'",
    )
    no_call = PromptExample(
        "what is a mutex?",
        "",
        {},
        kind="negative",
        wrong_call_name="search_web",
        wrong_call_arguments={"query": "mutex"},
        error_description="no tool is needed",
    )
    section = render_examples_section([positive, negative, no_call])
    assert section == (
        "Examples:\n"
        "Request: open a.py\n"
        'Call: {"name": "read_file", "arguments": {"filepath": "a.py"}}\n\n'
        "Request: show b.py\n"
        'Wrong: {"name": "read_file", "arguments": {"path": "b.py"}} - unknown argument \'path\'; '
        "read_file calls it 'filepath'\n"
        'Call: {"name": "read_file", "arguments": {"filepath": "b.py"}}\n\n'
        "Request: what is a mutex?\n"
        'Wrong: {"name": "search_web", "arguments": {"query": "mutex"}} - no tool is needed\n'
        f"Call: {NO_CALL}"
    )


def test_system_message_order_and_history() -> None:
    example = PromptExample("open a.py", "read_file", {"filepath": "a.py"})
    system = render_system_message([READ], [example])
    assert system.startswith(TOOL_RULES)
    assert system.index("Tools:") < system.index("Examples:")
    history = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hi!"}]
    messages = build_messages("open b.py", [READ], [example], history)
    assert [message["role"] for message in messages] == ["system", "user", "assistant", "user"]
    assert messages[-1]["content"] == "open b.py"


def test_a_typical_ide_prompt_stays_compact() -> None:
    # ~300-450 SmolLM2 tokens measured for 3 examples and 4 tool lines; whitespace words and
    # characters are checked here so the test needs no tokenizer.
    catalog = load_builtin_catalog("continue")
    records = [
        r for r in generate_ecosystem_examples(catalog, 200, 0, 0).indexed if len(r.request) < 80
    ]
    examples = [record.to_prompt_example() for record in records[:3]]
    names = list(
        dict.fromkeys([r.tool_name for r in records[:3]] + ["ls", "grep_search", "view_diff"])
    )
    tools = [catalog.tool(name).to_prompt_tool() for name in names[:4]]
    system = render_system_message(tools, examples)
    assert len(TOOL_RULES.split()) < 70
    assert len(system.split()) < 260
    assert len(system) < 1800


def test_training_samples_use_this_layout() -> None:
    sample = tool_awareness_samples(5, seed=3)[0]
    system = sample["messages"][0]["content"]
    assert system.startswith(TOOL_RULES + "\n\nTools:\n- ")
    assert "\n\nExamples:\nRequest: " in system
