"""The request terms behind BM25 ranking (retrieval_svc.lexical)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from retrieval_svc.lexical import AVERAGE_TERMS, K1, document_terms, query_terms, terms


def test_terms_are_words_and_punctuation_runs() -> None:
    assert terms("Locate **/*.md in SRC, pls") == ["locate", "**/*.", "md", "in", "src", ",", "pls"]
    assert terms("ls -R tests") == ["ls", "-", "r", "tests"]


def test_document_weights_saturate_with_repeats_and_fall_with_length() -> None:
    short = document_terms("grep grep")
    assert len(short.indices) == 1
    once = document_terms(" ".join(["grep"] + ["x"] * (int(AVERAGE_TERMS) - 1)))
    twice = document_terms(" ".join(["grep", "grep"] + ["x"] * (int(AVERAGE_TERMS) - 2)))
    grep = query_terms("grep").indices[0]

    def weight(vector: object) -> float:
        return dict(zip(vector.indices, vector.values, strict=True))[grep]  # type: ignore[attr-defined]

    # At the average length one occurrence weighs 1; more saturate towards K1 + 1.
    assert weight(once) == pytest.approx(1.0)
    assert 1.0 < weight(twice) < K1 + 1
    longer = document_terms(" ".join(["grep"] + ["x"] * (3 * int(AVERAGE_TERMS))))
    assert weight(longer) < weight(once)


def test_query_terms_are_distinct_with_unit_weights() -> None:
    query = query_terms("search search for TODO")
    assert list(query.indices) == sorted(set(query.indices))
    assert len(query.indices) == 3 and set(query.values) == {1.0}
    assert query_terms("   ").indices == ()


def test_term_indices_are_the_same_in_another_process() -> None:
    """Stored indices must match a query's in any replica: no per-process hash salt."""
    here = query_terms("regex search **/*.md").indices
    there = subprocess.run(
        [
            sys.executable,
            "-c",
            "from retrieval_svc.lexical import query_terms;"
            "print(list(query_terms('regex search **/*.md').indices))",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert there.strip() == str(list(here))
