"""RetrievalService as the inference service uses it: examples and catalogs.

Statuses from retrieval become the inference service's own errors, so a
caller sees NOT_FOUND for an unknown ecosystem and UNAVAILABLE when retrieval
is down, never a bare INTERNAL.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import grpc

from hybridtools.common.v1 import tools_pb2
from hybridtools.core.channels import aio_channel
from hybridtools.core.errors import (
    PEER_STATUSES_PASSED_THROUGH,
    ServiceError,
    UnavailableError,
)
from hybridtools.ecosystems.catalog import Catalog
from hybridtools.ecosystems.examples import arguments_from_call
from hybridtools.retrieval.v1 import retrieval_service_pb2 as rpb
from hybridtools.retrieval.v1 import retrieval_service_pb2_grpc as rpb_grpc


@dataclass(frozen=True)
class RetrievedExample:
    """One example as the prompt builder needs it."""

    id: str
    tool_name: str
    request: str
    call_name: str
    call_arguments: dict[str, Any]
    kind: str  # positive | negative
    score: float  # cosine similarity of its request to the query
    # The retrieval service's ranking key (cosine fused with BM25, see
    # retrieval_svc.examples_index); the score where a service sends none.
    relevance: float
    quality_score: float
    tool_version: str
    wrong_call_name: str = ""
    wrong_call_arguments: dict[str, Any] | None = None
    error_description: str = ""


@dataclass(frozen=True)
class ExampleSearch:
    ecosystem: str
    version: str
    examples: list[RetrievedExample]
    # (tool, probability) by the version's tool router, likeliest first; empty
    # when not asked for or while the router is not fitted.
    tool_likelihoods: list[tuple[str, float]] = field(default_factory=list)


def _to_example(scored: tools_pb2.ScoredToolExample) -> RetrievedExample:
    example = scored.example
    negative = example.kind == tools_pb2.EXAMPLE_KIND_NEGATIVE
    return RetrievedExample(
        id=example.id,
        tool_name=example.tool_name,
        request=example.request,
        call_name=example.call.name,
        call_arguments=arguments_from_call(example.call),
        kind="negative" if negative else "positive",
        score=scored.score,
        relevance=scored.relevance or scored.score,
        quality_score=example.quality_score,
        tool_version=example.tool_version,
        wrong_call_name=example.wrong_call.name if negative else "",
        wrong_call_arguments=arguments_from_call(example.wrong_call) if negative else None,
        error_description=example.error_description,
    )


class RetrievalClient:
    def __init__(self, address: str, timeout_s: float = 5.0, catalog_ttl_s: float = 10.0) -> None:
        self.address = address
        self._timeout_s = timeout_s
        self._catalog_ttl_s = catalog_ttl_s
        self._channel = aio_channel(address)
        self._stub = rpb_grpc.RetrievalServiceStub(self._channel)
        self._catalogs: dict[str, tuple[float, str, Catalog]] = {}

    async def close(self) -> None:
        await self._channel.close()

    def _error(self, error: grpc.aio.AioRpcError, what: str) -> ServiceError:
        mapped = PEER_STATUSES_PASSED_THROUGH.get(error.code())
        if mapped is not None:
            return mapped(error.details() or what)
        return UnavailableError(
            f"retrieval service at {self.address} failed {what}: {error.code().name} "
            f"{error.details() or ''}".strip()
        )

    async def search(
        self,
        query: str,
        ecosystem: str,
        limit: int,
        include_negatives: bool = False,
        tool_names: tuple[str, ...] = (),
        rank_tools: bool = False,
    ) -> ExampleSearch:
        try:
            response = await self._stub.SearchExamples(
                rpb.SearchExamplesRequest(
                    query=query,
                    ecosystem=ecosystem,
                    limit=limit,
                    include_negatives=include_negatives,
                    tool_names=tool_names,
                    rank_tools=rank_tools,
                ),
                timeout=self._timeout_s,
            )
        except grpc.aio.AioRpcError as error:
            raise self._error(error, "to search examples") from error
        return ExampleSearch(
            response.ecosystem,
            response.ecosystem_version,
            [_to_example(r) for r in response.results],
            [(t.tool_name, t.probability) for t in response.tool_likelihoods],
        )

    async def catalog(self, ecosystem: str, version: str = "") -> Catalog:
        """The ecosystem's catalog, cached until the TTL ends or the version moves."""
        cached = self._catalogs.get(ecosystem)
        now = time.monotonic()
        if (
            cached
            and now - cached[0] < self._catalog_ttl_s
            and (not version or cached[1] == version)
        ):
            return cached[2]
        try:
            response = await self._stub.GetEcosystem(
                rpb.GetEcosystemRequest(ecosystem=ecosystem), timeout=self._timeout_s
            )
        except grpc.aio.AioRpcError as error:
            raise self._error(error, "to read the ecosystem's catalog") from error
        catalog = Catalog.from_proto(response.catalog)
        self._catalogs[response.ecosystem.name] = (now, response.ecosystem.version, catalog)
        return catalog

    async def active_ecosystem(self) -> str:
        try:
            response = await self._stub.GetEcosystem(
                rpb.GetEcosystemRequest(), timeout=self._timeout_s
            )
        except grpc.aio.AioRpcError as error:
            raise self._error(error, "to name the active ecosystem") from error
        return response.ecosystem.name

    async def reference(self, query: str, limit: int, threshold: float) -> list[rpb.ReferenceChunk]:
        try:
            response = await self._stub.SearchReference(
                rpb.SearchReferenceRequest(query=query, limit=limit, score_threshold=threshold),
                timeout=self._timeout_s,
            )
        except grpc.aio.AioRpcError as error:
            raise self._error(error, "to search reference documents") from error
        return list(response.results)
