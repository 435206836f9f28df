"""One contract, every store backend that can run here.

The embedded qdrant-edge store runs for real; the Qdrant-server store runs on
qdrant-client's local mode, which speaks the same client API as a server
(qdrant-client's own congruence tests do the same).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import QdrantClient

from retrieval_svc.lexical import document_terms, query_terms
from retrieval_svc.store import CollectionSchema, StoredPoint, VectorStore, point_id
from retrieval_svc.store_edge import EdgeVectorStore
from retrieval_svc.store_qdrant import QdrantServerStore

SCHEMA = CollectionSchema(
    vector_size=8,
    keyword_fields=("tool_name", "kind"),
    bool_fields=("trained_in_adapter",),
    float_fields=("quality_score",),
)


@pytest.fixture(params=["edge", "qdrant-client"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorStore]:
    backend: VectorStore
    if request.param == "edge":
        backend = EdgeVectorStore(tmp_path / "edge")
    else:
        backend = QdrantServerStore(QdrantClient(location=":memory:"))
    yield backend
    backend.close()


def _points(n: int, seed: int = 0) -> list[StoredPoint]:
    rng = np.random.default_rng(seed)
    points = []
    for i in range(n):
        vector = rng.standard_normal(8).astype(np.float32)
        points.append(
            StoredPoint(
                point_id(f"example-{i}"),
                (vector / np.linalg.norm(vector)).tolist(),
                {
                    "tool_name": ["read_file", "grep", "ls"][i % 3],
                    "kind": "negative" if i % 5 == 0 else "positive",
                    "trained_in_adapter": False,
                    "quality_score": 0.5,
                    "n": i,
                },
            )
        )
    return points


def test_point_ids_are_stable_uuids() -> None:
    assert point_id("abc") == point_id("abc")
    assert point_id("abc") != point_id("abd")
    uuid_text = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert point_id(uuid_text) == uuid_text


def test_collection_lifecycle(store: VectorStore) -> None:
    assert not store.collection_exists("c1")
    store.create_collection("c1", SCHEMA)
    assert store.collection_exists("c1")
    assert "c1" in store.list_collections()
    store.drop_collection("c1")
    assert not store.collection_exists("c1")
    store.drop_collection("c1")  # dropping a missing collection is no error


def test_search_finds_nearest_with_filters(store: VectorStore) -> None:
    store.create_collection("c", SCHEMA)
    points = _points(30)
    store.upsert("c", points)
    target = points[7]
    hits = store.search("c", target.vector, limit=3)
    assert hits[0].id == target.id
    assert hits[0].score == pytest.approx(1.0, abs=1e-4)
    assert hits[0].payload["n"] == 7
    filtered = store.search(
        "c", target.vector, limit=5, match={"tool_name": ["grep"], "kind": "positive"}
    )
    assert filtered and all(
        h.payload["tool_name"] == "grep" and h.payload["kind"] == "positive" for h in filtered
    )
    assert store.search("c", target.vector, limit=5, score_threshold=0.999)[0].id == target.id


def test_rank_by_terms_scores_bm25_among_the_given_points(store: VectorStore) -> None:
    store.create_collection("c", CollectionSchema(vector_size=8, lexical_terms=True))
    requests = [
        "regex search for TODO in src",
        "read the file src/app.py",
        "run the tests",
        "regex search for FIXME",
        "list the files in src",
    ]
    points = [
        StoredPoint(point.id, point.vector, {"request": text}, document_terms(text))
        for point, text in zip(_points(len(requests)), requests, strict=True)
    ]
    store.upsert("c", points)
    ids = [point.id for point in points]
    ranked = store.rank_by_terms("c", query_terms("Regex search TODO"), ids)
    # Both regex searches match; the one that also has the rare "todo" comes first.
    assert [hit.id for hit in ranked] == [ids[0], ids[3]]
    assert ranked[0].score > ranked[1].score > 0
    # Only the points asked about, and none without a shared term.
    assert [h.id for h in store.rank_by_terms("c", query_terms("regex"), ids[1:])] == [ids[3]]
    assert store.rank_by_terms("c", query_terms("kubernetes"), ids) == []
    # A dense search of the same collection is unchanged by the terms beside it.
    assert store.search("c", points[2].vector, limit=1)[0].id == ids[2]


def test_search_without_payload_then_retrieve_by_id(store: VectorStore) -> None:
    store.create_collection("c", SCHEMA)
    points = _points(10)
    store.upsert("c", points)
    bare = store.search("c", points[3].vector, limit=4, with_payload=False)
    assert bare[0].id == points[3].id and all(hit.payload == {} for hit in bare)
    wanted = [bare[0].id, point_id("never-stored"), bare[1].id]
    found = {hit.id: hit.payload for hit in store.retrieve("c", wanted)}
    assert set(found) == {bare[0].id, bare[1].id}
    assert found[points[3].id]["n"] == 3
    assert store.retrieve("c", []) == []


def test_upsert_same_id_replaces(store: VectorStore) -> None:
    store.create_collection("c", SCHEMA)
    points = _points(5)
    store.upsert("c", points)
    store.upsert("c", [StoredPoint(points[0].id, points[0].vector, {**points[0].payload, "n": 99})])
    assert store.count("c") == 5
    assert store.search("c", points[0].vector, limit=1)[0].payload["n"] == 99


def test_count_facet_scroll(store: VectorStore) -> None:
    store.create_collection("c", SCHEMA)
    store.upsert("c", _points(30))
    assert store.count("c") == 30
    assert store.count("c", {"kind": "negative"}) == 6
    assert store.facet("c", "tool_name") == {"read_file": 10, "grep": 10, "ls": 10}
    assert sum(store.facet("c", "tool_name", {"kind": "positive"}).values()) == 24
    scrolled = list(store.scroll("c", {"tool_name": "ls"}, batch_size=4))
    assert len(scrolled) == 10 and all(h.payload["tool_name"] == "ls" for h in scrolled)


def test_delete_and_set_payload_report_matches(store: VectorStore) -> None:
    store.create_collection("c", SCHEMA)
    store.upsert("c", _points(30))
    assert store.set_payload("c", {"tool_name": "grep"}, {"trained_in_adapter": True}) == 10
    assert store.count("c", {"trained_in_adapter": True}) == 10
    assert store.delete("c", {"tool_name": ["ls"]}) == 10
    assert store.count("c") == 20
    assert store.delete("c", {"tool_name": ["ls"]}) == 0


def test_alias_switch_is_one_step(store: VectorStore) -> None:
    store.create_collection("v1", SCHEMA)
    store.create_collection("v2", SCHEMA)
    old, new = _points(3, seed=1), _points(4, seed=2)
    store.upsert("v1", old)
    store.upsert("v2", new)
    assert store.resolve_alias("eco") is None
    store.switch_alias("eco", "v1")
    assert store.resolve_alias("eco") == "v1"
    assert store.count("eco") == 3
    store.switch_alias("eco", "v2")
    assert store.resolve_alias("eco") == "v2"
    assert store.search("eco", new[0].vector, limit=1)[0].id == new[0].id
    with pytest.raises(KeyError):
        store.switch_alias("eco", "missing")
    assert store.resolve_alias("eco") == "v2"
    store.delete_alias("eco")
    assert store.resolve_alias("eco") is None


def test_meta_round_trip(store: VectorStore) -> None:
    assert store.get_meta("k") is None
    store.put_meta("k", {"a": 1, "b": ["x"]})
    assert store.get_meta("k") == {"a": 1, "b": ["x"]}
    store.put_meta("k", {"a": 2})
    assert store.get_meta("k") == {"a": 2}
    store.delete_meta("k")
    assert store.get_meta("k") is None


def test_edge_store_survives_reopen(tmp_path: Path) -> None:
    first = EdgeVectorStore(tmp_path / "edge")
    first.create_collection("v1", SCHEMA)
    points = _points(10)
    first.upsert("v1", points)
    first.flush("v1")
    first.switch_alias("eco", "v1")
    first.put_meta("k", {"v": 1})
    first.close()
    second = EdgeVectorStore(tmp_path / "edge")
    assert second.resolve_alias("eco") == "v1"
    assert second.count("eco") == 10
    assert second.get_meta("k") == {"v": 1}
    second.close()


def test_edge_store_discards_half_created_collection(tmp_path: Path) -> None:
    store = EdgeVectorStore(tmp_path / "edge")
    store.create_collection("v1", SCHEMA)
    store.close()
    (tmp_path / "edge" / "collections" / "v1" / ".complete").unlink()
    reopened = EdgeVectorStore(tmp_path / "edge")
    assert not reopened.collection_exists("v1")
    assert reopened.list_collections() == []
    reopened.close()
