"""The embedder on each runtime: ONNX exports agree with torch, failures fall back."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from retrieval_svc.embedder import Embedder, EmbeddingCache, QueryBatcher, open_embedder
from retrieval_svc.onnx_embedder import OnnxEmbedder

MODEL = "all-MiniLM-L6-v2"
REQUESTS = [
    "open src/app/main.py and show me the imports",
    "search the repo for every call to parse_config",
    "rename the function fetchUser to loadUser across the project",
    "What is the difference between a list and a tuple in Python?",
    "run the unit tests in tests/test_api.py",
    "",
]


@pytest.fixture(scope="module")
def onnx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx")


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return open_embedder(MODEL, "torch", 1, Path("unused")).embed(REQUESTS)


def test_float32_export_gives_torchs_vectors(onnx_dir: Path, torch_vectors: np.ndarray) -> None:
    embedder = open_embedder(MODEL, "onnx", 1, onnx_dir)

    assert isinstance(embedder, OnnxEmbedder)
    assert embedder.vector_space == MODEL  # shares torch's cache and indexes
    vectors = embedder.embed(REQUESTS)
    assert vectors.shape == torch_vectors.shape and vectors.dtype == np.float32
    assert np.min(np.sum(vectors * torch_vectors, axis=1)) > 0.9999
    assert embedder.embed([]).shape == (0, embedder.dimension)


def test_int8_is_close_to_float32_and_lives_apart(
    onnx_dir: Path, torch_vectors: np.ndarray
) -> None:
    embedder = open_embedder(MODEL, "onnx-int8", 2, onnx_dir)

    assert embedder.runtime == "onnx-int8"
    assert embedder.vector_space != MODEL
    cosines = np.sum(embedder.embed(REQUESTS) * torch_vectors, axis=1)
    assert np.mean(cosines) > 0.98
    # A text's vector does not depend on the texts embedded beside it (int8
    # activations get one scale per run, so batching them would change it).
    one_by_one = np.stack([embedder.embed([text])[0] for text in REQUESTS])
    np.testing.assert_array_equal(embedder.embed(REQUESTS), one_by_one)


def test_queries_batched_two_at_a_time_get_their_own_vectors(onnx_dir: Path) -> None:
    embedder = open_embedder(MODEL, "onnx-int8", 2, onnx_dir)
    assert embedder.overlapping_calls == 2
    alone = {text: embedder.embed([text])[0] for text in REQUESTS}
    queries = [REQUESTS[i % len(REQUESTS)] for i in range(48)]

    async def search_all() -> list[np.ndarray]:
        with ThreadPoolExecutor(max_workers=2) as executor:
            batcher = QueryBatcher(embedder, executor, max_batch=4, in_flight=2)
            batcher.start()
            try:
                return await asyncio.gather(*(batcher.embed(q) for q in queries))
            finally:
                await batcher.stop()

    for query, vector in zip(queries, asyncio.run(search_all()), strict=True):
        np.testing.assert_array_equal(vector, alone[query])


def test_torchs_batcher_hands_each_query_its_own_vector(torch_vectors: np.ndarray) -> None:
    # torch embeds a batch whole (no per-text runs): the batcher's other path.
    embedder = open_embedder(MODEL, "torch", 1, Path("unused"))
    assert not hasattr(embedder, "submit")
    queries = [REQUESTS[i % len(REQUESTS)] for i in range(12)]

    async def search_all() -> list[np.ndarray]:
        with ThreadPoolExecutor(max_workers=1) as executor:
            batcher = QueryBatcher(embedder, executor, max_batch=4)
            batcher.start()
            try:
                return await asyncio.gather(*(batcher.embed(q) for q in queries))
            finally:
                await batcher.stop()

    for i, vector in enumerate(asyncio.run(search_all())):
        assert float(np.dot(vector, torch_vectors[i % len(REQUESTS)])) > 0.9999


def test_a_twin_gives_the_same_vectors_from_the_same_graph(onnx_dir: Path) -> None:
    embedder = open_embedder(MODEL, "onnx-int8", 1, onnx_dir)
    twin = embedder.twin()

    assert isinstance(twin, OnnxEmbedder) and twin.vector_space == embedder.vector_space
    np.testing.assert_array_equal(twin.embed(REQUESTS), embedder.embed(REQUESTS))


def test_exports_are_reused(onnx_dir: Path) -> None:
    open_embedder(MODEL, "onnx-int8", 1, onnx_dir)
    before = {path: path.stat().st_mtime_ns for path in onnx_dir.glob("*.onnx")}

    open_embedder(MODEL, "onnx-int8", 1, onnx_dir)

    assert len(before) == 2  # float32 and int8
    assert {path: path.stat().st_mtime_ns for path in onnx_dir.glob("*.onnx")} == before


def test_a_broken_export_falls_back_to_torch(tmp_path: Path) -> None:
    open_embedder(MODEL, "onnx", 1, tmp_path)
    (graph,) = tmp_path.glob("*.onnx")
    graph.write_bytes(b"not an onnx graph")

    embedder = open_embedder(MODEL, "onnx", 1, tmp_path)

    assert isinstance(embedder, Embedder)
    assert embedder.runtime == "torch"


def test_an_unknown_runtime_is_refused() -> None:
    with pytest.raises(ValueError, match="onnx-int8, onnx, torch"):
        open_embedder(MODEL, "tensorrt", 1, Path("unused"))


def test_the_cache_keeps_vector_spaces_apart(tmp_path: Path) -> None:
    vector = np.ones((1, 3), np.float32)
    float32 = EmbeddingCache(tmp_path / "cache.sqlite", MODEL)
    float32.put_many(["open a file"], vector)
    int8 = EmbeddingCache(tmp_path / "cache.sqlite", f"{MODEL}+onnx-int8")

    assert int8.get_many(["open a file"]) == {}
    assert list(float32.get_many(["open a file"])) == ["open a file"]
