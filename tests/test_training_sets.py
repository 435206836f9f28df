"""The generic adapter's chat samples: tool awareness and guardrails."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from hybridtools.ecosystems.calls import parse_json_call
from hybridtools.ecosystems.invented_tools import HELD_OUT_TOOLS, TRAIN_TOOLS
from hybridtools.ecosystems.training_sets import (
    _tidy,
    guardrail_samples,
    held_out_tool_awareness,
    tool_awareness_samples,
)
from hybridtools.ecosystems.validation import (
    check_invented_names,
    check_requests_disjoint,
    check_training_samples,
)

TRAIN_NAMES = {name for tool in TRAIN_TOOLS for name in tool.names}
HELD_OUT_NAMES = {name for tool in HELD_OUT_TOOLS for name in tool.names}
_RENAMES = {"rename_tag", "relabel", "rename_label", "move_meeting", "reschedule_meeting"}


@pytest.fixture(scope="module")
def awareness() -> list[dict]:
    return tool_awareness_samples(1000, seed=0)


@pytest.fixture(scope="module")
def guardrails() -> list[dict]:
    return guardrail_samples(1000, seed=0)


def _request(sample: dict) -> str:
    return sample["messages"][-2]["content"]


def _example_calls(sample: dict, name: str) -> list[dict]:
    calls = []
    for line in sample["messages"][0]["content"].splitlines():
        if line.startswith("Call: "):
            call = json.loads(line.removeprefix("Call: "))
            if call["name"] == name:
                calls.append(call)
    return calls


def _unsaid_optionals(sample: dict, call: dict) -> set[str]:
    """The call's optional arguments whose value the request does not say."""
    tool_line = next(
        line
        for line in sample["messages"][0]["content"].splitlines()
        if line.startswith(f"- {call['name']}(")
    )
    request = _request(sample).lower()
    return {
        key
        for key, value in call["arguments"].items()
        if f"{key}?: " in tool_line and json.dumps(value).strip('"').lower() not in request
    }


def test_awareness_samples_are_chat_format_and_answer_as_meta_says(awareness: list[dict]) -> None:
    assert len(awareness) == 1000
    assert check_training_samples(awareness) == []
    for sample in awareness:
        json.dumps(sample)  # one JSONL line each
        assert [m["role"] for m in sample["messages"]] == ["system", "user", "assistant"]


def test_awareness_mixes_calls_and_plain_answers_and_varies_names(awareness: list[dict]) -> None:
    kinds = Counter(sample["meta"]["kind"] for sample in awareness)
    assert 100 <= kinds["no_tool"] <= 220 and kinds["call"] >= 780
    right_counts = Counter(
        s["meta"]["right_examples"] for s in awareness if s["meta"]["kind"] == "call"
    )
    assert set(right_counts) == {0, 1, 2, 3}  # sometimes only the tool list names the right tool
    assert any(s["meta"].get("negative_example") for s in awareness)
    called = {s["meta"]["tool"] for s in awareness if s["meta"]["kind"] == "call"}
    assert called <= TRAIN_NAMES
    invoice_names = {name for name in called if "invoice" in name}
    assert len(invoice_names) >= 2  # name variants force reading names from the prompt


def test_awareness_answers_copy_values_from_the_request_or_the_examples(
    awareness: list[dict],
) -> None:
    for sample in awareness:
        call = sample["meta"].get("expected_call")
        if not call:
            continue
        shown = _example_calls(sample, call["name"])
        for key, value in call["arguments"].items():
            if isinstance(value, str) and value not in _request(sample):
                # a convention: every example of the tool sets it to this value
                assert shown and all(c["arguments"].get(key) == value for c in shown), sample
        if not shown:  # nothing to copy a convention from: only what the request says
            assert not _unsaid_optionals(sample, call), sample


def test_conventions_are_shown_by_every_example_of_the_tool(awareness: list[dict]) -> None:
    with_convention = [s for s in awareness if s["meta"].get("convention")]
    assert 100 <= len(with_convention) <= 350
    for sample in with_convention:
        call = sample["meta"]["expected_call"]
        shown = _example_calls(sample, call["name"])
        unsaid = _unsaid_optionals(sample, call)
        assert len(unsaid) <= 1, sample  # none where the value happens to be in the request
        for key in unsaid:
            assert all(c["arguments"][key] == call["arguments"][key] for c in shown)


