"""bench/claims: its scoring without services, and the reduced run end to end.

The reduced run is what CI runs to keep the bench working: the three services
as separate processes, a few dozen examples indexed per ecosystem, one tool
request and one no-tool request per ecosystem and condition, two training
steps for the old approach's adapter, then the report from the JSON alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.claims.analysis import (
    Loaded,
    TargetCheck,
    claim_d,
    injection,
    load,
    missed_only_on_prose,
    old_approach_check,
    retrain_estimate,
    target_checks,
    verdicts,
    why_missed,
)
from bench.claims.datasets import build_ecosystem_data, old_approach_samples
from bench.claims.metrics import (
    AnswerRecord,
    RequestEvidence,
    evidence_summary,
    miss_cause,
    normalise_value,
    ordered_like,
    recall_at_k,
    required_arguments_match,
    summarise,
    values_match,
    wilson_interval,
)
from hybridtools.ecosystems.calls import parse_json_call

# -- scoring -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ('"src/app.py"', "src/app.py"),
        ("'src/app.py'", "src/app.py"),
        ("`npm test`", "npm test"),
        ("./src/app.py", "src/app.py"),
        ("././src", "src"),
        ("src\\utils\\io.py", "src/utils/io.py"),
        ("  src/app.py \n", "src/app.py"),
        ("npm   run  build", "npm run build"),
        ("docs/", "docs"),
        ("/", "/"),
        ("'./docs/'", "docs"),
        ("Header.tsx", "Header.tsx"),  # case is kept: paths are case-sensitive
    ],
)
def test_normalise_text(raw: str, normalised: str) -> None:
    assert normalise_value(raw) == normalised


def test_normalise_other_values() -> None:
    assert normalise_value(3.0) == 3 and isinstance(normalise_value(3.0), int)
    assert normalise_value(True) is True
    assert normalise_value(["./a", "'b'"]) == ["a", "b"]
    assert normalise_value({"path": "./x/"}) == {"path": "x"}


@pytest.mark.parametrize(
    ("expected", "actual", "match"),
    [
        ("src/app.py", "./src/app.py", True),
        ("src/app.py", '"src/app.py"', True),
        ("src/app.py", "src/App.py", False),
        ("src/app.py", "src/app.ts", False),
        (14, 14.0, True),
        (14, "14", True),
        (True, "true", True),
        (True, 1, False),
        (False, True, False),
        (["staged"], ["staged"], True),
        (["staged"], "staged", False),
        ("npm run build", "npm run  build", True),
        ("cargo build --release", "docker build --release", False),
    ],
)
def test_values_match(expected: object, actual: object, match: bool) -> None:
    assert values_match(expected, actual) is match


def test_only_required_arguments_count() -> None:
    required = ("filepath",)
    expected = {"filepath": "src/a.py", "recursive": True}
    ok, wrong = required_arguments_match(required, expected, {"filepath": "./src/a.py"})
    assert ok and wrong == []
    ok, wrong = required_arguments_match(required, expected, {"filepath": "src/b.py"})
    assert not ok and wrong == ["filepath"]
    ok, wrong = required_arguments_match(required, expected, {"path": "src/a.py"})
    assert not ok and wrong == ["filepath"]
    # No required arguments: the right tool is enough.
    assert required_arguments_match((), expected, {})[0]


def test_a_call_lists_its_arguments_in_the_expected_calls_order() -> None:
    expected = {"filepath": "a.py", "old_string": "x", "new_string": "y"}
    got = {"zeta": 1, "new_string": "x", "alpha": 2, "filepath": "a.py", "old_string": "y"}
    assert list(ordered_like(expected, got)) == [
        "filepath",
        "old_string",
        "new_string",
        "alpha",
        "zeta",
    ]
    assert ordered_like({}, got) == dict(sorted(got.items()))


def test_every_argument_right_counts_optional_ones_and_nothing_extra() -> None:
    lines = {"path": "a.cpp", "start_line": 333, "end_line": 353}
    reads = {
        "expected_name": "read_file",
        "expected_arguments": lines,
        "required": ["path"],
        "called": True,
        "name": "read_file",
    }
    half = _record(**reads, arguments={"path": "a.cpp", "end_line": 353})
    assert half.right_arguments and not half.every_argument_right  # read from line 1
    assert _record(**reads, arguments={**lines, "path": "./a.cpp"}).every_argument_right
    extra = _record(**reads, arguments={**lines, "recursive": True})
    assert extra.right_arguments and not extra.every_argument_right
    assert not _record(**{**reads, "name": "list_files"}, arguments=lines).every_argument_right


def _record(**fields: object) -> AnswerRecord:
    base: dict[str, object] = {
        "condition": 5,
        "ecosystem": "continue",
        "index": 0,
        "kind": "tool",
        "request": "open src/a.py",
        "expected_name": "read_file",
        "expected_arguments": {"filepath": "src/a.py"},
        "required": ["filepath"],
        "detected": True,
    }
    base.update(fields)
    return AnswerRecord(**base).score()  # type: ignore[arg-type]


def test_scoring_and_causes() -> None:
    right = _record(called=True, name="read_file", arguments={"filepath": "./src/a.py"}, valid=True)
    assert right.right_tool and right.right_arguments
    wrong_value = _record(called=True, name="read_file", arguments={"filepath": "a.py"}, valid=True)
    assert wrong_value.right_tool and not wrong_value.right_arguments
    assert wrong_value.wrong_arguments == ["filepath"]
    wrong_tool = _record(called=True, name="ls", arguments={}, valid=True)
    assert not wrong_tool.right_tool and not wrong_tool.right_arguments
    undetected = _record(detected=False)
    spurious = _record(kind="no_tool", expected_name="", called=True, name="ls")
    quiet = _record(kind="no_tool", expected_name="")
    offered = RequestEvidence(True, ("read_file", "ls"))
    not_offered = RequestEvidence(True, ("ls", "grep_search"))
    assert miss_cause(right, offered) == ""
    assert miss_cause(wrong_value, offered) == "model"
    assert miss_cause(wrong_tool, offered) == "model"
    assert miss_cause(wrong_tool, not_offered) == "retrieval"
    assert miss_cause(undetected, offered) == "detection"
    assert miss_cause(spurious, None) == "detection"
    assert miss_cause(quiet, None) == ""

    summary = summarise([right, wrong_value, wrong_tool, undetected, spurious, quiet])
    assert (summary.tool_requests, summary.no_tool_requests) == (4, 2)
    assert (summary.right_tool, summary.right_arguments) == (2, 1)
    assert summary.calls == 3 and summary.calls_made == 4 and summary.valid_calls == 3
    assert summary.spurious_rate == 0.5
    assert summary.causes["detection"] == 2


def test_a_miss_only_on_a_prose_explanation_is_told_apart() -> None:
    expected = {"command": "git diff --stat", "explanation": "Summarise the changes"}
    required = ["command", "explanation"]

    def answered(**arguments: str) -> AnswerRecord:
        return _record(
            expected_name="run",
            expected_arguments=expected,
            required=required,
            called=True,
            name="run",
            arguments=arguments,
            valid=True,
        )

    prose = answered(command="git diff --stat", explanation="diff --stat")
    assert not prose.right_arguments and missed_only_on_prose(prose)
    both = answered(command="git diff", explanation="diff --stat")
    assert not missed_only_on_prose(both)
    assert not missed_only_on_prose(answered(**expected))  # no miss at all


def test_the_model_is_not_blamed_for_a_tool_it_was_not_offered() -> None:
    not_offered = _record(index=0, called=True, name="ls", arguments={}, valid=True)
    chose_wrong = _record(index=1, called=True, name="grep", arguments={}, valid=True)
    loaded = Loaded(
        {"retrieval": {}},
        [not_offered, chose_wrong],
        {
            ("continue", 0): RequestEvidence(True, ("ls",)),
            ("continue", 1): RequestEvidence(True, ("read_file", "grep")),
        },
    )
    check = TargetCheck("continue", {}, {}, {})

    lines = why_missed(loaded, check)
    assert lines[0] == "2 of 2 tool requests missed: retrieval 1, model 1."
    assert any(line.startswith("The model: 1 picked another offered tool.") for line in lines)


def test_twenty_points_below_is_clearly_below_however_the_rates_round() -> None:
    def answers(condition: int, ecosystem: str, right: int) -> list[AnswerRecord]:
        return [
            _record(
                condition=condition,
                ecosystem=ecosystem,
                index=index,
                called=True,
                name="read_file" if index < right else "ls",
                arguments={"filepath": "src/a.py"},
                valid=True,
            )
            for index in range(20)
        ]

    records = [
        *answers(5, "cursor", 14),
        *answers(6, "cursor", 10),  # 70% - 50%: 0.19999999999999996 in floats
        *answers(5, "cline", 19),
        *answers(6, "cline", 16),  # 15 points
    ]
    loaded = Loaded({"datasets": {"cursor": {}, "cline": {}}}, records, {})
    below = {row["ecosystem"]: row["clearly_below"] for row in old_approach_check(loaded)}
    assert below == {"cursor": True, "cline": False}


def test_the_prefill_part_of_the_injection_is_unknown_in_older_results() -> None:
    def answers(condition: int, first_token_ms: float | None) -> list[AnswerRecord]:
        timings = {"generate_ms": 900.0 + condition * 100}
        if first_token_ms is not None:
            timings["first_token_ms"] = first_token_ms
        return [
            _record(
                condition=condition,
                index=index,
                called=True,
                name="read_file",
                arguments={"filepath": "src/a.py"},
                valid=True,
                timings=timings,
            )
            for index in range(3)
        ]

    recorded = Loaded({"datasets": {"continue": {}}}, answers(3, 200.0) + answers(4, 700.0), {})
    cost = injection(recorded)
    assert cost["generate_ms_delta"] == 100.0 and cost["first_token_ms_delta"] == 500.0
    assert "500 ms of it before the first token" in claim_d(recorded).measured
    older = Loaded({"datasets": {"continue": {}}}, answers(3, None) + answers(4, None), {})
    assert injection(older)["first_token_ms_delta"] is None
    assert "first token" not in claim_d(older).measured


def test_rates_and_intervals() -> None:
    assert recall_at_k(["a", "b"], [["x", "a", "y"], ["x", "y", "z"]], 3) == 0.5
    assert recall_at_k(["a"], [["x", "a"]], 1) == 0.0
    low, high = wilson_interval(8, 10) or (0, 0)
    assert 0.45 < low < 0.8 < high < 0.97
    assert wilson_interval(0, 0) is None


def test_evidence_counts_single_candidates_and_whether_they_were_right() -> None:
    def row(
        expected: str, candidates: list[str], detected: bool = True, routed: str = ""
    ) -> dict[str, object]:
        return {
            "kind": "tool",
            "expected_name": expected,
            "top3": candidates,
            "detected": detected,
            "candidate_tools": candidates,
            "search_ms": 1.0,
            "router_tool": routed,
        }

    summary = evidence_summary(
        [
            row("grep", ["grep"], routed="grep"),
            row("ls", ["grep"], routed="grep"),
            row("ls", ["grep", "ls", "read"]),  # no router (yet): not counted
            row("ls", ["ls"], detected=False),  # not detected: offered nothing in the end
        ]
    )
    assert summary["single_candidate"] == 2 and summary["single_candidate_right"] == 1
    assert summary["router_ranked"] == 2 and summary["router_right_first"] == 1
    assert summary["candidate_recall"] == pytest.approx(2 / 3)


def test_data_is_held_out_and_old_approach_samples_have_no_examples() -> None:
    data = build_ecosystem_data(("continue", "cursor"), 60, 4, 2, seed=0)
    for ecosystem in data.values():
        indexed = {record.request.lower() for record in ecosystem.indexed}
        assert len(ecosystem.tool_requests) == 4
        assert all(r.request.lower() not in indexed for r in ecosystem.requests)
        assert all(set(r.required) <= set(r.expected_arguments) for r in ecosystem.tool_requests)
    samples = old_approach_samples(data["continue"], seed=0)
    assert samples
    for sample in samples:
        system = sample["messages"][0]["content"]
        assert "Tools:\n" in system and "Examples:" not in system
        tool = sample["meta"]["tool"]
        parsed = parse_json_call(sample["messages"][-1]["content"])
        assert (parsed is not None and parsed[0] == tool) if tool else parsed is None


# -- the reduced run -----------------------------------------------------------------


@pytest.mark.slow
def test_reduced_run_end_to_end(tmp_path: Path) -> None:
    from bench.claims.__main__ import main

    output = tmp_path / "claims.json"
    report_dir = tmp_path / "docs"
    code = main(
        [
            "--reduced",
            "--with-prompts",
            "--data-dir",
            str(tmp_path / "data"),
            "--output",
            str(output),
            "--report-dir",
            str(report_dir),
        ]
    )
    assert code == 0
    results = json.loads(output.read_text())
    # Every condition asked in every ecosystem it applies to, all answered.
    asked = {(r["condition"], r["ecosystem"]) for r in results["records"]}
    ecosystems = set(results["datasets"])
    assert {(c, e) for c in range(1, 7) for e in ecosystems} <= asked
    assert (7, "cursor") in asked
    assert not [r for r in results["records"] if r["error"]]
    # Condition 7 answered in Cursor without naming it: the swap switched the active one.
    swap = results["swap"]
    assert (swap["active_before"], swap["active_after"]) == ("continue", "cursor")
    assert swap["tool_router_ready"] and swap["router_fit_s"] >= 0
    # Every indexed ecosystem was asked with its tool router in place.
    assert all(
        row["router_tool"] for rows in results["retrieval"].values() for row in rows["requests"]
    )
    # --with-prompts: each request's built prompt, its request in it, is kept.
    assert all(
        row["prompt"].count("<|im_start|>user") == 1
        for rows in results["retrieval"].values()
        for row in rows["requests"]
    )
    assert all(
        r["answered_ecosystem"] == "cursor" for r in results["records"] if r["condition"] == 7
    )
    # Adapters came through the services.
    adapters = {r["adapter"] for r in results["records"]}
    assert {"base", results["adapter_names"]["generic"], "claims-old-continue"} <= adapters
    assert results["adapters"]["old_approach"]["steps"] == 2
    # The grammar's calls are schema-valid (unless the reduced token limit cut them).
    assert all(
        r["valid"] or r["finish_reason"] == "length"
        for r in results["records"]
        if r["condition"] == 5 and r["called"]
    )
    # The report, regenerated from the JSON alone, has its sections and plots.
    loaded = load(results)
    assert [v.claim for v in verdicts(loaded)] == ["(a)", "(b)", "(c)", "(d)"]
    assert {c.ecosystem for c in target_checks(loaded)} == ecosystems
    assert retrain_estimate(results) is not None and injection(loaded)["requests"] is not None
    # Generation's time to the first token (the prefill) is recorded and reported.
    assert all(r["timings"]["first_token_ms"] > 0 for r in results["records"] if not r["error"])
    assert injection(loaded)["first_token_ms_delta"] is not None
    markdown = (report_dir / "claims.md").read_text()
    for heading in (
        "## The claims",
        "## Condition 5 against its targets",
        "## Every condition in every ecosystem",
        "## Switching IDE",
        "## Retrieval on its own",
        "**Reduced run**",
    ):
        assert heading in markdown
    for image in (
        "accuracy",
        "spurious_validity",
        "latency_tokens",
        "retrieval",
        "swap_vs_retrain",
    ):
        assert (report_dir / "claims" / f"{image}.png").stat().st_size > 1000
        assert f"claims/{image}.png" in markdown
