import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from hybridtools.common.v1 import tools_pb2 as _tools_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class UpsertExamplesRequest(_message.Message):
    __slots__ = ("ecosystem", "examples")
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    ecosystem: str
    examples: _containers.RepeatedCompositeFieldContainer[_tools_pb2.ToolExample]
    def __init__(self, ecosystem: _Optional[str] = ..., examples: _Optional[_Iterable[_Union[_tools_pb2.ToolExample, _Mapping]]] = ...) -> None: ...

class UpsertExamplesResponse(_message.Message):
    __slots__ = ("ids", "ecosystem_version")
    IDS_FIELD_NUMBER: _ClassVar[int]
    ECOSYSTEM_VERSION_FIELD_NUMBER: _ClassVar[int]
    ids: _containers.RepeatedScalarFieldContainer[str]
    ecosystem_version: str
    def __init__(self, ids: _Optional[_Iterable[str]] = ..., ecosystem_version: _Optional[str] = ...) -> None: ...

class SearchExamplesRequest(_message.Message):
    __slots__ = ("query", "ecosystem", "tool_names", "limit", "include_negatives", "exclude_trained", "score_threshold", "rank_tools")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    TOOL_NAMES_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_NEGATIVES_FIELD_NUMBER: _ClassVar[int]
    EXCLUDE_TRAINED_FIELD_NUMBER: _ClassVar[int]
    SCORE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    RANK_TOOLS_FIELD_NUMBER: _ClassVar[int]
    query: str
    ecosystem: str
    tool_names: _containers.RepeatedScalarFieldContainer[str]
    limit: int
    include_negatives: bool
    exclude_trained: bool
    score_threshold: float
    rank_tools: bool
    def __init__(self, query: _Optional[str] = ..., ecosystem: _Optional[str] = ..., tool_names: _Optional[_Iterable[str]] = ..., limit: _Optional[int] = ..., include_negatives: _Optional[bool] = ..., exclude_trained: _Optional[bool] = ..., score_threshold: _Optional[float] = ..., rank_tools: _Optional[bool] = ...) -> None: ...

class ToolLikelihood(_message.Message):
    __slots__ = ("tool_name", "probability")
    TOOL_NAME_FIELD_NUMBER: _ClassVar[int]
    PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    tool_name: str
    probability: float
    def __init__(self, tool_name: _Optional[str] = ..., probability: _Optional[float] = ...) -> None: ...

class SearchExamplesResponse(_message.Message):
    __slots__ = ("results", "ecosystem", "ecosystem_version", "tool_likelihoods")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    ECOSYSTEM_VERSION_FIELD_NUMBER: _ClassVar[int]
    TOOL_LIKELIHOODS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_tools_pb2.ScoredToolExample]
    ecosystem: str
    ecosystem_version: str
    tool_likelihoods: _containers.RepeatedCompositeFieldContainer[ToolLikelihood]
    def __init__(self, results: _Optional[_Iterable[_Union[_tools_pb2.ScoredToolExample, _Mapping]]] = ..., ecosystem: _Optional[str] = ..., ecosystem_version: _Optional[str] = ..., tool_likelihoods: _Optional[_Iterable[_Union[ToolLikelihood, _Mapping]]] = ...) -> None: ...

class DeleteExamplesRequest(_message.Message):
    __slots__ = ("ecosystem", "tool_names")
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    TOOL_NAMES_FIELD_NUMBER: _ClassVar[int]
    ecosystem: str
    tool_names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, ecosystem: _Optional[str] = ..., tool_names: _Optional[_Iterable[str]] = ...) -> None: ...

class DeleteExamplesResponse(_message.Message):
    __slots__ = ("deleted_count", "ecosystem_removed")
    DELETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    ECOSYSTEM_REMOVED_FIELD_NUMBER: _ClassVar[int]
    deleted_count: int
    ecosystem_removed: bool
    def __init__(self, deleted_count: _Optional[int] = ..., ecosystem_removed: _Optional[bool] = ...) -> None: ...

class ExampleBatch(_message.Message):
    __slots__ = ("examples",)
    EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    examples: _containers.RepeatedCompositeFieldContainer[_tools_pb2.ToolExample]
    def __init__(self, examples: _Optional[_Iterable[_Union[_tools_pb2.ToolExample, _Mapping]]] = ...) -> None: ...

