"""The `tool_examples` collection: versioned ecosystems, atomic swaps, search.

Each ecosystem is served through an alias (`tool_examples__cursor`) that
points at one complete version (`tool_examples__cursor__v3`). A swap indexes
a new version beside the serving one and then moves the alias in one atomic
step, so a search sees the old version or the new, never half of one. The
version before is kept for rollback; older ones are dropped.

Every mutation of an ecosystem holds that ecosystem's lock; a second one
arriving meanwhile is refused at once (FAILED_PRECONDITION) instead of
queueing behind a minute-long swap.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog

from hybridtools.core.errors import (
    AbortedError,
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
)
from hybridtools.ecosystems.catalog import Catalog
from retrieval_svc.embedder import Embedder, EmbeddingCache, QueryBatcher, embed_documents
from retrieval_svc.lexical import document_terms, query_terms
from retrieval_svc.sources import LoadedSource, validate_all
from retrieval_svc.store import (
    CollectionSchema,
    Hit,
    StoredPoint,
    VectorStore,
    point_id,
    require_score_threshold,
)
from retrieval_svc.tool_router import ToolRouter, fit_tool_router, routing_text, training_rows

log = structlog.get_logger(__name__)

COLLECTION = "tool_examples"
_ECOSYSTEM_NAME = re.compile(r"^[a-z][a-z0-9-]*(?:_[a-z0-9-]+)*$")
_VERSION_COLLECTION = re.compile(rf"^{COLLECTION}__(?P<eco>.+)__v(?P<n>\d+)$")
ACTIVE_KEY = "active_ecosystem"
KEYWORD_FIELDS = ("tool_name", "tool_ecosystem", "kind", "usage_pattern", "tool_version")
MAX_SEARCH_LIMIT = 100
# A search of a version indexed with its requests' terms re-ranks this many
# nearest examples by reciprocal-rank fusion of their cosine and BM25 ranks
# (ADR 0007). Measured on 240 held-out requests of the built-in ecosystems:
# the right tool among the first three tools 83% -> 90%, first 58% -> 61%.
LEXICAL_POOL = 64
RRF_K = 60
# A version's tool router (ADR 0009) lives in the store's metadata under this
# prefix and the version's collection name.
ROUTER_KEY_PREFIX = "tool_router__"
ROUTER_TTL_S = 30.0
MAX_TOOL_LIKELIHOODS = 5


def validate_ecosystem_name(name: str) -> str:
    if not name:
        raise InvalidArgumentError("ecosystem is empty")
    if len(name) > 48 or not _ECOSYSTEM_NAME.match(name):
        raise InvalidArgumentError(
            f"ecosystem name {name!r} is invalid: lowercase letters, digits, '-' and single '_', "
            "starting with a letter, at most 48 characters"
        )
    return name


def alias_name(ecosystem: str) -> str:
    return f"{COLLECTION}__{ecosystem}"


def version_collection(ecosystem: str, version: int) -> str:
    return f"{COLLECTION}__{ecosystem}__v{version}"


def _router_key(collection: str) -> str:
    return ROUTER_KEY_PREFIX + collection


def _meta_key(ecosystem: str) -> str:
    return f"ecosystem__{ecosystem}"


def _now() -> str:
    return datetime.now(UTC).isoformat()


def example_kind(example: dict[str, Any]) -> str:
    """positive | negative, from a record's proto-JSON `kind`."""
    return "negative" if example.get("kind") == "EXAMPLE_KIND_NEGATIVE" else "positive"


def to_payload(example: dict[str, Any]) -> dict[str, Any]:
    """The stored payload: the whole record plus flat fields to filter and count on.

    The record is one JSON string, not a nested object: qdrant-edge converts a
    payload value by value (~6 us each), and the nested record was over half
    of a 12K swap's indexing time (docs/benchmarks.md).
    """
    return {
        "example_json": json.dumps(example, ensure_ascii=False, separators=(",", ":")),
        "request": example.get("request", ""),
        "tool_name": example.get("tool_name", ""),
        "tool_ecosystem": example.get("ecosystem", ""),
        "kind": example_kind(example),
        "usage_pattern": example.get("usage_pattern", ""),
        "tool_version": example.get("tool_version", ""),
        "trained_in_adapter": bool(example.get("trained_in_adapter", False)),
        "quality_score": float(example.get("quality_score", 0.0)),
    }


def record_json(payload: dict[str, Any]) -> str:
    """The stored record as JSON text; versions indexed before it was one string
    hold it as an object under "example"."""
    text = payload.get("example_json")
    if isinstance(text, str):
        return text
    return json.dumps(payload.get("example") or {}, ensure_ascii=False, separators=(",", ":"))


