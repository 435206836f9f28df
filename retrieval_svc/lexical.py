"""A request's words as a sparse vector, for BM25 ranking inside Qdrant.

The dense embedding places "locate **/*.md" near any short request about
files; the words and symbols that tell an IDE's tools apart ("locate",
"regex", "ls", "**/*", "diff") are what a lexical match weighs. Each stored
example carries its request's terms as a sparse vector whose values are
BM25's term-frequency part; the collection's sparse vector has Qdrant's IDF
modifier, so Qdrant supplies the inverse document frequency from the
collection itself and a query's dot product is the request's BM25 score
(ADR 0007). The same terms work on qdrant-edge and on a Qdrant server.

Terms are lower-cased runs of word characters, or runs of punctuation
("**/*.", "(", "--"), so a glob or a flag counts as much as a word. A term's
index is its CRC-32: stable across processes and machines (Python's `hash`
is salted per process), and a collision between two of a collection's
terms only blurs their two weights.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from dataclasses import dataclass

_TERM = re.compile(r"\w+|[^\w\s]+")
# BM25's usual constants. The length a request is measured against is fixed
# (the median of the built-in ecosystems' generated requests, 11-13 terms;
# pasted file contents pull the mean to ~14), so that an upsert weighs its
# terms exactly as the swap that indexed the rest did.
K1 = 1.2
B = 0.75
AVERAGE_TERMS = 12.0


@dataclass(frozen=True)
class SparseTerms:
    """Term indices (ascending, unique) and their weights."""

    indices: tuple[int, ...]
    values: tuple[float, ...]


def terms(text: str) -> list[str]:
    return _TERM.findall(text.lower())


def _index(term: str) -> int:
    return zlib.crc32(term.encode("utf-8"))


def document_terms(text: str) -> SparseTerms:
    """A stored request's terms, weighted by BM25's saturated term frequency."""
    words = terms(text)
    counts = Counter(_index(word) for word in words)
    norm = K1 * (1 - B + B * len(words) / AVERAGE_TERMS)
    indices = sorted(counts)
    return SparseTerms(
        tuple(indices), tuple(counts[i] * (K1 + 1) / (counts[i] + norm) for i in indices)
    )


def query_terms(text: str) -> SparseTerms:
    """A query's distinct terms, each weighing 1 (Qdrant multiplies in the IDF)."""
    indices = sorted({_index(word) for word in terms(text)})
    return SparseTerms(tuple(indices), (1.0,) * len(indices))
