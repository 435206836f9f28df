"""The detector's rules: what counts as evidence of a tool need, before any retrieval."""

from __future__ import annotations

import pytest

from inference_svc.detection import DetectorWeights, decide, rule_evidence, rule_features

WEIGHTS = DetectorWeights()


@pytest.mark.parametrize(
    "request_text",
    [
        "read src/app.py",
        "Quick one: update `src/comment.rs` so Vec<Comment> becomes `&[Comment]` pls",
        "Context: refactoring contacts. set up the Jupyter extension (ms-toolsai.jupyter)",
        "Trying to fix a bug in coupon handling. exec `pip list --outdated`",
        "don't guess, ask me Is it fine to rename the contact table?",
        "Regex search @app\\.(get|post)\\(",
        "extend `scripts/sync_channels.py` with:\nfrom dataclasses import dataclass",
    ],
)
def test_an_action_opening_the_request_or_its_clause_after_a_lead_in(request_text: str) -> None:
    assert rule_features(request_text).action == "start"
    score, reasons = rule_evidence(request_text)
    assert decide(score, reasons, top_similarity=None).needs_tool


@pytest.mark.parametrize(
    "request_text",
    [
        "Quick question: what is a closure?",
        "Honestly, why do people use Rust?",
        "What's the difference between a list and a tuple?",
        "thanks, that worked",
    ],
)
def test_a_concept_question_behind_a_lead_in_stays_a_question(request_text: str) -> None:
    score, reasons = rule_evidence(request_text)
    assert score <= WEIGHTS.low
    assert not decide(score, reasons, top_similarity=0.9).needs_tool


def test_a_lead_in_is_short_and_at_most_two_deep() -> None:
    # An action far into a long first sentence is "anywhere", not "start".
    long_lead = "I have been looking at the billing code all morning and it is a mess, read it"
    assert rule_features(long_lead).action == "anywhere"
    assert rule_features("One: two: three: read a.py").action == "anywhere"


def test_the_ambiguous_band_weighs_the_nearest_example() -> None:
    score, reasons = rule_evidence("anything in the repo about rate limits?")
    assert WEIGHTS.low < score < WEIGHTS.high
    assert decide(score, reasons, top_similarity=0.6).needs_tool
    assert not decide(score, reasons, top_similarity=0.2).needs_tool


@pytest.mark.parametrize(
    ("request_text", "is_command"),
    [
        ("just paste a Python snippet that removes duplicates, no file needed", False),
        ("ELI5: a generator in Python again", False),
        ("a Go snippet that returns the maximum of two ints", False),
        ("run python manage.py migrate", True),
        ("Git status pls", True),  # capitalised as the sentence's first word
        ("please exec `Make-Thing`", True),
        # Any program in lower case with an option is a command line.
        ("try celery -A app worker --loglevel=info", True),
        ("try uvicorn app.main:app --reload", True),
        ("a well-known e-mail pattern", False),
        ("explain list comprehensions - briefly", False),
    ],
)
def test_a_program_named_in_prose_is_not_a_command(request_text: str, is_command: bool) -> None:
    assert ("command" in rule_features(request_text).objects) is is_command


@pytest.mark.parametrize(
    ("request_text", "opens_with_action"),
    [
        ("can you finnd which code sends the lesson confirmation email?", True),
        ("Reda through `src/comment_metrics.cpp`", True),
        ("Context: refactoring claims. scoll down a screen", True),
        # One letter changed is not taken for a typo: common words would be.
        ("Best way to parse dates in Go?", False),
        ("Last question: what is a monad?", False),
        ("What makes a good commit message?", False),
    ],
)
def test_a_misspelt_action_still_opens_the_request(
    request_text: str, opens_with_action: bool
) -> None:
    assert (rule_features(request_text).action == "start") is opens_with_action


@pytest.mark.parametrize(
    ("request_text", "names_a_file"),
    [
        ("Is there anything odd in Gemfile?", True),
        ("open src/Makefile", True),
        ("build the image from Dockerfile.dev", True),
        # Written in prose, not as on disk.
        ("how do I write a makefile for a C project?", False),
        # Dotfiles, alone or at a path's end; not methods or .NET.
        ("Is there anything odd in .gitignore?", True),
        ("View config/.env.example", True),
        ("how does .map() work in JavaScript?", False),
        ("what is .NET?", False),
    ],
)
def test_files_known_without_an_extension(request_text: str, names_a_file: bool) -> None:
    assert ("file" in rule_features(request_text).objects) is names_a_file