class ToolDefinitionsSource(_message.Message):
    __slots__ = ("openai_functions_json", "path", "call_format", "positives_per_tool", "negatives_per_tool", "seed")
    OPENAI_FUNCTIONS_JSON_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    CALL_FORMAT_FIELD_NUMBER: _ClassVar[int]
    POSITIVES_PER_TOOL_FIELD_NUMBER: _ClassVar[int]
    NEGATIVES_PER_TOOL_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    openai_functions_json: _containers.RepeatedScalarFieldContainer[str]
    path: str
    call_format: _tools_pb2.CallFormat
    positives_per_tool: int
    negatives_per_tool: int
    seed: int
    def __init__(self, openai_functions_json: _Optional[_Iterable[str]] = ..., path: _Optional[str] = ..., call_format: _Optional[_Union[_tools_pb2.CallFormat, str]] = ..., positives_per_tool: _Optional[int] = ..., negatives_per_tool: _Optional[int] = ..., seed: _Optional[int] = ...) -> None: ...

class SwapEcosystemRequest(_message.Message):
    __slots__ = ("ecosystem", "jsonl_path", "examples", "tool_definitions", "builtin_catalog", "activate", "catalog", "wait_for_tool_router")
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    JSONL_PATH_FIELD_NUMBER: _ClassVar[int]
    EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    TOOL_DEFINITIONS_FIELD_NUMBER: _ClassVar[int]
    BUILTIN_CATALOG_FIELD_NUMBER: _ClassVar[int]
    ACTIVATE_FIELD_NUMBER: _ClassVar[int]
    CATALOG_FIELD_NUMBER: _ClassVar[int]
    WAIT_FOR_TOOL_ROUTER_FIELD_NUMBER: _ClassVar[int]
    ecosystem: str
    jsonl_path: str
    examples: ExampleBatch
    tool_definitions: ToolDefinitionsSource
    builtin_catalog: str
    activate: bool
    catalog: _tools_pb2.ToolCatalog
    wait_for_tool_router: bool
    def __init__(self, ecosystem: _Optional[str] = ..., jsonl_path: _Optional[str] = ..., examples: _Optional[_Union[ExampleBatch, _Mapping]] = ..., tool_definitions: _Optional[_Union[ToolDefinitionsSource, _Mapping]] = ..., builtin_catalog: _Optional[str] = ..., activate: _Optional[bool] = ..., catalog: _Optional[_Union[_tools_pb2.ToolCatalog, _Mapping]] = ..., wait_for_tool_router: _Optional[bool] = ...) -> None: ...

class SwapEcosystemResponse(_message.Message):
    __slots__ = ("stage", "processed", "total", "ecosystem", "previous_version", "elapsed_ms")
    class Stage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STAGE_UNSPECIFIED: _ClassVar[SwapEcosystemResponse.Stage]
        STAGE_VALIDATING: _ClassVar[SwapEcosystemResponse.Stage]
        STAGE_EMBEDDING: _ClassVar[SwapEcosystemResponse.Stage]
        STAGE_INDEXING: _ClassVar[SwapEcosystemResponse.Stage]
        STAGE_SWITCHING: _ClassVar[SwapEcosystemResponse.Stage]
        STAGE_DONE: _ClassVar[SwapEcosystemResponse.Stage]
        STAGE_FITTING_ROUTER: _ClassVar[SwapEcosystemResponse.Stage]
    STAGE_UNSPECIFIED: SwapEcosystemResponse.Stage
    STAGE_VALIDATING: SwapEcosystemResponse.Stage
    STAGE_EMBEDDING: SwapEcosystemResponse.Stage
    STAGE_INDEXING: SwapEcosystemResponse.Stage
    STAGE_SWITCHING: SwapEcosystemResponse.Stage
    STAGE_DONE: SwapEcosystemResponse.Stage
    STAGE_FITTING_ROUTER: SwapEcosystemResponse.Stage
    STAGE_FIELD_NUMBER: _ClassVar[int]
    PROCESSED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_VERSION_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_MS_FIELD_NUMBER: _ClassVar[int]
    stage: SwapEcosystemResponse.Stage
    processed: int
    total: int
    ecosystem: EcosystemInfo
    previous_version: str
    elapsed_ms: float
    def __init__(self, stage: _Optional[_Union[SwapEcosystemResponse.Stage, str]] = ..., processed: _Optional[int] = ..., total: _Optional[int] = ..., ecosystem: _Optional[_Union[EcosystemInfo, _Mapping]] = ..., previous_version: _Optional[str] = ..., elapsed_ms: _Optional[float] = ...) -> None: ...

