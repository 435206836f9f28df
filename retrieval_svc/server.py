"""Builds the retrieval service from its settings."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import grpc
import structlog
import torch

from hybridtools.core.server import (
    RunningServer,
    ServiceDefinition,
    start_from_settings,
)
from hybridtools.core.settings import default_data_root
from hybridtools.retrieval.v1 import retrieval_service_pb2, retrieval_service_pb2_grpc
from retrieval_svc.config import RetrievalSettings
from retrieval_svc.embedder import EmbeddingCache, QueryBatcher, open_embedder
from retrieval_svc.examples_index import ExampleIndex
from retrieval_svc.reference_index import ReferenceIndex
from retrieval_svc.servicer import ADMIN_METHODS, RetrievalServicer
from retrieval_svc.store import VectorStore

log = structlog.get_logger(__name__)

SERVICE_NAME = retrieval_service_pb2.DESCRIPTOR.services_by_name["RetrievalService"].full_name


def open_store(settings: RetrievalSettings) -> VectorStore:
    """A Qdrant server when QDRANT_URL is set, else Qdrant's engine in-process."""
    if settings.qdrant_url:
        from retrieval_svc.store_qdrant import QdrantServerStore

        api_key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        log.info("store: qdrant server", url=settings.qdrant_url)
        return QdrantServerStore.from_url(settings.qdrant_url, api_key)
    from retrieval_svc.store_edge import EdgeVectorStore

    root = settings.state_dir("retrieval") / "qdrant-edge"
    log.info("store: embedded qdrant-edge", path=str(root))
    return EdgeVectorStore(root)


def build_service(
    settings: RetrievalSettings, store: VectorStore | None = None
) -> ServiceDefinition:
    """The service definition; models load and the store opens in `start`."""
    torch.set_num_threads(settings.torch_threads)
    state_dir = settings.state_dir("retrieval")
    import_dir = settings.import_dir or default_data_root() / "datasets"
    import_dir.mkdir(parents=True, exist_ok=True)
    parts: dict[str, object] = {}
    servicer = RetrievalServicer(import_dir)
    # Queries and bulk indexing embed on separate threads (and model copies),
    # so a 12K-example swap never queues searches behind it.
    query_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="embed-query")

    def register(server: grpc.aio.Server) -> None:
        retrieval_service_pb2_grpc.add_RetrievalServiceServicer_to_server(servicer, server)

    async def start() -> None:
        opened = store or await asyncio.to_thread(open_store, settings)
        # One after the other: transformers' loader switches torch's default
        # device while it builds a model, and two loads in parallel threads
        # can leave it on "meta" for whatever loads next.
        query_model = await asyncio.to_thread(
            open_embedder,
            settings.embedding_model,
            settings.embedder_runtime,
            settings.embedder_threads,
            settings.onnx_dir or default_data_root() / "models" / "onnx",
        )
        document_model = await asyncio.to_thread(query_model.twin)
        # Warm the query path so the first client does not pay for it.
        await asyncio.get_running_loop().run_in_executor(
            query_executor, query_model.embed, ["warm up"]
        )
        batcher = QueryBatcher(
            query_model, query_executor, settings.max_query_batch, query_model.overlapping_calls
        )
        batcher.start()
        cache = (
            EmbeddingCache(state_dir / "embedding-cache.sqlite", document_model.vector_space)
            if settings.embedding_cache
            else None
        )
        examples = ExampleIndex(opened, batcher, document_model, cache, settings.meta_ttl_s)
        await asyncio.to_thread(examples.cleanup_orphans)
        await asyncio.to_thread(examples.fit_missing_routers)
        reference = ReferenceIndex(opened, batcher, document_model, cache)
        servicer.attach(examples, reference)
        parts.update(store=opened, batcher=batcher, cache=cache, examples=examples)
        log.info(
            "retrieval ready",
            embedder=f"{document_model.model_name} on {document_model.runtime}",
            ecosystems=(await examples.list(with_tools=False))[1] or "none active",
        )

    async def stop() -> None:
        examples = parts.get("examples")
        if isinstance(examples, ExampleIndex):
            examples.stop_router_fits()  # a fit cut short now is redone at the next start
        batcher = parts.get("batcher")
        if isinstance(batcher, QueryBatcher):
            await batcher.stop()
        query_executor.shutdown(wait=False)
        cache = parts.get("cache")
        if isinstance(cache, EmbeddingCache):
            cache.close()
        opened = parts.get("store")
        if opened is not None:
            opened.close()  # type: ignore[attr-defined]

    return ServiceDefinition(
        name="retrieval",
        service_names=[SERVICE_NAME],
        register=register,
        start=start,
        stop=stop,
        admin_methods=ADMIN_METHODS,
    )


async def serve(settings: RetrievalSettings) -> RunningServer:
    return await start_from_settings(build_service(settings), settings)