def from_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The record back; trained_in_adapter from the flat field MarkTrained updates."""
    example = json.loads(record_json(payload))
    example["trained_in_adapter"] = bool(payload.get("trained_in_adapter", False))
    return example


@dataclass
class EcosystemState:
    """What the metadata says about one ecosystem."""

    name: str
    current: int = 0
    previous: int | None = None
    next_version: int = 1
    catalog: dict[str, Any] | None = None
    index_time: str = ""
    previous_index_time: str = ""
    # The embedder's vector space of each version ("" before it was recorded):
    # queries embedded in another space still work but match less well.
    vector_space: str = ""
    previous_vector_space: str = ""
    # Whether each version's points carry their requests' terms (versions
    # indexed before that was added do not; they are ranked by cosine alone).
    lexical: bool = False
    previous_lexical: bool = False

    @classmethod
    def from_meta(cls, value: dict[str, Any]) -> EcosystemState:
        return cls(**{k: value[k] for k in cls.__dataclass_fields__ if k in value})

    def to_meta(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ToolCounts:
    tool_name: str
    positive: int
    negative: int
    trained: int


@dataclass(frozen=True)
class EcosystemSummary:
    name: str
    version: str
    active: bool
    previous_version: str
    positive_count: int
    negative_count: int
    tools: list[ToolCounts]
    index_time: str
    catalog: dict[str, Any] | None
    # The serving version's tool router is fitted (ADR 0009).
    tool_router: bool = False


@dataclass(frozen=True)
class SwapEvent:
    stage: str  # validating | embedding | indexing | switching | done
    processed: int = 0
    total: int = 0
    summary: EcosystemSummary | None = None
    previous_version: str = ""
    elapsed_ms: float = 0.0


# The stages a swap can still stop at without a trace (its version is not live yet).
_STOPPABLE_STAGES = frozenset({"validating", "embedding", "indexing", "switching"})


class SwapCancelledError(Exception):
    """Raised on the swap's thread when its client has left before the switch."""


def _log_swap_left_behind(work: asyncio.Future[SwapEvent]) -> None:
    """How a swap whose client left ended (nobody reads its result otherwise)."""
    error = work.exception()
    if isinstance(error, SwapCancelledError):
        log.info("swap cancelled", reason=str(error))
    elif error is not None:
        log.warning("swap failed after its client left", error=repr(error))
    else:
        event = work.result()
        summary = event.summary
        log.info(
            "swap finished after its client left",
            ecosystem=summary.name if summary else "",
            version=summary.version if summary else "",
        )


@dataclass(frozen=True)
class ExampleHit:
    """A found example as stored (JSON text), its live trained flag and its scores.

    `score` is the cosine similarity of its request to the query; results come
    in descending `relevance`, that similarity fused with the BM25 match where
    the version has terms (1.0 = first by both), else the similarity itself.
    """

    record_json: str
    trained_in_adapter: bool
    score: float
    relevance: float


@dataclass(frozen=True)
class SearchResult:
    ecosystem: str
    version: str
    hits: list[ExampleHit] = field(default_factory=list)
    # (tool, probability), likeliest first: asked for, and the version has a router.
    tool_likelihoods: list[tuple[str, float]] = field(default_factory=list)


# A router's training data: a version's positive requests, their tools, and the
# catalog's tool descriptions.
RouterData = tuple[list[str], list[str], dict[str, str]]

# Reads the source, given the ecosystem's current catalog (None for a new one).
SourceLoader = Callable[[Catalog | None], LoadedSource]