class RollbackEcosystemRequest(_message.Message):
    __slots__ = ("ecosystem",)
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    ecosystem: str
    def __init__(self, ecosystem: _Optional[str] = ...) -> None: ...

class RollbackEcosystemResponse(_message.Message):
    __slots__ = ("ecosystem", "rolled_back_from", "elapsed_ms")
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    ROLLED_BACK_FROM_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_MS_FIELD_NUMBER: _ClassVar[int]
    ecosystem: EcosystemInfo
    rolled_back_from: str
    elapsed_ms: float
    def __init__(self, ecosystem: _Optional[_Union[EcosystemInfo, _Mapping]] = ..., rolled_back_from: _Optional[str] = ..., elapsed_ms: _Optional[float] = ...) -> None: ...

class ActivateEcosystemRequest(_message.Message):
    __slots__ = ("ecosystem",)
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    ecosystem: str
    def __init__(self, ecosystem: _Optional[str] = ...) -> None: ...

class ActivateEcosystemResponse(_message.Message):
    __slots__ = ("ecosystem", "previously_active")
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    PREVIOUSLY_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    ecosystem: EcosystemInfo
    previously_active: str
    def __init__(self, ecosystem: _Optional[_Union[EcosystemInfo, _Mapping]] = ..., previously_active: _Optional[str] = ...) -> None: ...

class ToolExampleCount(_message.Message):
    __slots__ = ("tool_name", "positive_count", "negative_count", "trained_count")
    TOOL_NAME_FIELD_NUMBER: _ClassVar[int]
    POSITIVE_COUNT_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_COUNT_FIELD_NUMBER: _ClassVar[int]
    TRAINED_COUNT_FIELD_NUMBER: _ClassVar[int]
    tool_name: str
    positive_count: int
    negative_count: int
    trained_count: int
    def __init__(self, tool_name: _Optional[str] = ..., positive_count: _Optional[int] = ..., negative_count: _Optional[int] = ..., trained_count: _Optional[int] = ...) -> None: ...

class EcosystemInfo(_message.Message):
    __slots__ = ("name", "version", "active", "previous_version", "positive_count", "negative_count", "tools", "index_time", "catalog_version", "call_format", "tool_router_ready")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_VERSION_FIELD_NUMBER: _ClassVar[int]
    POSITIVE_COUNT_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_COUNT_FIELD_NUMBER: _ClassVar[int]
    TOOLS_FIELD_NUMBER: _ClassVar[int]
    INDEX_TIME_FIELD_NUMBER: _ClassVar[int]
    CATALOG_VERSION_FIELD_NUMBER: _ClassVar[int]
    CALL_FORMAT_FIELD_NUMBER: _ClassVar[int]
    TOOL_ROUTER_READY_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    active: bool
    previous_version: str
    positive_count: int
    negative_count: int
    tools: _containers.RepeatedCompositeFieldContainer[ToolExampleCount]
    index_time: _timestamp_pb2.Timestamp
    catalog_version: str
    call_format: _tools_pb2.CallFormat
    tool_router_ready: bool
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ..., active: _Optional[bool] = ..., previous_version: _Optional[str] = ..., positive_count: _Optional[int] = ..., negative_count: _Optional[int] = ..., tools: _Optional[_Iterable[_Union[ToolExampleCount, _Mapping]]] = ..., index_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., catalog_version: _Optional[str] = ..., call_format: _Optional[_Union[_tools_pb2.CallFormat, str]] = ..., tool_router_ready: _Optional[bool] = ...) -> None: ...

