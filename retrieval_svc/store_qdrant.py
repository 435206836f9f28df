"""A real Qdrant server by URL (the cluster's StatefulSet), through qdrant-client.

Collections and aliases are Qdrant's own, so every replica of the retrieval
service sees a swap at the same moment (the alias switch is one atomic
`update_collection_aliases` call on the server). The service's metadata lives
in a small collection of its own for the same reason.

The tests run this class on qdrant-client's local mode (`location=":memory:"`),
which speaks the same client API; the latency figures in ADR 0001 are why it
is not the embedded default.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from qdrant_client import QdrantClient, models

from retrieval_svc.lexical import SparseTerms
from retrieval_svc.store import (
    TERMS_VECTOR,
    CollectionSchema,
    Hit,
    Match,
    StoredPoint,
    point_id,
)

META_COLLECTION = "hybridtools_meta"


def _filter(match: Match | None) -> models.Filter | None:
    if not match:
        return None
    conditions: list[models.Condition] = []
    for key, value in match.items():
        if isinstance(value, (list, tuple)):
            conditions.append(
                models.FieldCondition(key=key, match=models.MatchAny(any=list(value)))
            )
        else:
            conditions.append(models.FieldCondition(key=key, match=models.MatchValue(value=value)))
    return models.Filter(must=conditions)


def _sparse(terms: SparseTerms) -> models.SparseVector:
    return models.SparseVector(indices=list(terms.indices), values=list(terms.values))


def _vectors(point: StoredPoint) -> list[float] | dict[str, Any]:
    """The point's dense vector, and beside it (as named vectors) its terms if it has them."""
    if point.terms is None:
        return list(point.vector)
    return {"": list(point.vector), TERMS_VECTOR: _sparse(point.terms)}


