"""Call formats: render/parse round trips, lenient parsing, readable validation."""

from __future__ import annotations

import pytest

from hybridtools.ecosystems.calls import (
    CALL_FORMATS,
    parse_call,
    parse_json_call,
    render_call,
    validate_call,
)
from hybridtools.ecosystems.catalog import BUILTIN_ECOSYSTEMS, load_builtin_catalog
from hybridtools.ecosystems.generator import generate_ecosystem_examples


@pytest.fixture(scope="module")
def generated_calls() -> dict[str, list[tuple[str, dict]]]:
    calls = {}
    for name in BUILTIN_ECOSYSTEMS:
        generated = generate_ecosystem_examples(
            load_builtin_catalog(name), positives=300, negatives=0, held_out=0
        )
        calls[name] = [(record.call_name, record.call_arguments) for record in generated.indexed]
    return calls


@pytest.mark.parametrize("ecosystem", BUILTIN_ECOSYSTEMS)
@pytest.mark.parametrize("call_format", CALL_FORMATS)
def test_every_generated_call_round_trips_in_every_format(
    generated_calls: dict[str, list[tuple[str, dict]]], ecosystem: str, call_format: str
) -> None:
    catalog = load_builtin_catalog(ecosystem)
    for name, arguments in generated_calls[ecosystem]:
        text = render_call(call_format, name, arguments)
        assert parse_call(call_format, text, catalog=catalog) == (name, arguments), text


def test_cline_xml_matches_its_documented_shape() -> None:
    text = render_call("xml_tags", "read_file", {"path": "src/main.js"})
    assert text == "<read_file>\n<path>src/main.js</path>\n</read_file>"
    command = render_call(
        "xml_tags", "execute_command", {"command": "npm test", "requires_approval": False}
    )
    assert "<requires_approval>false</requires_approval>" in command


def test_xml_parsing_is_lenient_and_types_values_only_with_a_catalog() -> None:
    catalog = load_builtin_catalog("cline")
    reply = (
        "<thinking>The user wants tests run.</thinking>\nI'll run them.\n"
        "<execute_command>\n<command>pytest -q</command>\n"
        "<requires_approval>false</requires_approval>\n"
        "</execute_command>\nDone."
    )
    assert parse_call("xml_tags", reply, catalog=catalog) == (
        "execute_command",
        {"command": "pytest -q", "requires_approval": False},
    )
    # Without a catalog values stay text, as Cline itself reads them.
    assert parse_call("xml_tags", reply) == (
        "execute_command",
        {"command": "pytest -q", "requires_approval": "false"},
    )
    truncated = "<read_file>\n<path>src/app.py</path>"
    assert parse_call("xml_tags", truncated, catalog=catalog) == (
        "read_file",
        {"path": "src/app.py"},
    )
    assert parse_call("xml_tags", "Sure, closures capture variables.", catalog=catalog) is None


def test_xml_long_text_may_contain_tags() -> None:
    catalog = load_builtin_catalog("cline")
    content = "<template>\n  <div>hi</div>\n</template>\n<content>nested</content>"
    text = render_call("xml_tags", "write_to_file", {"path": "src/App.vue", "content": content})
    assert parse_call("xml_tags", text, catalog=catalog) == (
        "write_to_file",
        {"path": "src/App.vue", "content": content},
    )


def test_continue_tool_codeblock_reads_the_documented_example() -> None:
    example = "```tool\nTOOL_NAME: read_file\nBEGIN_ARG: filepath\nsrc/main.py\nEND_ARG\n```"
    assert render_call("tool_codeblock", "read_file", {"filepath": "src/main.py"}) == example
    assert parse_call("tool_codeblock", "Let me look.\n" + example) == (
        "read_file",
        {"filepath": "src/main.py"},
    )
    flag = "```tool\nTOOL_NAME: ls\nBEGIN_ARG: recursive\ntrue\nEND_ARG\n```"
    assert parse_call("tool_codeblock", flag) == ("ls", {"recursive": True})  # as Continue parses
    assert parse_call("tool_codeblock", "no tool here") is None


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "read_file", "arguments": {"filepath": "a.py"}}',
        'Sure!\n```json\n{"name": "read_file", "arguments": {"filepath": "a.py"}}\n```',
        '{"name": "read_file", "parameters": {"filepath": "a.py"}}',
        '{"name": "read_file", "arguments": "{\\"filepath\\": \\"a.py\\"}"}',
        '{"type": "function", "function": '
        '{"name": "read_file", "arguments": {"filepath": "a.py"}}}',
        'I will call {not json} then {"name": "read_file", "arguments": {"filepath": "a.py"}} ok',
    ],
)
def test_parse_json_call_is_lenient(text: str) -> None:
    assert parse_json_call(text) == ("read_file", {"filepath": "a.py"})


@pytest.mark.parametrize(
    "text",
    [
        "A closure keeps its scope.",
        '{"answer": 42}',
        '{"name": "x", "arguments": [1]}',
        '{"name": ',
        "",
    ],
)
def test_parse_json_call_finds_no_call(text: str) -> None:
    assert parse_json_call(text) is None


def test_validate_call_messages_are_readable() -> None:
    continue_catalog = load_builtin_catalog("continue")
    assert validate_call(continue_catalog, "read_file", {"filepath": "a.py"}) == []
    assert validate_call(continue_catalog, "read", {"filepath": "a.py"}) == ["unknown tool 'read'"]
    assert validate_call(continue_catalog, "read_file", {}) == [
        "missing required argument 'filepath'"
    ]
    assert set(validate_call(continue_catalog, "read_file", {"path": "a.py"})) == {
        "unknown argument 'path'",
        "missing required argument 'filepath'",
    }
    assert validate_call(continue_catalog, "ls", {"recursive": "yes"}) == [
        "argument 'recursive' should be boolean, got string"
    ]
    assert validate_call(continue_catalog, "read_file", "a.py") == [
        "arguments of 'read_file' must be a JSON object"
    ]
    cursor = load_builtin_catalog("cursor")
    assert validate_call(cursor, "grep", {"pattern": "x", "output_mode": "lines"}) == [
        'argument \'output_mode\' must be one of "content", "files_with_matches", "count"'
    ]
    assert validate_call(cursor, "read_file", {"target_file": "a" * 1001}) == [
        "argument 'target_file' is longer than 1000 characters"
    ]
    multi = validate_call(
        continue_catalog, "multi_edit", {"filepath": "a", "edits": [{"old_string": "x"}]}
    )
    assert multi == ["missing required argument 'edits[0].new_string'"]


def test_unknown_call_format_is_an_error() -> None:
    with pytest.raises(ValueError, match="call_format"):
        render_call("yaml", "x", {})
    with pytest.raises(ValueError, match="call_format"):
        parse_call("yaml", "x")