class ExampleIndex:
    """The tool_examples collection across ecosystems and versions."""

    def __init__(
        self,
        store: VectorStore,
        query_embedder: QueryBatcher,
        document_embedder: Embedder,
        embedding_cache: EmbeddingCache | None = None,
        meta_ttl_s: float = 2.0,
        upsert_batch: int = 256,
    ) -> None:
        self._store = store
        self._queries = query_embedder
        self._documents = document_embedder
        self._cache = embedding_cache
        self._meta_ttl_s = meta_ttl_s
        self._upsert_batch = upsert_batch
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._states: dict[str, EcosystemState] = {}
        self._active: str = ""
        self._loaded_at = -1e9
        # collection -> (when read, its router or None); None is read again
        # after the TTL, since the fit ends after the swap (maybe on a replica).
        self._routers: dict[str, tuple[float, ToolRouter | None]] = {}
        # The fit that may store each version's router; a fit no longer named
        # here (its version dropped, or a DeleteExamples started a newer fit)
        # ends without storing what it fitted.
        self._router_fits: dict[str, threading.Thread] = {}
        self._router_fits_guard = threading.Lock()
        # Set as the service stops: a fit then cut short (its cache or store closed
        # under it) is fitted again at the next start, not reported as a failure.
        self._stopping = threading.Event()

    def stop_router_fits(self) -> None:
        """Called before the store and the embedding cache close."""
        self._stopping.set()

    # -- metadata -----------------------------------------------------------

    def _lock_for(self, ecosystem: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(ecosystem, threading.Lock())

    def _try_lock(self, ecosystem: str, action: str) -> threading.Lock:
        lock = self._lock_for(ecosystem)
        if not lock.acquire(blocking=False):
            raise FailedPreconditionError(
                f"cannot {action} ecosystem {ecosystem!r}: another change to it (a swap) is "
                "running; retry when it has finished"
            )
        return lock

    def _refresh(self, force: bool = False) -> None:
        """Reloads the metadata when it is older than the TTL (other replicas write it)."""
        if not force and time.monotonic() - self._loaded_at < self._meta_ttl_s:
            return
        names = set()
        for collection in self._store.list_collections():
            found = _VERSION_COLLECTION.match(collection)
            if found:
                names.add(found["eco"])
        states: dict[str, EcosystemState] = {}
        for name in names:
            meta = self._store.get_meta(_meta_key(name))
            if meta is not None and self._store.resolve_alias(alias_name(name)) is not None:
                states[name] = EcosystemState.from_meta(meta)
        active_meta = self._store.get_meta(ACTIVE_KEY) or {}
        self._states = states
        self._active = active_meta.get("name", "") if active_meta.get("name") in states else ""
        self._loaded_at = time.monotonic()

    def _state(self, ecosystem: str) -> EcosystemState:
        self._refresh()
        state = self._states.get(ecosystem)
        if state is None:
            self._refresh(force=True)
            state = self._states.get(ecosystem)
        if state is None:
            known = ", ".join(sorted(self._states)) or "none"
            raise NotFoundError(f"ecosystem {ecosystem!r} is not indexed (indexed: {known})")
        return state

    def _resolve(self, ecosystem: str) -> str:
        """The ecosystem a request means: its own, or the active one."""
        if ecosystem:
            return validate_ecosystem_name(ecosystem)
        self._refresh()
        if not self._active:
            raise FailedPreconditionError(
                "no ecosystem is active: name one, or swap one in with activate=true"
            )
        return self._active

    def active_ecosystem(self) -> str:
        self._refresh()
        return self._active

    def catalog(self, ecosystem: str) -> Catalog | None:
        state = self._states.get(ecosystem)
        if state is None or state.catalog is None:
            return None
        return _catalog_from_meta(state.catalog)

    def _save_state(self, state: EcosystemState) -> None:
        self._store.put_meta(_meta_key(state.name), state.to_meta())
        self._states[state.name] = state

    def _set_active(self, ecosystem: str) -> None:
        self._store.put_meta(ACTIVE_KEY, {"name": ecosystem})
        self._active = ecosystem

    def cleanup_orphans(self) -> list[str]:
        """Puts each alias back on the version its metadata records, then drops versions no
        alias or rollback needs (left by a crash mid-swap)."""
        self._refresh(force=True)
        for state in self._states.values():
            self._realign_alias(state)
        dropped = []
        for collection in self._store.list_collections():
            found = _VERSION_COLLECTION.match(collection)
            if not found:
                continue
            state = self._states.get(found["eco"])
            keep = {state.current, state.previous} if state else set()
            if self._store.resolve_alias(alias_name(found["eco"])) == collection:
                continue
            if int(found["n"]) not in keep:
                self._drop_version(collection)
                dropped.append(collection)
        if dropped:
            log.info("dropped unfinished versions", collections=dropped)
        for state in self._states.values():
            if state.vector_space and state.vector_space != self._documents.vector_space:
                log.warning(
                    "ecosystem indexed with another embedder: swap it again for the best matches",
                    ecosystem=state.name,
                    indexed_with=state.vector_space,
                    serving_with=self._documents.vector_space,
                )
        return dropped

    def _realign_alias(self, state: EcosystemState) -> None:
        """Points an ecosystem's alias at the version its metadata records.

        A swap or a rollback switches the alias and then saves the metadata; a crash
        between the two left the alias on a version the metadata does not record: the
        summaries told one version while searches read another, and the next swap,
        numbering its version from the metadata, dropped the one being served. The
        change's caller got no answer, so the change is undone: the recorded version
        serves again (a swap's new version is then an orphan, dropped next; a rollback's
        target stays the previous version).
        """
        alias = alias_name(state.name)
        recorded = version_collection(state.name, state.current)
        serving = self._store.resolve_alias(alias)
        if serving == recorded:
            return
        if not self._store.collection_exists(recorded):
            log.error(
                "ecosystem's recorded version is missing; swap it again",
                ecosystem=state.name,
                recorded=recorded,
                serving=serving,
            )
            return
        self._store.switch_alias(alias, recorded)
        log.warning(
            "alias and metadata disagreed (a crash mid-change); serving the recorded version",
            ecosystem=state.name,
            was=serving,
            now=recorded,
        )

    # -- swap, rollback, activate ------------------------------------------

    async def swap(
        self,
        ecosystem: str,
        load: SourceLoader,
        activate: bool,
        wait_for_router: bool = False,
    ) -> AsyncIterator[SwapEvent]:
        """Indexes a new version and switches to it; yields progress, then the result."""
        validate_ecosystem_name(ecosystem)
        lock = self._try_lock(ecosystem, "swap")
        loop = asyncio.get_running_loop()
        events: asyncio.Queue[SwapEvent] = asyncio.Queue()
        client_left = threading.Event()

        def report(event: SwapEvent) -> None:
            # Up to the switch, a swap whose client has left (a cancelled call, a
            # deadline) stops here and its new version is dropped: the one that
            # asked no longer waits to see it go live. After it, the swap is done.
            if client_left.is_set() and event.stage in _STOPPABLE_STAGES:
                raise SwapCancelledError(
                    f"swap of {ecosystem!r} cancelled by its client before the switch"
                )
            loop.call_soon_threadsafe(events.put_nowait, event)

        def run() -> SwapEvent:
            try:
                return self._swap_blocking(ecosystem, load, activate, report, wait_for_router)
            finally:
                lock.release()  # held until the work ends, even if the client left

        work = asyncio.ensure_future(asyncio.to_thread(run))
        try:
            while not work.done():
                getter = asyncio.ensure_future(events.get())
                await asyncio.wait({work, getter}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    yield getter.result()
                else:
                    getter.cancel()
            while not events.empty():
                yield events.get_nowait()
            yield work.result()
        finally:
            if not work.done():
                client_left.set()
                work.add_done_callback(_log_swap_left_behind)

    def _swap_blocking(
        self,
        ecosystem: str,
        load: SourceLoader,
        activate: bool,
        report: Callable[[SwapEvent], None],
        wait_for_router: bool = False,
    ) -> SwapEvent:
        started = time.perf_counter()
        self._refresh(force=True)
        old_state = self._states.get(ecosystem)
        old_catalog = (
            _catalog_from_meta(old_state.catalog) if old_state and old_state.catalog else None
        )
        report(SwapEvent("validating"))
        source = load(old_catalog)
        catalog = source.catalog or old_catalog
        if catalog is None:
            raise InvalidArgumentError(
                f"ecosystem {ecosystem!r} is new: send its catalog (tool definitions and call "
                "format) with the examples"
            )
        examples = _dedupe_by_id(source.examples)
        state = old_state or EcosystemState(name=ecosystem)
        version = max(state.next_version, 1)
        collection = version_collection(ecosystem, version)
        if self._store.resolve_alias(alias_name(ecosystem)) == collection:
            # Never drop what is served; a restart realigns alias and metadata.
            raise FailedPreconditionError(
                f"ecosystem {ecosystem!r} is served from {collection}, which its metadata does "
                "not record (a crash between a switch and its record?); restart the retrieval "
                "service, which puts them back in line, then retry"
            )
        self._drop_version(collection)  # a leftover of a crashed swap
        self._store.create_collection(
            collection,
            CollectionSchema(
                vector_size=self._documents.dimension,
                keyword_fields=KEYWORD_FIELDS,
                bool_fields=("trained_in_adapter",),
                float_fields=("quality_score",),
                lexical_terms=True,
            ),
        )
        try:
            total = len(examples)
            report(SwapEvent("embedding", 0, total))
            vectors = embed_documents(
                self._documents,
                [e["request"] for e in examples],
                self._cache,
                on_progress=lambda done: report(SwapEvent("embedding", done, total)),
            )
            for start in range(0, total, self._upsert_batch):
                batch = examples[start : start + self._upsert_batch]
                self._store.upsert(
                    collection,
                    [
                        StoredPoint(
                            point_id(e["id"]),
                            vectors[start + i],
                            to_payload(e),
                            document_terms(e["request"]),
                        )
                        for i, e in enumerate(batch)
                    ],
                )
                report(SwapEvent("indexing", min(start + len(batch), total), total))
            _flush(self._store, collection)
            report(SwapEvent("switching", total, total))
            alias = alias_name(ecosystem)
            serving = self._store.resolve_alias(alias)
            expected = version_collection(ecosystem, state.current) if old_state else None
            if serving != expected:
                raise AbortedError(
                    f"ecosystem {ecosystem!r} changed while this swap ran (now {serving}); "
                    "nothing was switched, retry the swap"
                )
            self._store.switch_alias(alias, collection)
        except BaseException:
            self._drop_version(collection)
            raise
        too_old = state.previous
        new_state = EcosystemState(
            name=ecosystem,
            current=version,
            previous=state.current if old_state else None,
            next_version=version + 1,
            catalog=_catalog_to_meta(catalog),
            index_time=_now(),
            previous_index_time=state.index_time if old_state else "",
            vector_space=self._documents.vector_space,
            previous_vector_space=state.vector_space if old_state else "",
            lexical=True,
            previous_lexical=state.lexical if old_state else False,
        )
        self._save_state(new_state)
        if too_old is not None:
            self._drop_version(version_collection(ecosystem, too_old))
        self._refresh(force=True)
        if activate or not self._active:
            self._set_active(ecosystem)
        elapsed_ms = (time.perf_counter() - started) * 1000
        positives = [i for i, e in enumerate(examples) if example_kind(e) == "positive"]
        fit = self._start_router_fit(
            collection,
            lambda: (
                [examples[i]["request"] for i in positives],
                [examples[i].get("tool_name", "") for i in positives],
                _descriptions(catalog),
            ),
        )
        if wait_for_router:
            report(SwapEvent("fitting_router", len(positives), len(positives)))
            fit.join()
        log.info(
            "ecosystem swapped",
            ecosystem=ecosystem,
            version=f"v{version}",
            examples=len(examples),
            source=source.description,
            elapsed_ms=round(elapsed_ms),
        )
        return SwapEvent(
            "done",
            len(examples),
            len(examples),
            summary=self._summary(new_state, with_tools=True),
            previous_version=f"v{new_state.previous}" if new_state.previous else "",
            elapsed_ms=elapsed_ms,
        )

    async def rollback(self, ecosystem: str) -> tuple[EcosystemSummary, str, float]:
        validate_ecosystem_name(ecosystem)
        lock = self._try_lock(ecosystem, "roll back")
        try:
            return await asyncio.to_thread(self._rollback_blocking, ecosystem)
        finally:
            lock.release()

    def _rollback_blocking(self, ecosystem: str) -> tuple[EcosystemSummary, str, float]:
        started = time.perf_counter()
        self._refresh(force=True)
        state = self._state(ecosystem)
        if state.previous is None or not self._store.collection_exists(
            version_collection(ecosystem, state.previous)
        ):
            raise FailedPreconditionError(
                f"ecosystem {ecosystem!r} has no previous version to roll back to"
            )
        self._store.switch_alias(
            alias_name(ecosystem), version_collection(ecosystem, state.previous)
        )
        new_state = EcosystemState(
            name=ecosystem,
            current=state.previous,
            previous=state.current,
            next_version=state.next_version,
            catalog=state.catalog,
            index_time=state.previous_index_time or state.index_time,
            previous_index_time=state.index_time,
            vector_space=state.previous_vector_space,
            previous_vector_space=state.vector_space,
            lexical=state.previous_lexical,
            previous_lexical=state.lexical,
        )
        self._save_state(new_state)
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.info(
            "ecosystem rolled back",
            ecosystem=ecosystem,
            to=f"v{new_state.current}",
            elapsed_ms=round(elapsed_ms),
        )
        return self._summary(new_state, with_tools=True), f"v{state.current}", elapsed_ms

    async def activate(self, ecosystem: str) -> tuple[EcosystemSummary, str]:
        validate_ecosystem_name(ecosystem)
        state = await asyncio.to_thread(self._state, ecosystem)
        previously = self._active
        await asyncio.to_thread(self._set_active, ecosystem)
        return await asyncio.to_thread(self._summary, state, True), previously

    # -- tool routers -----------------------------------------------------------

    def _drop_version(self, collection: str) -> None:
        self._forget_router(collection)  # first: a fit still running stores nothing
        self._store.drop_collection(collection)

    def _forget_router(self, collection: str) -> None:
        with self._router_fits_guard:
            self._router_fits.pop(collection, None)
            self._store.delete_meta(_router_key(collection))
            self._routers[collection] = (time.monotonic(), None)

    def _start_router_fit(
        self, collection: str, positives: Callable[[], RouterData]
    ) -> threading.Thread:
        """Fits a version's router in the background (after a swap has switched)."""
        thread = threading.Thread(
            target=self._fit_router,
            args=(collection, positives),
            name=f"router-fit-{collection}",
            daemon=True,
        )
        with self._router_fits_guard:
            self._router_fits[collection] = thread
        thread.start()
        return thread

    def _fit_router(self, collection: str, positives: Callable[[], RouterData]) -> None:
        started = time.perf_counter()
        this_fit = threading.current_thread()
        try:
            requests, tool_names, descriptions = positives()
            texts, tools, weights = training_rows(requests, tool_names, descriptions)
            # In this thread, after the switch: the version already serves meanwhile.
            vectors = embed_documents(
                self._documents, [routing_text(t) for t in texts], self._cache
            )
            router = fit_tool_router(texts, vectors, tools, weights=weights)
            if router is None:
                return
            with self._router_fits_guard:
                if self._router_fits.get(collection) is not this_fit:
                    return  # superseded: its examples are no longer the version's
                self._store.put_meta(_router_key(collection), router.to_meta())
                self._routers[collection] = (time.monotonic(), router)
            log.info(
                "tool router fitted",
                collection=collection,
                examples=len(requests),
                tools=len(router.tools),
                elapsed_ms=round((time.perf_counter() - started) * 1000),
            )
        except Exception as exc:  # noqa: BLE001 - the version serves without one
            if self._stopping.is_set():
                log.info("tool router fit cut short by the stop", collection=collection)
            else:
                log.warning("tool router not fitted", collection=collection, error=str(exc))
        finally:
            with self._router_fits_guard:
                if self._router_fits.get(collection) is this_fit:
                    del self._router_fits[collection]

    def fit_missing_routers(self) -> list[str]:
        """Fits, one after another in the background, a router for each serving version
        without one: indexed before routers existed, or a restart cut its fit short. Their
        positives are embedded again (from the embedding cache where it has them). One at a
        time keeps a start's memory to one fit's and gives the first router soonest."""
        self._refresh(force=True)
        serving = {version_collection(s.name, s.current): s.name for s in self._states.values()}
        missing = [
            collection
            for collection in serving
            if collection not in self._router_fits and self._router(collection) is None
        ]
        if not missing:
            return []

        def fit_each() -> None:
            for collection in missing:
                self._fit_router(
                    collection,
                    lambda c=collection: self._stored_positives(c, serving[c]),
                )

        thread = threading.Thread(target=fit_each, name="router-fit-missing", daemon=True)
        with self._router_fits_guard:
            for collection in missing:
                self._router_fits[collection] = thread
        thread.start()
        log.info("fitting tool routers for versions without one", collections=missing)
        return missing

    def _stored_positives(self, collection: str, ecosystem: str) -> RouterData:
        """The positives of `collection`, a serving version of `ecosystem`."""
        # In id order: the fit sees the same data in the same order on every replica.
        hits = sorted(self._store.scroll(collection, {"kind": "positive"}), key=lambda h: h.id)
        return (
            [str(h.payload.get("request", "")) for h in hits],
            [str(h.payload.get("tool_name", "")) for h in hits],
            _descriptions(self.catalog(ecosystem)),
        )

    def _cached_router(self, collection: str) -> tuple[bool, ToolRouter | None]:
        """(still fresh, the router) as this process last saw it, without the store."""
        cached = self._routers.get(collection)
        if cached is None:
            return False, None
        # A router found is read again less often (it is MBs of JSON): another
        # replica's refit reaches this one within ROUTER_TTL_S.
        ttl = ROUTER_TTL_S if cached[1] is not None else self._meta_ttl_s
        return time.monotonic() - cached[0] < ttl, cached[1]

    def _router(self, collection: str) -> ToolRouter | None:
        fresh, router = self._cached_router(collection)
        if fresh:
            return router
        meta = self._store.get_meta(_router_key(collection))
        router = ToolRouter.from_meta(meta) if meta is not None else None
        self._routers[collection] = (time.monotonic(), router)
        return router

    # -- reads ----------------------------------------------------------------

    async def search(
        self,
        query: str,
        ecosystem: str,
        tool_names: Sequence[str] = (),
        limit: int = 3,
        include_negatives: bool = False,
        exclude_trained: bool = False,
        score_threshold: float = 0.0,
        rank_tools: bool = False,
    ) -> SearchResult:
        if not query.strip():
            raise InvalidArgumentError("query is empty")
        if not 1 <= limit <= MAX_SEARCH_LIMIT:
            raise InvalidArgumentError(f"limit must be 1..{MAX_SEARCH_LIMIT}, got {limit}")
        require_score_threshold(score_threshold)
        eco = self._resolve(ecosystem)
        state = self._state(eco)
        match: dict[str, Any] = {}
        if not include_negatives:
            match["kind"] = "positive"
        if tool_names:
            match["tool_name"] = list(tool_names)
        if exclude_trained:
            match["trained_in_adapter"] = False
        routing_words = routing_text(query) if rank_tools else query
        if routing_words == query:
            vector = routing_vector = await self._queries.embed(query)
        else:  # both in one batch of the query embedder
            vector, routing_vector = await asyncio.gather(
                self._queries.embed(query), self._queries.embed(routing_words)
            )
        collection = alias_name(eco)
        if state.lexical:
            ranked = self._fused_search(
                collection, query, vector, limit, match or None, score_threshold or None
            )
        else:
            hits = self._store.search(
                collection, vector, limit, match or None, score_threshold or None
            )
            ranked = [(hit, hit.score) for hit in hits]
        likelihoods: list[tuple[str, float]] = []
        if rank_tools:
            serving = version_collection(eco, state.current)
            fresh, router = self._cached_router(serving)
            if not fresh:  # reading and parsing MBs of JSON stays off the event loop
                router = await asyncio.to_thread(self._router, serving)
            if router is not None:
                likelihoods = _restricted(router.likelihoods(query, routing_vector), tool_names)
        return SearchResult(
            eco,
            f"v{state.current}",
            [
                ExampleHit(
                    record_json(h.payload),
                    bool(h.payload.get("trained_in_adapter")),
                    h.score,
                    relevance,
                )
                for h, relevance in ranked
            ],
            likelihoods[:MAX_TOOL_LIKELIHOODS],
        )

    def _fused_search(
        self,
        collection: str,
        query: str,
        vector: Sequence[float],
        limit: int,
        match: dict[str, Any] | None,
        score_threshold: float | None,
    ) -> list[tuple[Hit, float]]:
        """The best `limit` of the nearest LEXICAL_POOL by fused rank, with their payloads.

        The pool comes without payloads (turning 64 payloads into Python objects
        cost more than the search), and only the results' are read afterwards.
        """
        pool = self._store.search(
            collection,
            vector,
            max(limit, LEXICAL_POOL),
            match,
            score_threshold,
            with_payload=False,
        )
        # Equal scores would come back in the store's internal order: ties go by
        # id, so that the order depends on the data alone.
        pool = sorted(pool, key=lambda hit: (-hit.score, hit.id))
        ranked = self._fused(collection, query, pool)[:limit]
        found = {
            hit.id: hit.payload
            for hit in self._store.retrieve(collection, [h.id for h, _ in ranked])
        }
        # A point deleted since the search (a concurrent delete) is left out.
        return [
            (Hit(hit.id, hit.score, found[hit.id]), relevance)
            for hit, relevance in ranked
            if hit.id in found
        ]

    def _fused(self, collection: str, query: str, hits: list[Hit]) -> list[tuple[Hit, float]]:
        """`hits` (nearest first) re-ranked by reciprocal-rank fusion with their BM25 ranks."""
        try:
            lexical = self._store.rank_by_terms(
                collection, query_terms(query), [h.id for h in hits]
            )
        except Exception as exc:  # noqa: BLE001 - e.g. a rollback to a version without terms
            log.warning("lexical ranking failed; cosine order kept", error=str(exc))
            return [(hit, hit.score) for hit in hits]
        nearness = {hit.id: rank for rank, hit in enumerate(hits)}
        # Requests made from one template often score the same BM25: the nearer one first.
        lexical = sorted(lexical, key=lambda hit: (-hit.score, nearness[hit.id]))
        lexical_rank = {hit.id: rank for rank, hit in enumerate(lexical)}
        unmatched = len(hits)  # no term in common: ranked after every match

        def reciprocal(rank: int) -> float:
            return 1.0 / (RRF_K + 1 + rank)

        best = 2 * reciprocal(0)
        fused = [
            (hit, (reciprocal(rank) + reciprocal(lexical_rank.get(hit.id, unmatched))) / best)
            for rank, hit in enumerate(hits)
        ]
        return sorted(fused, key=lambda pair: pair[1], reverse=True)

    def _summary(self, state: EcosystemState, with_tools: bool) -> EcosystemSummary:
        collection = alias_name(state.name)
        positives = self._store.facet(collection, "tool_name", {"kind": "positive"})
        negatives = self._store.facet(collection, "tool_name", {"kind": "negative"})
        tools: list[ToolCounts] = []
        if with_tools:
            trained = self._store.facet(collection, "tool_name", {"trained_in_adapter": True})
            for tool in sorted(set(positives) | set(negatives)):
                tools.append(
                    ToolCounts(
                        tool, positives.get(tool, 0), negatives.get(tool, 0), trained.get(tool, 0)
                    )
                )
        return EcosystemSummary(
            name=state.name,
            version=f"v{state.current}",
            active=state.name == self._active,
            previous_version=f"v{state.previous}" if state.previous else "",
            positive_count=sum(positives.values()),
            negative_count=sum(negatives.values()),
            tools=tools,
            index_time=state.index_time,
            catalog=state.catalog,
            tool_router=self._router(version_collection(state.name, state.current)) is not None,
        )

    async def list(self, with_tools: bool = True) -> tuple[list[EcosystemSummary], str]:
        def read() -> tuple[list[EcosystemSummary], str]:
            self._refresh(force=True)
            summaries = [self._summary(s, with_tools) for _, s in sorted(self._states.items())]
            return summaries, self._active

        return await asyncio.to_thread(read)

    async def get(self, ecosystem: str) -> EcosystemSummary:
        eco = self._resolve(ecosystem)
        return await asyncio.to_thread(lambda: self._summary(self._state(eco), True))

    async def scroll(self, ecosystem: str, tool_names: Sequence[str] = ()) -> list[dict[str, Any]]:
        """Every example of an ecosystem (or of some of its tools)."""
        eco = self._resolve(ecosystem)
        self._state(eco)
        match = {"tool_name": list(tool_names)} if tool_names else None
        return await asyncio.to_thread(
            lambda: [from_payload(h.payload) for h in self._store.scroll(alias_name(eco), match)]
        )

    # -- small mutations ------------------------------------------------------

    async def upsert(self, ecosystem: str, examples: list[dict[str, Any]]) -> tuple[list[str], str]:
        validate_ecosystem_name(ecosystem)
        if not examples:
            raise InvalidArgumentError("examples is empty")
        lock = self._try_lock(ecosystem, "upsert into")
        try:
            return await asyncio.to_thread(self._upsert_blocking, ecosystem, examples)
        finally:
            lock.release()

    def _upsert_blocking(
        self, ecosystem: str, examples: list[dict[str, Any]]
    ) -> tuple[list[str], str]:
        state = self._state(ecosystem)
        catalog = _catalog_from_meta(state.catalog) if state.catalog else None
        validate_all(examples, ecosystem, catalog, "example", "upsert")
        vectors = embed_documents(self._documents, [e["request"] for e in examples], self._cache)
        collection = version_collection(ecosystem, state.current)
        self._store.upsert(
            collection,
            [
                StoredPoint(
                    point_id(e["id"]),
                    v,
                    to_payload(e),
                    document_terms(e["request"]) if state.lexical else None,
                )
                for e, v in zip(examples, vectors, strict=True)
            ],
        )
        _flush(self._store, collection)
        return [e["id"] for e in examples], f"v{state.current}"

    async def delete(self, ecosystem: str, tool_names: Sequence[str]) -> tuple[int, bool]:
        if not ecosystem:
            if not tool_names:
                raise InvalidArgumentError("name an ecosystem, tool names, or both")
            # Every ecosystem's lock first: one busy must leave all unchanged, not some
            # deleted from before the refusal.
            names = sorted(self._states)
            locks: list[threading.Lock] = []
            try:
                for name in names:
                    locks.append(self._try_lock(name, "delete from"))
                total = 0
                for name in names:
                    total += (
                        await asyncio.to_thread(self._delete_blocking, name, list(tool_names))
                    )[0]
                return total, False
            finally:
                for lock in locks:
                    lock.release()
        validate_ecosystem_name(ecosystem)
        lock = self._try_lock(ecosystem, "delete from")
        try:
            return await asyncio.to_thread(self._delete_blocking, ecosystem, list(tool_names))
        finally:
            lock.release()

    def _delete_blocking(self, ecosystem: str, tool_names: list[str]) -> tuple[int, bool]:
        state = self._state(ecosystem)
        collection = version_collection(ecosystem, state.current)
        if tool_names:
            deleted = self._store.delete(collection, {"tool_name": tool_names})
            if deleted:
                # The router would still send requests to the deleted tools: it goes
                # at once, and one fitted on the examples left replaces it.
                self._forget_router(collection)
                self._start_router_fit(
                    collection, lambda: self._stored_positives(collection, ecosystem)
                )
            return deleted, False
        count = self._store.count(collection)
        self._store.delete_alias(alias_name(ecosystem))
        for version in (state.current, state.previous):
            if version is not None:
                self._drop_version(version_collection(ecosystem, version))
        self._store.delete_meta(_meta_key(ecosystem))
        if self._active == ecosystem:
            self._store.delete_meta(ACTIVE_KEY)
            self._active = ""
        self._refresh(force=True)
        log.info("ecosystem removed", ecosystem=ecosystem, examples=count)
        return count, True

    async def mark_trained(self, ecosystem: str, tool_names: Sequence[str], value: bool) -> int:
        validate_ecosystem_name(ecosystem)
        lock = self._try_lock(ecosystem, "mark")
        try:

            def mark() -> int:
                state = self._state(ecosystem)
                collection = version_collection(ecosystem, state.current)
                match = {"tool_name": list(tool_names)} if tool_names else {}
                if match:
                    return self._store.set_payload(collection, match, {"trained_in_adapter": value})
                # No filter: every point (a match on either kind covers all).
                return self._store.set_payload(
                    collection, {"kind": ["positive", "negative"]}, {"trained_in_adapter": value}
                )

            return await asyncio.to_thread(mark)
        finally:
            lock.release()


def _restricted(
    likelihoods: list[tuple[str, float]], tool_names: Sequence[str]
) -> list[tuple[str, float]]:
    """The likelihoods of the tools a search is filtered to, summing to 1 again."""
    if not tool_names:
        return likelihoods
    kept = [(tool, p) for tool, p in likelihoods if tool in tool_names]
    total = sum(p for _, p in kept)
    return [(tool, p / total) for tool, p in kept] if total > 0 else kept


def _flush(store: VectorStore, collection: str) -> None:
    flush = getattr(store, "flush", None)
    if flush is not None:
        flush(collection)


def _dedupe_by_id(examples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Last one wins, as an upsert of the same id would."""
    return list({e["id"]: e for e in examples}.values())


def _catalog_to_meta(catalog: Catalog) -> dict[str, Any]:
    from google.protobuf import json_format

    return json_format.MessageToDict(catalog.to_proto(), preserving_proto_field_name=True)


def _descriptions(catalog: Catalog | None) -> dict[str, str]:
    """Tool name -> description, for the tool router's fit."""
    return {tool.name: tool.description for tool in catalog.tools} if catalog else {}


def _catalog_from_meta(value: dict[str, Any]) -> Catalog:
    from google.protobuf import json_format

    from hybridtools.common.v1 import tools_pb2

    return Catalog.from_proto(json_format.ParseDict(value, tools_pb2.ToolCatalog()))