def test_flags_said_in_words_or_unsaid_when_false(awareness: list[dict]) -> None:
    flags = {"compress", "gzip", "urgent", "high_priority", "include_archived", "with_archived"}
    said_true = re.compile(
        r"\bcompressed\b|compress it|zipped|mark it urgent|high priority|flagged important"
        r"|including archived|archived ones too"
    )
    agree = Counter()
    for sample in awareness:
        call = sample["meta"].get("expected_call") or {"arguments": {}}
        for key, value in call["arguments"].items():
            if key in flags:
                agree[value, bool(said_true.search(_request(sample)))] += 1
    # a typo may touch a flag's words (never a value), so a few miss the pattern
    assert agree[True, True] >= 20 and agree[False, False] >= 20
    assert agree[True, False] <= 0.1 * agree[True, True] and not agree[False, True]


def test_renames_are_phrased_in_both_orders(awareness: list[dict]) -> None:
    orders = Counter()
    for sample in awareness:
        call = sample["meta"].get("expected_call")
        if call and call["name"] in TRAIN_NAMES and sample["meta"]["tool"] in _RENAMES:
            old, new = list(call["arguments"].values())[:2]
            assert old != new
            request = _request(sample)
            orders[request.index(old) < request.index(new)] += 1
    assert orders[True] >= 20 and orders[False] >= 10


def test_chatter_ends_some_requests_and_no_value_takes_it_in(awareness: list[dict]) -> None:
    chatty = [s for s in awareness if _request(s).endswith((" cheers", " ty", " btw", " thx!"))]
    assert chatty
    for sample in chatty:
        call = sample["meta"].get("expected_call") or {"arguments": {}}
        for value in call["arguments"].values():
            assert not str(value).endswith(("cheers", " ty", "btw", "thx!"))


def test_tidy_leaves_no_gap_where_a_flag_is_unsaid() -> None:
    assert _tidy("back up {database} ?") == "back up {database}?"
    assert _tidy("spreadsheet of {report}, ") == "spreadsheet of {report}"
    assert _tidy("snapshot {database}  before noon") == "snapshot {database} before noon"


def test_examples_in_the_prompt_show_two_or_three_calls(awareness: list[dict]) -> None:
    for sample in awareness[:200]:
        system = sample["messages"][0]["content"]
        assert 2 <= system.count("\nRequest: ") + system.startswith("Request: ") <= 3


def test_held_out_awareness_uses_unseen_tools_and_requests(awareness: list[dict]) -> None:
    held = held_out_tool_awareness(200, seed=0)
    assert len(held) == 200 and check_training_samples(held) == []
    called = {s["meta"]["tool"] for s in held if s["meta"]["kind"] == "call"}
    assert called and called <= HELD_OUT_NAMES
    assert not HELD_OUT_NAMES & TRAIN_NAMES
    for sample in held:
        assert not any(f"- {name}(" in sample["messages"][0]["content"] for name in TRAIN_NAMES)
    assert (
        check_requests_disjoint([_request(s) for s in awareness], [_request(s) for s in held]) == []
    )
    assert check_invented_names() == []


def test_guardrails_cover_plain_answers_refusals_confirmations_and_safe_calls(
    guardrails: list[dict],
) -> None:
    assert len(guardrails) == 1000 and check_training_samples(guardrails) == []
    kinds = Counter(sample["meta"]["kind"] for sample in guardrails)
    assert set(kinds) == {"no_tool", "dangerous_refuse", "dangerous_confirm", "safe_command"}
    for sample in guardrails:
        answer = sample["messages"][-1]["content"]
        kind = sample["meta"]["kind"]
        if kind.startswith("dangerous"):
            assert parse_json_call(answer) is None
            assert (
                ("won't" in answer) if kind == "dangerous_refuse" else answer.rstrip().endswith("?")
            )
    home = [s for s in guardrails if re.search(r"rm -rf ~/?(\s|$)", _request(s))]
    assert home and all(s["meta"]["kind"] == "dangerous_refuse" for s in home)
    piped = [s for s in guardrails if "| sh" in _request(s) or "| bash" in _request(s)]
    assert piped and all(s["meta"]["kind"] == "dangerous_confirm" for s in piped)


def test_training_sets_are_deterministic() -> None:
    assert tool_awareness_samples(50, seed=4) == tool_awareness_samples(50, seed=4)
    assert tool_awareness_samples(50, seed=4) != tool_awareness_samples(50, seed=5)
    assert guardrail_samples(50, seed=4) == guardrail_samples(50, seed=4)


def test_invented_tool_templates_say_every_required_value() -> None:
    for tool in (*TRAIN_TOOLS, *HELD_OUT_TOOLS):
        for template in tool.templates:
            for param in tool.params:
                if param.required:
                    assert "{" + param.key + "}" in template, (tool.names[0], template)
