"""RetrievalService: proto <-> domain conversion, nothing else."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format

from hybridtools.common.v1 import tools_pb2
from hybridtools.core.errors import InvalidArgumentError, UnavailableError
from hybridtools.core.timestamps import timestamp_from_iso
from hybridtools.ecosystems.catalog import Catalog
from hybridtools.retrieval.v1 import retrieval_service_pb2 as pb
from hybridtools.retrieval.v1 import retrieval_service_pb2_grpc as pb_grpc
from retrieval_svc import sources
from retrieval_svc.examples_index import (
    EcosystemSummary,
    ExampleHit,
    ExampleIndex,
    SwapEvent,
    validate_ecosystem_name,
)
from retrieval_svc.reference_index import ReferenceDocument, ReferenceIndex

_STAGES = {
    "validating": pb.SwapEcosystemResponse.STAGE_VALIDATING,
    "embedding": pb.SwapEcosystemResponse.STAGE_EMBEDDING,
    "indexing": pb.SwapEcosystemResponse.STAGE_INDEXING,
    "switching": pb.SwapEcosystemResponse.STAGE_SWITCHING,
    "fitting_router": pb.SwapEcosystemResponse.STAGE_FITTING_ROUTER,
    "done": pb.SwapEcosystemResponse.STAGE_DONE,
}
_CALL_FORMATS = {
    tools_pb2.CALL_FORMAT_JSON: "json",
    tools_pb2.CALL_FORMAT_XML_TAGS: "xml_tags",
    tools_pb2.CALL_FORMAT_TOOL_CODEBLOCK: "tool_codeblock",
}
ADMIN_METHODS = frozenset(
    {
        "UpsertExamples",
        "DeleteExamples",
        "SwapEcosystem",
        "RollbackEcosystem",
        "ActivateEcosystem",
        "MarkTrained",
        "UpsertReference",
    }
)


def call_format_from_proto(number: int, field: str) -> str:
    """The CALL_FORMATS name of a request's call format; unset is JSON."""
    if number == tools_pb2.CALL_FORMAT_UNSPECIFIED:
        return "json"
    if number not in _CALL_FORMATS:
        known = ", ".join(tools_pb2.CallFormat.Name(n) for n in _CALL_FORMATS)
        raise InvalidArgumentError(
            f"{field} {number} is no call format; use one of {known} (unset means JSON)"
        )
    return _CALL_FORMATS[number]


def examples_to_dicts(examples: Iterable[tools_pb2.ToolExample]) -> list[dict[str, Any]]:
    dicts = []
    for number, example in enumerate(examples, start=1):
        try:
            dicts.append(json_format.MessageToDict(example, preserving_proto_field_name=True))
        except json_format.SerializeToJsonError as exc:  # NaN or Infinity in arguments
            raise InvalidArgumentError(f"example {number}: {exc}") from exc
    return dicts


@functools.lru_cache(maxsize=4096)
def _stored_example_bytes(record_json: str) -> bytes:
    # The same examples come back again and again, and json_format's parse
    # (~0.2 ms a hit) was a tenth of a search's Python time; the binary form
    # is parsed in microseconds.
    message = json_format.Parse(record_json, tools_pb2.ToolExample(), ignore_unknown_fields=True)
    return message.SerializeToString()


def example_from_hit(hit: ExampleHit) -> tools_pb2.ToolExample:
    example = tools_pb2.ToolExample.FromString(_stored_example_bytes(hit.record_json))
    example.trained_in_adapter = hit.trained_in_adapter
    return example


def summary_to_proto(summary: EcosystemSummary) -> pb.EcosystemInfo:
    catalog = summary.catalog or {}
    info = pb.EcosystemInfo(
        name=summary.name,
        version=summary.version,
        active=summary.active,
        previous_version=summary.previous_version,
        positive_count=summary.positive_count,
        negative_count=summary.negative_count,
        tools=[
            pb.ToolExampleCount(
                tool_name=t.tool_name,
                positive_count=t.positive,
                negative_count=t.negative,
                trained_count=t.trained,
            )
            for t in summary.tools
        ],
        catalog_version=catalog.get("version", ""),
        call_format=catalog.get("call_format", "CALL_FORMAT_UNSPECIFIED"),
        tool_router_ready=summary.tool_router,
    )
    stamp = timestamp_from_iso(summary.index_time)
    if stamp is not None:
        info.index_time.CopyFrom(stamp)
    return info