class ListEcosystemsRequest(_message.Message):
    __slots__ = ("summary_only",)
    SUMMARY_ONLY_FIELD_NUMBER: _ClassVar[int]
    summary_only: bool
    def __init__(self, summary_only: _Optional[bool] = ...) -> None: ...

class ListEcosystemsResponse(_message.Message):
    __slots__ = ("ecosystems", "active_ecosystem")
    ECOSYSTEMS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    ecosystems: _containers.RepeatedCompositeFieldContainer[EcosystemInfo]
    active_ecosystem: str
    def __init__(self, ecosystems: _Optional[_Iterable[_Union[EcosystemInfo, _Mapping]]] = ..., active_ecosystem: _Optional[str] = ...) -> None: ...

class GetEcosystemRequest(_message.Message):
    __slots__ = ("ecosystem",)
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    ecosystem: str
    def __init__(self, ecosystem: _Optional[str] = ...) -> None: ...

class GetEcosystemResponse(_message.Message):
    __slots__ = ("ecosystem", "catalog")
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    CATALOG_FIELD_NUMBER: _ClassVar[int]
    ecosystem: EcosystemInfo
    catalog: _tools_pb2.ToolCatalog
    def __init__(self, ecosystem: _Optional[_Union[EcosystemInfo, _Mapping]] = ..., catalog: _Optional[_Union[_tools_pb2.ToolCatalog, _Mapping]] = ...) -> None: ...

class MarkTrainedRequest(_message.Message):
    __slots__ = ("ecosystem", "tool_names", "trained_in_adapter")
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    TOOL_NAMES_FIELD_NUMBER: _ClassVar[int]
    TRAINED_IN_ADAPTER_FIELD_NUMBER: _ClassVar[int]
    ecosystem: str
    tool_names: _containers.RepeatedScalarFieldContainer[str]
    trained_in_adapter: bool
    def __init__(self, ecosystem: _Optional[str] = ..., tool_names: _Optional[_Iterable[str]] = ..., trained_in_adapter: _Optional[bool] = ...) -> None: ...

class MarkTrainedResponse(_message.Message):
    __slots__ = ("updated_count",)
    UPDATED_COUNT_FIELD_NUMBER: _ClassVar[int]
    updated_count: int
    def __init__(self, updated_count: _Optional[int] = ...) -> None: ...

class ReferenceDocument(_message.Message):
    __slots__ = ("id", "title", "text", "source")
    ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    id: str
    title: str
    text: str
    source: str
    def __init__(self, id: _Optional[str] = ..., title: _Optional[str] = ..., text: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class UpsertReferenceRequest(_message.Message):
    __slots__ = ("documents",)
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    documents: _containers.RepeatedCompositeFieldContainer[ReferenceDocument]
    def __init__(self, documents: _Optional[_Iterable[_Union[ReferenceDocument, _Mapping]]] = ...) -> None: ...

class UpsertReferenceResponse(_message.Message):
    __slots__ = ("document_count", "chunk_count")
    DOCUMENT_COUNT_FIELD_NUMBER: _ClassVar[int]
    CHUNK_COUNT_FIELD_NUMBER: _ClassVar[int]
    document_count: int
    chunk_count: int
    def __init__(self, document_count: _Optional[int] = ..., chunk_count: _Optional[int] = ...) -> None: ...

class ReferenceChunk(_message.Message):
    __slots__ = ("document_id", "chunk_id", "title", "text", "source", "score")
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    CHUNK_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    chunk_id: str
    title: str
    text: str
    source: str
    score: float
    def __init__(self, document_id: _Optional[str] = ..., chunk_id: _Optional[str] = ..., title: _Optional[str] = ..., text: _Optional[str] = ..., source: _Optional[str] = ..., score: _Optional[float] = ...) -> None: ...

class SearchReferenceRequest(_message.Message):
    __slots__ = ("query", "limit", "score_threshold")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    SCORE_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    query: str
    limit: int
    score_threshold: float
    def __init__(self, query: _Optional[str] = ..., limit: _Optional[int] = ..., score_threshold: _Optional[float] = ...) -> None: ...

class SearchReferenceResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[ReferenceChunk]
    def __init__(self, results: _Optional[_Iterable[_Union[ReferenceChunk, _Mapping]]] = ...) -> None: ...
