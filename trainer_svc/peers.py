"""The trainer's calls to the other two services.

- inference: `LoadAdapter` (publish without a restart) and `GetToolUsage`
  (the evening loop's input);
- retrieval: the catalog of an ecosystem (`GetEcosystem`), examples of some
  tools (`SearchExamples`) and `MarkTrained`.

Their statuses become the trainer's own errors: UNAVAILABLE when a peer is
down (retryable), NOT_FOUND / INVALID_ARGUMENT / FAILED_PRECONDITION passed
through with the peer's message.

Pulling every example of a tool: RetrievalService has no scroll/export RPC,
so the examples come from several SearchExamples queries filtered to the tool
(its name, its description, the usage patterns of the first hits), limit 100
each, deduplicated by id. A tool with more than a few hundred examples is
sampled, not exported; an export RPC on the retrieval service would fix that.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from hybridtools.common.v1 import tools_pb2
from hybridtools.core.channels import aio_channel, bearer_metadata
from hybridtools.core.errors import (
    PEER_STATUSES_PASSED_THROUGH,
    ServiceError,
    UnavailableError,
)
from hybridtools.ecosystems.catalog import Catalog
from hybridtools.inference.v1 import inference_service_pb2 as ipb
from hybridtools.inference.v1 import inference_service_pb2_grpc as ipb_grpc
from hybridtools.retrieval.v1 import retrieval_service_pb2 as rpb
from hybridtools.retrieval.v1 import retrieval_service_pb2_grpc as rpb_grpc

SEARCH_LIMIT = 100  # SearchExamples' largest page


class PeerCallError(ServiceError):
    """A peer refused a call for a reason of its own (not one of the mapped codes)."""

    code = grpc.StatusCode.FAILED_PRECONDITION

    def __init__(self, message: str, peer_code: grpc.StatusCode) -> None:
        super().__init__(message)
        self.peer_code = peer_code


def _mapped(error: grpc.aio.AioRpcError, service: str, address: str, what: str) -> ServiceError:
    code = error.code()
    details = error.details() or ""
    if code in PEER_STATUSES_PASSED_THROUGH:
        return PEER_STATUSES_PASSED_THROUGH[code](f"{service}: {details or what}")
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return UnavailableError(
            f"{service} at {address} did not answer {what}: {code.name} {details}".strip()
        )
    return PeerCallError(f"{service} refused {what}: {code.name} {details}".strip(), code)


@dataclass(frozen=True)
class UsageRow:
    day: str
    ecosystem: str
    tool_name: str
    calls: int


@dataclass(frozen=True)
class LoadResult:
    loaded: bool
    detail: str
    code: grpc.StatusCode | None = None


class InferenceClient:
    def __init__(self, address: str, timeout_s: float = 60.0, admin_token: str = "") -> None:
        self.address = address
        self._timeout_s = timeout_s
        # LoadAdapter is an admin RPC when the system runs with a token.
        self._metadata = bearer_metadata(admin_token)
        self._channel = aio_channel(address)
        self._stub = ipb_grpc.InferenceServiceStub(self._channel)

    async def close(self) -> None:
        await self._channel.close()

    async def load_adapter(self, name: str, version: int, make_default: bool) -> LoadResult:
        """Asks inference to load a version now; a refusal is reported, not raised."""
        try:
            response = await self._stub.LoadAdapter(
                ipb.LoadAdapterRequest(name=name, version=version, make_default=make_default),
                timeout=self._timeout_s,
                metadata=self._metadata,
            )
        except grpc.aio.AioRpcError as error:
            return LoadResult(False, error.details() or error.code().name, error.code())
        return LoadResult(True, f"loaded in {response.load_ms:.0f} ms")

    async def loaded_adapters(self, timeout_s: float = 2.0) -> set[tuple[str, int]]:
        """(name, version) pairs inference has loaded; empty when it does not answer."""
        try:
            response = await self._stub.ListAdapters(ipb.ListAdaptersRequest(), timeout=timeout_s)
        except grpc.aio.AioRpcError:
            return set()
        return {(a.name, a.version) for a in response.adapters if a.loaded}

    async def tool_usage(self, days: int, ecosystem: str = "") -> list[UsageRow]:
        try:
            response = await self._stub.GetToolUsage(
                ipb.GetToolUsageRequest(days=days, ecosystem=ecosystem), timeout=self._timeout_s
            )
        except grpc.aio.AioRpcError as error:
            raise _mapped(error, "inference", self.address, "GetToolUsage") from error
        return [
            UsageRow(row.day, row.ecosystem, row.tool_name, int(row.calls))
            for row in response.usage
        ]


@dataclass(frozen=True)
class ToolCounts:
    positive: int
    negative: int
    trained: int


class RetrievalClient:
    def __init__(self, address: str, timeout_s: float = 60.0, admin_token: str = "") -> None:
        self.address = address
        self._timeout_s = timeout_s
        self._channel = aio_channel(address)
        self._stub = rpb_grpc.RetrievalServiceStub(self._channel)
        # MarkTrained is an admin RPC when the system runs with a token.
        self._metadata = bearer_metadata(admin_token)

    async def close(self) -> None:
        await self._channel.close()

    async def ecosystem(self, name: str) -> tuple[Catalog | None, dict[str, ToolCounts]]:
        try:
            response = await self._stub.GetEcosystem(
                rpb.GetEcosystemRequest(ecosystem=name), timeout=self._timeout_s
            )
        except grpc.aio.AioRpcError as error:
            raise _mapped(error, "retrieval", self.address, f"GetEcosystem({name})") from error
        catalog = Catalog.from_proto(response.catalog) if response.HasField("catalog") else None
        counts = {
            tool.tool_name: ToolCounts(tool.positive_count, tool.negative_count, tool.trained_count)
            for tool in response.ecosystem.tools
        }
        return catalog, counts

    async def search(
        self, query: str, ecosystem: str, tool_names: list[str], include_negatives: bool
    ) -> list[tools_pb2.ToolExample]:
        try:
            response = await self._stub.SearchExamples(
                rpb.SearchExamplesRequest(
                    query=query,
                    ecosystem=ecosystem,
                    tool_names=tool_names,
                    limit=SEARCH_LIMIT,
                    include_negatives=include_negatives,
                ),
                timeout=self._timeout_s,
            )
        except grpc.aio.AioRpcError as error:
            raise _mapped(error, "retrieval", self.address, "SearchExamples") from error
        return [result.example for result in response.results]

    async def examples_of(
        self, ecosystem: str, tool_name: str, queries: list[str], include_negatives: bool
    ) -> list[tools_pb2.ToolExample]:
        """As many distinct examples of one tool as the queries reach (see the module doc)."""
        found: dict[str, tools_pb2.ToolExample] = {}
        pending = [q for q in queries if q.strip()]
        asked: set[str] = set()
        while pending:
            query = pending.pop(0)
            if query in asked:
                continue
            asked.add(query)
            for example in await self.search(query, ecosystem, [tool_name], include_negatives):
                if example.tool_name != tool_name:
                    continue
                key = example.id or example.request
                if key not in found:
                    found[key] = example
                    # Each new usage pattern is another way to reach more examples.
                    if example.usage_pattern and len(asked) + len(pending) < 12:
                        pending.append(example.usage_pattern)
        return list(found.values())

    async def mark_trained(self, ecosystem: str, tool_names: list[str]) -> int:
        try:
            response = await self._stub.MarkTrained(
                rpb.MarkTrainedRequest(
                    ecosystem=ecosystem, tool_names=tool_names, trained_in_adapter=True
                ),
                timeout=self._timeout_s,
                metadata=self._metadata,
            )
        except grpc.aio.AioRpcError as error:
            raise _mapped(error, "retrieval", self.address, "MarkTrained") from error
        return int(response.updated_count)
