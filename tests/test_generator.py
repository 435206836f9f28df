"""The example generator: counts, validity, determinism, held-out disjointness, records."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from google.protobuf import json_format

from hybridtools.cli import main as hybridtools_main
from hybridtools.common.v1 import tools_pb2
from hybridtools.ecosystems.catalog import (
    BUILTIN_ECOSYSTEMS,
    catalog_from_openai_functions,
    load_builtin_catalog,
)
from hybridtools.ecosystems.examples import ToolExampleRecord, stable_id
from hybridtools.ecosystems.generator import (
    GeneratedSet,
    generate_ecosystem_examples,
    no_tool_requests,
    synthesize_custom_examples,
)
from hybridtools.ecosystems.negatives import ERROR_TYPES
from hybridtools.ecosystems.validation import check_disjoint, check_records, check_requests_disjoint


def _jsonl(records: list[ToolExampleRecord]) -> str:
    return "".join(record.to_json_line() + "\n" for record in records)


@pytest.fixture(scope="module")
def full_copilot() -> tuple[GeneratedSet, float]:
    started = time.perf_counter()
    generated = generate_ecosystem_examples(load_builtin_catalog("copilot"))
    return generated, time.perf_counter() - started


def test_full_size_run_has_the_promised_counts_and_is_fast(
    full_copilot: tuple[GeneratedSet, float],
) -> None:
    generated, seconds = full_copilot
    assert generated.counts() == {"positives": 10_000, "negatives": 2_000, "held_out": 200}
    assert seconds < 15  # a few seconds on one free core
    positives = Counter(r.tool_name for r in generated.indexed if r.kind == "positive")
    assert set(positives) == set(generated.catalog.tool_names)  # every tool is covered
    # Spread by how often IDE users need them: reading and running dominate.
    assert positives["read_file"] > positives["get_search_view_results"] * 10
    assert positives["run_in_terminal"] > 1000


def test_full_size_run_is_valid_unique_and_disjoint(
    full_copilot: tuple[GeneratedSet, float],
) -> None:
    generated, _ = full_copilot
    catalog = generated.catalog
    everything = generated.indexed + generated.held_out
    assert check_records(catalog, everything) == []
    assert check_disjoint(generated.indexed, generated.held_out, catalog) == []
    requests = [" ".join(r.request.lower().split()) for r in everything]
    assert len(set(requests)) == len(requests)
    assert {r.error_type for r in generated.indexed if r.kind == "negative"} == set(ERROR_TYPES)


@pytest.mark.parametrize("ecosystem", ["continue", "cursor", "cline"])
def test_each_ecosystem_generates_valid_disjoint_examples(ecosystem: str) -> None:
    catalog = load_builtin_catalog(ecosystem)
    generated = generate_ecosystem_examples(catalog, positives=600, negatives=150, held_out=40)
    assert generated.counts() == {"positives": 600, "negatives": 150, "held_out": 40}
    assert check_records(catalog, generated.indexed + generated.held_out) == []
    assert check_disjoint(generated.indexed, generated.held_out, catalog) == []
    for record in generated.indexed:
        assert record.ecosystem == ecosystem and record.tool_version == catalog.version
        assert record.trained_in_adapter is False and 0 < record.quality_score <= 1
        assert record.usage_pattern and record.tool_name


@pytest.mark.parametrize("ecosystem", ["continue", "cursor"])
def test_code_added_where_the_request_says_or_at_the_end(ecosystem: str) -> None:
    # "append to a.py:" says nothing of a place: the call must not put the code
    # after the imports on a draw the request does not show.
    generated = generate_ecosystem_examples(
        load_builtin_catalog(ecosystem), positives=3000, negatives=0, held_out=300
    )
    sketches = [
        record
        for record in generated.indexed + generated.held_out
        if record.usage_pattern == "add code to a file"
    ]
    unplaced = [record for record in sketches if "after the imports" not in record.request]
    placed = [record for record in sketches if "after the imports" in record.request]
    assert unplaced and placed
    for record in unplaced:
        assert "existing imports" not in json.dumps(record.call_arguments), record.request
    for record in placed:
        assert "existing imports" in json.dumps(record.call_arguments), record.request


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    catalog = load_builtin_catalog("cline")
    first = generate_ecosystem_examples(catalog, 300, 60, 20, seed=5)
    again = generate_ecosystem_examples(catalog, 300, 60, 20, seed=5)
    other = generate_ecosystem_examples(catalog, 300, 60, 20, seed=6)
    assert _jsonl(first.indexed + first.held_out) == _jsonl(again.indexed + again.held_out)
    assert _jsonl(first.indexed) != _jsonl(other.indexed)


def test_same_bytes_in_another_process_with_another_hash_seed() -> None:
    code = (
        "from hybridtools.ecosystems.catalog import load_builtin_catalog\n"
        "from hybridtools.ecosystems.generator import generate_ecosystem_examples\n"
        "g = generate_ecosystem_examples(load_builtin_catalog('continue'), 200, 40, 10, seed=2)\n"
        "import sys\n"
        "sys.stdout.write(''.join(r.to_json_line() + '\\n' for r in g.indexed + g.held_out))\n"
    )
    environment = dict(os.environ, PYTHONHASHSEED="12345", HF_HUB_OFFLINE="1")
    output = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    ).stdout
    here = generate_ecosystem_examples(load_builtin_catalog("continue"), 200, 40, 10, seed=2)
    assert output == _jsonl(here.indexed + here.held_out)


def test_records_round_trip_through_proto_and_jsonl() -> None:
    generated = generate_ecosystem_examples(load_builtin_catalog("cursor"), 150, 60, 0)
    for record in generated.indexed:
        line = json.loads(record.to_json_line())
        message = json_format.ParseDict(line, tools_pb2.ToolExample())
        assert line == json_format.MessageToDict(message, preserving_proto_field_name=True)
        assert record.to_json_dict() == json_format.MessageToDict(
            record.to_proto(), preserving_proto_field_name=True
        )
        assert ToolExampleRecord.from_json_dict(line) == record
        assert ToolExampleRecord.from_proto(record.to_proto()) == record


def test_stable_id_is_deterministic_and_content_derived() -> None:
    first = stable_id("continue", "positive", "open a.py", "read_file", {"filepath": "a.py"})
    assert first == stable_id(
        "continue", "positive", "open a.py", "read_file", {"filepath": "a.py"}
    )
    assert first != stable_id(
        "continue", "negative", "open a.py", "read_file", {"filepath": "a.py"}
    )
    assert first != stable_id("cursor", "positive", "open a.py", "read_file", {"filepath": "a.py"})
    wrong_a = stable_id(
        "c", "negative", "r", "t", {}, wrong_call_name="x", wrong_call_arguments={"a": 1}
    )
    wrong_b = stable_id(
        "c", "negative", "r", "t", {}, wrong_call_name="y", wrong_call_arguments={"a": 1}
    )
    assert wrong_a != wrong_b


def test_no_tool_requests_are_deterministic_and_split() -> None:
    train = no_tool_requests(400, seed=0, held_out=False)
    held = no_tool_requests(150, seed=0, held_out=True)
    assert len(train) == 400 and len(held) == 150
    assert no_tool_requests(150, seed=0, held_out=True) == held
    assert check_requests_disjoint(train, held) == []


VERBS = ("get", "create", "update", "list", "sendMessage")


def _custom_catalog(tool_count: int):
    functions = []
    for index in range(tool_count):
        functions.append(
            {
                "type": "function",
                "function": {
                    "name": f"{VERBS[index % len(VERBS)]}_thing_{index}",
                    "description": f"Does thing number {index}.",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "thing_id": {"type": "string"},
                            "priority": {"type": "string", "enum": ["low", "high"]},
                            "count": {"type": "integer", "minimum": 1, "maximum": 9, "default": 3},
                            "notify": {"type": "boolean", "default": False},
                            "labels": {"type": "array", "items": {"type": "string"}},
                            "dueDate": {"type": "string", "format": "date"},
                        },
                        "required": ["thing_id"] if index % 2 else ["thing_id", "priority"],
                    },
                },
            }
        )
    return catalog_from_openai_functions("things", functions)


def test_custom_catalog_synthesis_is_fast_exact_valid_and_disjoint() -> None:
    catalog = _custom_catalog(20)
    started = time.perf_counter()
    generated = synthesize_custom_examples(catalog, positives_per_tool=50, negatives_per_tool=10)
    assert time.perf_counter() - started < 5
    per_tool = Counter((r.tool_name, r.kind) for r in generated.indexed)
    assert all(per_tool[(name, "positive")] == 50 for name in catalog.tool_names)
    assert sum(r.kind == "negative" for r in generated.indexed) == 200
    assert Counter(r.tool_name for r in generated.held_out) == Counter(
        {name: 5 for name in catalog.tool_names}
    )
    assert check_records(catalog, generated.indexed + generated.held_out) == []
    assert check_disjoint(generated.indexed, generated.held_out, catalog) == []


def test_ticketing_example_and_unknown_ecosystems_get_examples() -> None:
    ticketing = load_builtin_catalog("ticketing")
    generated = synthesize_custom_examples(ticketing, 20, 5, 3)
    assert check_records(ticketing, generated.indexed + generated.held_out) == []
    create = [
        r for r in generated.indexed if r.call_name == "create_ticket" and r.kind == "positive"
    ]
    for record in create:  # values are said in the request, so they can be copied
        assert record.call_arguments["project"] in record.request
        assert record.call_arguments["title"] in record.request
    # generate_ecosystem_examples on a catalog it has no bindings for synthesizes too.
    fallback = generate_ecosystem_examples(ticketing, 80, 20, 8)
    assert fallback.counts() == {"positives": 80, "negatives": 20, "held_out": 8}
    assert check_records(ticketing, fallback.indexed + fallback.held_out) == []


def test_cli_builds_validates_and_lists(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "datasets"
    small = [
        "--positives",
        "60",
        "--negatives",
        "15",
        "--held-out",
        "6",
        "--tool-awareness",
        "30",
        "--tool-awareness-held-out",
        "10",
        "--guardrails",
        "30",
        "--no-tool-held-out",
        "10",
    ]
    assert hybridtools_main(["ecosystems", "build", "--out", str(out), *small]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    expected_files = {
        f"{name}.{part}.jsonl"
        for name in (*BUILTIN_ECOSYSTEMS, "ticketing")
        for part in ("indexed", "held_out")
    }
    expected_files |= {
        "no_tool.held_out.jsonl",
        "tool_awareness.jsonl",
        "guardrails.jsonl",
        "tool_awareness.held_out.jsonl",
    }
    assert set(manifest["files"]) == expected_files
    assert manifest["counts"]["continue"] == {"positives": 60, "negatives": 15, "held_out": 6}
    assert hybridtools_main(["ecosystems", "validate", "--dir", str(out)]) == 0
    assert "all checks passed" in capsys.readouterr().out
    assert hybridtools_main(["ecosystems", "list", "--dir", str(out)]) == 0
    assert "continue.indexed.jsonl" in capsys.readouterr().out
    # A tampered file fails validation.
    with (out / "cline.held_out.jsonl").open("a") as handle:
        handle.write("\n")
    assert hybridtools_main(["ecosystems", "validate", "--dir", str(out)]) == 1
