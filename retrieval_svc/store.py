"""The vector store interface the retrieval service is written against.

Two implementations, chosen from config (see ADR 0001):
- `EdgeVectorStore` (embedded default): Qdrant's own engine in-process
  (qdrant-edge-py), one shard directory per collection, aliases kept beside.
- `QdrantServerStore`: a real Qdrant server by URL (qdrant-client); in the
  tests the same class runs on qdrant-client's local mode.

The interface follows Qdrant's own model: collections, aliases that can be
switched atomically, payload filters, and a small key-value space for the
service's metadata (kept in the store so that replicas of a stateless
retrieval service share it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from hybridtools.core.errors import require
from retrieval_svc.lexical import SparseTerms

# A filter: every key must match; a list value matches any of its items.
Match = Mapping[str, str | bool | int | Sequence[str]]

_POINT_NAMESPACE = uuid.UUID("6f1c7c2e-4a59-4c1b-9a34-2f0f5e8d9b11")


def point_id(key: str) -> str:
    """Qdrant point ids are UUIDs or integers: a stable UUID for any string key."""
    try:
        return str(uuid.UUID(key))
    except ValueError:
        return str(uuid.uuid5(_POINT_NAMESPACE, key))


def require_score_threshold(value: float) -> None:
    """Refuses a request's score_threshold that is no cosine similarity.

    NaN passes no comparison, so it would silently drop every result, and a
    value beyond -1..1 keeps all results or none; neither is what was meant.
    """
    # The chained comparison is False for NaN and the infinities too.
    require(
        -1.0 <= value <= 1.0,
        f"score_threshold must be a cosine similarity, -1..1 (0 keeps all), got {value}",
    )


# The sparse vector of a collection made with `lexical_terms` (retrieval_svc.lexical).
TERMS_VECTOR = "request_terms"


@dataclass(frozen=True)
class StoredPoint:
    id: str
    vector: Sequence[float]
    payload: dict[str, Any]
    # The request's terms; only for a collection made with `lexical_terms`.
    terms: SparseTerms | None = None


@dataclass(frozen=True)
class Hit:
    id: str
    score: float
    payload: dict[str, Any]


@dataclass(frozen=True)
class CollectionSchema:
    """Vector size and the payload fields to index for filtering."""

    vector_size: int
    keyword_fields: tuple[str, ...] = ()
    bool_fields: tuple[str, ...] = ()
    float_fields: tuple[str, ...] = ()
    # A sparse vector of terms with Qdrant's IDF modifier, for BM25 ranking.
    lexical_terms: bool = False


@dataclass
class FacetCounts:
    counts: dict[str, int] = field(default_factory=dict)


class VectorStore(Protocol):
    """What the retrieval service needs from Qdrant. All calls are blocking."""

    def create_collection(self, name: str, schema: CollectionSchema) -> None: ...

    def drop_collection(self, name: str) -> None:
        """Removes a collection; a missing one is not an error."""

    def collection_exists(self, name: str) -> bool: ...

    def list_collections(self) -> list[str]: ...

    def upsert(self, collection: str, points: Sequence[StoredPoint]) -> None: ...

    def search(
        self,
        collection: str,
        vector: Sequence[float],
        limit: int,
        match: Match | None = None,
        score_threshold: float | None = None,
        with_payload: bool = True,
    ) -> list[Hit]:
        """Nearest points by cosine similarity; `collection` may be an alias."""

    def retrieve(self, collection: str, ids: Sequence[str]) -> list[Hit]:
        """The points with these ids that exist, with payload (score 0), in no set order."""

    def rank_by_terms(self, collection: str, terms: SparseTerms, ids: Sequence[str]) -> list[Hit]:
        """The points among `ids` that share a term with `terms`, by BM25 score (no payload).

        Only for a collection made with `lexical_terms`.
        """

    def scroll(
        self, collection: str, match: Match | None = None, batch_size: int = 1000
    ) -> Iterator[Hit]:
        """Every matching point (score 0), in batches."""

    def count(self, collection: str, match: Match | None = None) -> int: ...

    def facet(self, collection: str, key: str, match: Match | None = None) -> dict[str, int]:
        """Exact point counts per value of a keyword field."""

    def delete(self, collection: str, match: Match) -> int:
        """Deletes matching points; returns how many there were."""

    def set_payload(self, collection: str, match: Match, payload: dict[str, Any]) -> int:
        """Sets payload keys on matching points; returns how many matched."""

    def resolve_alias(self, alias: str) -> str | None: ...

    def switch_alias(self, alias: str, collection: str) -> None:
        """Points `alias` at `collection` in one atomic step."""

    def delete_alias(self, alias: str) -> None: ...

    def get_meta(self, key: str) -> dict[str, Any] | None: ...

    def put_meta(self, key: str, value: dict[str, Any]) -> None: ...

    def delete_meta(self, key: str) -> None: ...

    def close(self) -> None: ...