class QdrantServerStore:
    """VectorStore on a Qdrant server (or qdrant-client's local mode in tests)."""

    def __init__(self, client: QdrantClient) -> None:
        self._client = client
        if not client.collection_exists(META_COLLECTION):
            client.create_collection(
                META_COLLECTION,
                vectors_config=models.VectorParams(size=1, distance=models.Distance.DOT),
            )

    @classmethod
    def from_url(
        cls, url: str, api_key: str | None = None, timeout_s: int = 30
    ) -> QdrantServerStore:
        return cls(QdrantClient(url=url, api_key=api_key, timeout=timeout_s))

    def create_collection(self, name: str, schema: CollectionSchema) -> None:
        self._client.create_collection(
            name,
            vectors_config=models.VectorParams(
                size=schema.vector_size, distance=models.Distance.COSINE
            ),
            sparse_vectors_config=(
                {TERMS_VECTOR: models.SparseVectorParams(modifier=models.Modifier.IDF)}
                if schema.lexical_terms
                else None
            ),
        )
        field_types = (
            [(f, models.PayloadSchemaType.KEYWORD) for f in schema.keyword_fields]
            + [(f, models.PayloadSchemaType.BOOL) for f in schema.bool_fields]
            + [(f, models.PayloadSchemaType.FLOAT) for f in schema.float_fields]
        )
        for field_name, field_type in field_types:
            self._client.create_payload_index(name, field_name, field_schema=field_type, wait=True)

    def drop_collection(self, name: str) -> None:
        if self._client.collection_exists(name):
            self._client.delete_collection(name)

    def collection_exists(self, name: str) -> bool:
        return self._client.collection_exists(name)

    def list_collections(self) -> list[str]:
        names = [c.name for c in self._client.get_collections().collections]
        return sorted(n for n in names if n != META_COLLECTION)

    def upsert(self, collection: str, points: Sequence[StoredPoint]) -> None:
        if not points:
            return
        self._client.upsert(
            collection,
            points=[
                models.PointStruct(id=p.id, vector=_vectors(p), payload=p.payload) for p in points
            ],
            wait=True,
        )

    def flush(self, collection: str) -> None:
        """Writes are acknowledged with wait=True; nothing to flush."""

    def search(
        self,
        collection: str,
        vector: Sequence[float],
        limit: int,
        match: Match | None = None,
        score_threshold: float | None = None,
        with_payload: bool = True,
    ) -> list[Hit]:
        response = self._client.query_points(
            collection,
            query=list(vector),
            query_filter=_filter(match),
            limit=limit,
            with_payload=with_payload,
            score_threshold=score_threshold,
        )
        return [Hit(str(p.id), float(p.score), p.payload or {}) for p in response.points]

    def retrieve(self, collection: str, ids: Sequence[str]) -> list[Hit]:
        if not ids:
            return []
        records = self._client.retrieve(collection, list(ids), with_payload=True)
        return [Hit(str(r.id), 0.0, r.payload or {}) for r in records]

    def rank_by_terms(self, collection: str, terms: SparseTerms, ids: Sequence[str]) -> list[Hit]:
        if not ids or not terms.indices:
            return []
        response = self._client.query_points(
            collection,
            query=_sparse(terms),
            using=TERMS_VECTOR,
            query_filter=models.Filter(must=[models.HasIdCondition(has_id=list(ids))]),
            limit=len(ids),
            with_payload=False,
        )
        return [Hit(str(p.id), float(p.score), {}) for p in response.points]

    def scroll(
        self, collection: str, match: Match | None = None, batch_size: int = 1000
    ) -> Iterator[Hit]:
        offset: Any = None
        while True:
            records, offset = self._client.scroll(
                collection,
                scroll_filter=_filter(match),
                limit=batch_size,
                offset=offset,
                with_payload=True,
            )
            for record in records:
                yield Hit(str(record.id), 0.0, record.payload or {})
            if offset is None:
                return

    def count(self, collection: str, match: Match | None = None) -> int:
        return self._client.count(collection, count_filter=_filter(match), exact=True).count

    def facet(self, collection: str, key: str, match: Match | None = None) -> dict[str, int]:
        response = self._client.facet(
            collection, key=key, facet_filter=_filter(match), limit=100_000, exact=True
        )
        return {str(hit.value): int(hit.count) for hit in response.hits}

    def delete(self, collection: str, match: Match) -> int:
        matched = self.count(collection, match)
        if matched:
            self._client.delete(
                collection, points_selector=models.FilterSelector(filter=_filter(match)), wait=True
            )
        return matched

    def set_payload(self, collection: str, match: Match, payload: dict[str, Any]) -> int:
        matched = self.count(collection, match)
        if matched:
            self._client.set_payload(collection, payload=payload, points=_filter(match), wait=True)
        return matched

    def resolve_alias(self, alias: str) -> str | None:
        for description in self._client.get_aliases().aliases:
            if description.alias_name == alias:
                return description.collection_name
        return None

    def switch_alias(self, alias: str, collection: str) -> None:
        if not self._client.collection_exists(collection):
            raise KeyError(collection)
        actions: list[Any] = []
        if self.resolve_alias(alias) is not None:
            actions.append(
                models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=alias))
            )
        actions.append(
            models.CreateAliasOperation(
                create_alias=models.CreateAlias(collection_name=collection, alias_name=alias)
            )
        )
        # Delete and create in one request: the server applies them atomically.
        self._client.update_collection_aliases(change_aliases_operations=actions)

    def delete_alias(self, alias: str) -> None:
        if self.resolve_alias(alias) is not None:
            self._client.update_collection_aliases(
                change_aliases_operations=[
                    models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=alias))
                ]
            )

    def get_meta(self, key: str) -> dict[str, Any] | None:
        records = self._client.retrieve(META_COLLECTION, ids=[point_id(key)], with_payload=True)
        if not records:
            return None
        return json.loads((records[0].payload or {})["value"])

    def put_meta(self, key: str, value: dict[str, Any]) -> None:
        self._client.upsert(
            META_COLLECTION,
            points=[
                models.PointStruct(
                    id=point_id(key), vector=[1.0], payload={"key": key, "value": json.dumps(value)}
                )
            ],
            wait=True,
        )

    def delete_meta(self, key: str) -> None:
        self._client.delete(
            META_COLLECTION, points_selector=models.PointIdsList(points=[point_id(key)]), wait=True
        )

    def close(self) -> None:
        self._client.close()