def _swap_event_to_proto(event: SwapEvent) -> pb.SwapEcosystemResponse:
    response = pb.SwapEcosystemResponse(
        stage=_STAGES[event.stage],
        processed=event.processed,
        total=event.total,
        previous_version=event.previous_version,
        elapsed_ms=event.elapsed_ms,
    )
    if event.summary is not None:
        response.ecosystem.CopyFrom(summary_to_proto(event.summary))
    return response


class RetrievalServicer(pb_grpc.RetrievalServiceServicer):
    """Registered before the models load; `attach` hands it the indexes.

    Until then every call gets UNAVAILABLE (health says NOT_SERVING meanwhile).
    """

    def __init__(self, import_dir: Path) -> None:
        self._import_dir = import_dir
        self._examples_index: ExampleIndex | None = None
        self._reference_index: ReferenceIndex | None = None

    def attach(self, examples: ExampleIndex, reference: ReferenceIndex) -> None:
        self._examples_index = examples
        self._reference_index = reference

    @property
    def _examples(self) -> ExampleIndex:
        if self._examples_index is None:
            raise UnavailableError("the retrieval service is starting; retry shortly")
        return self._examples_index

    @property
    def _reference(self) -> ReferenceIndex:
        if self._reference_index is None:
            raise UnavailableError("the retrieval service is starting; retry shortly")
        return self._reference_index

    async def UpsertExamples(
        self, request: pb.UpsertExamplesRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpsertExamplesResponse:
        ids, version = await self._examples.upsert(
            request.ecosystem, examples_to_dicts(request.examples)
        )
        return pb.UpsertExamplesResponse(ids=ids, ecosystem_version=version)

    async def SearchExamples(
        self, request: pb.SearchExamplesRequest, context: grpc.aio.ServicerContext
    ) -> pb.SearchExamplesResponse:
        result = await self._examples.search(
            query=request.query,
            ecosystem=request.ecosystem,
            tool_names=list(request.tool_names),
            limit=request.limit,
            include_negatives=request.include_negatives,
            exclude_trained=request.exclude_trained,
            score_threshold=request.score_threshold,
            rank_tools=request.rank_tools,
        )
        return pb.SearchExamplesResponse(
            results=[
                tools_pb2.ScoredToolExample(
                    example=example_from_hit(hit), score=hit.score, relevance=hit.relevance
                )
                for hit in result.hits
            ],
            ecosystem=result.ecosystem,
            ecosystem_version=result.version,
            tool_likelihoods=[
                pb.ToolLikelihood(tool_name=tool, probability=probability)
                for tool, probability in result.tool_likelihoods
            ],
        )

    async def DeleteExamples(
        self, request: pb.DeleteExamplesRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeleteExamplesResponse:
        deleted, removed = await self._examples.delete(request.ecosystem, list(request.tool_names))
        return pb.DeleteExamplesResponse(deleted_count=deleted, ecosystem_removed=removed)

    async def SwapEcosystem(
        self, request: pb.SwapEcosystemRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.SwapEcosystemResponse]:
        load = self._source_loader(request)
        async for event in self._examples.swap(
            request.ecosystem, load, request.activate, request.wait_for_tool_router
        ):
            yield _swap_event_to_proto(event)

    def _source_loader(self, request: pb.SwapEcosystemRequest) -> Any:
        """A function that reads the request's source (run off the event loop).

        Everything the request alone can tell is checked here, before the swap
        takes the ecosystem's lock and starts work that runs to its end.
        """
        ecosystem = validate_ecosystem_name(request.ecosystem)
        given_catalog = (
            sources.inline_catalog(
                request.catalog,
                ecosystem,
                call_format_from_proto(request.catalog.call_format, "catalog.call_format"),
            )
            if request.HasField("catalog")
            else None
        )
        which = request.WhichOneof("source")
        if which is None:
            raise InvalidArgumentError(
                "name a source: jsonl_path, examples, tool_definitions or builtin_catalog"
            )
        if which == "jsonl_path":
            path = sources.resolve_import_path(self._import_dir, request.jsonl_path)

            def load_jsonl(current: Catalog | None) -> sources.LoadedSource:
                catalog = given_catalog or current or sources.builtin_catalog_or_none(ecosystem)
                examples = sources.read_jsonl(path, ecosystem, catalog)
                return sources.LoadedSource(examples, catalog, f"file {request.jsonl_path}")

            return load_jsonl
        if which == "examples":
            examples = examples_to_dicts(request.examples.examples)

            def load_inline(current: Catalog | None) -> sources.LoadedSource:
                catalog = given_catalog or current or sources.builtin_catalog_or_none(ecosystem)
                sources.validate_all(examples, ecosystem, catalog, "example", "examples")
                return sources.LoadedSource(examples, catalog, f"{len(examples)} inline examples")

            return load_inline
        if which == "tool_definitions":
            definitions = request.tool_definitions
            file_path = (
                sources.resolve_import_path(
                    self._import_dir, definitions.path, "tool_definitions.path"
                )
                if definitions.path
                else None
            )
            call_format = call_format_from_proto(
                definitions.call_format, "tool_definitions.call_format"
            )
            positives, negatives = sources.synthesized_counts(
                definitions.positives_per_tool, definitions.negatives_per_tool
            )
            return lambda current: sources.tool_definitions_source(
                ecosystem,
                list(definitions.openai_functions_json),
                file_path,
                call_format,
                positives,
                negatives,
                definitions.seed,
            )
        return lambda current: sources.builtin_source(request.builtin_catalog, ecosystem)

    async def RollbackEcosystem(
        self, request: pb.RollbackEcosystemRequest, context: grpc.aio.ServicerContext
    ) -> pb.RollbackEcosystemResponse:
        summary, rolled_back_from, elapsed_ms = await self._examples.rollback(request.ecosystem)
        return pb.RollbackEcosystemResponse(
            ecosystem=summary_to_proto(summary),
            rolled_back_from=rolled_back_from,
            elapsed_ms=elapsed_ms,
        )

    async def ActivateEcosystem(
        self, request: pb.ActivateEcosystemRequest, context: grpc.aio.ServicerContext
    ) -> pb.ActivateEcosystemResponse:
        summary, previously = await self._examples.activate(request.ecosystem)
        return pb.ActivateEcosystemResponse(
            ecosystem=summary_to_proto(summary), previously_active=previously
        )

    async def ListEcosystems(
        self, request: pb.ListEcosystemsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListEcosystemsResponse:
        summaries, active = await self._examples.list(with_tools=not request.summary_only)
        return pb.ListEcosystemsResponse(
            ecosystems=[summary_to_proto(s) for s in summaries], active_ecosystem=active
        )

    async def GetEcosystem(
        self, request: pb.GetEcosystemRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetEcosystemResponse:
        summary = await self._examples.get(request.ecosystem)
        response = pb.GetEcosystemResponse(ecosystem=summary_to_proto(summary))
        if summary.catalog:
            json_format.ParseDict(summary.catalog, response.catalog)
        return response

    async def MarkTrained(
        self, request: pb.MarkTrainedRequest, context: grpc.aio.ServicerContext
    ) -> pb.MarkTrainedResponse:
        updated = await self._examples.mark_trained(
            request.ecosystem, list(request.tool_names), request.trained_in_adapter
        )
        return pb.MarkTrainedResponse(updated_count=updated)

    async def UpsertReference(
        self, request: pb.UpsertReferenceRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpsertReferenceResponse:
        documents, chunks = await self._reference.upsert(
            [ReferenceDocument(d.id, d.title, d.text, d.source) for d in request.documents]
        )
        return pb.UpsertReferenceResponse(document_count=documents, chunk_count=chunks)

    async def SearchReference(
        self, request: pb.SearchReferenceRequest, context: grpc.aio.ServicerContext
    ) -> pb.SearchReferenceResponse:
        chunks = await self._reference.search(request.query, request.limit, request.score_threshold)
        return pb.SearchReferenceResponse(
            results=[
                pb.ReferenceChunk(
                    document_id=c.document_id,
                    chunk_id=c.chunk_id,
                    title=c.title,
                    text=c.text,
                    source=c.source,
                    score=c.score,
                )
                for c in chunks
            ]
        )
