"""A swap's JSONL lines read the same on the direct path as through the proto parser."""

from __future__ import annotations

import json

import pytest
from google.protobuf import json_format

from hybridtools.common.v1 import tools_pb2
from hybridtools.ecosystems.catalog import BUILTIN_ECOSYSTEMS, load_builtin_catalog
from hybridtools.ecosystems.generator import generate_ecosystem_examples
from retrieval_svc.examples_index import from_payload, record_json, to_payload
from retrieval_svc.sources import parse_example_line

# Lines off the direct path (JSON names, enum numbers, quoted or huge numbers,
# nulls, repeated keys) and lines the proto parser rejects.
UNUSUAL_LINES = [
    '{"call":{"name":"a","arguments":{"n":3,"f":3.0,"big":12345678901234567890,'
    '"l":[1,2.0,"x",null,true],"o":{}}},"quality_score":0.123456789}',
    '{"toolName":"x","kind":1,"call":{}}',
    '{"call":{"name":"","arguments":{}}}',
    '{"call":null}',
    '{"quality_score":"0.5"}',
    '{"quality_score":0.9}',
    '{"quality_score":1e39}',
    '{"quality_score":1e400}',
    '{"kind":"EXAMPLE_KIND_UNSPECIFIED","trained_in_adapter":false,"id":""}',
    '{"tool_name":"a","tool_name":"b"}',
    '{"call":{"name":"a","name":"b"}}',
    '{"nope":1}',
    '{"call":{"arguments":{"x":NaN}}}',
    '{"call":{"arguments":{"x":1e400}}}',
    '{"call":{"arguments":{"x":' + "9" * 400 + "}}}",
    '{"call":{"arguments":[]}}',
    '{"request":5}',
    '{"trained_in_adapter":1}',
    '{"kind":"EXAMPLE_KIND_SOMETIMES"}',
    "not json",
]


def through_proto(line: str) -> dict | str:
    try:
        message = json_format.Parse(line, tools_pb2.ToolExample())
        return json_format.MessageToDict(message, preserving_proto_field_name=True)
    except (json_format.ParseError, json_format.SerializeToJsonError) as exc:
        return f"ParseError: {exc}"


def direct(line: str) -> dict | str:
    try:
        return parse_example_line(line)
    except json_format.ParseError as exc:
        return f"ParseError: {exc}"


def generated_lines() -> list[str]:
    lines: list[str] = []
    for ecosystem in BUILTIN_ECOSYSTEMS:
        generated = generate_ecosystem_examples(
            load_builtin_catalog(ecosystem), positives=250, negatives=50, held_out=1
        )
        lines += [json.dumps(record.to_json_dict()) for record in generated.indexed]
    return lines


def test_generated_examples_read_as_the_proto_parser_reads_them() -> None:
    lines = generated_lines()
    assert [direct(line) for line in lines] == [through_proto(line) for line in lines]


@pytest.mark.parametrize("line", UNUSUAL_LINES)
def test_unusual_lines_read_or_fail_as_the_proto_parser_says(line: str) -> None:
    assert direct(line) == through_proto(line)


@pytest.mark.parametrize(
    ("line", "kind"),
    [("[1]", "an array"), ('"x"', "a string"), ("3", "a number"), ("null", "null")],
)
def test_a_line_that_is_no_object_says_so(line: str, kind: str) -> None:
    # The proto parser's words for these, "expected string or bytes-like object", do not
    # say what is wrong with the line.
    assert direct(line) == (
        f"ParseError: each line must be a JSON object (one ToolExample), this one is {kind}"
    )


def test_the_stored_record_round_trips_and_old_layouts_still_read() -> None:
    example = through_proto(generated_lines()[0])
    assert isinstance(example, dict)
    payload = to_payload(example)
    assert json.loads(record_json(payload)) == example
    assert from_payload({**payload, "trained_in_adapter": True}) == {
        **example,
        "trained_in_adapter": True,
    }
    # Versions indexed before the record became one string hold it as an object.
    old = {k: v for k, v in payload.items() if k != "example_json"} | {"example": example}
    assert from_payload(old) == {**example, "trained_in_adapter": False}
