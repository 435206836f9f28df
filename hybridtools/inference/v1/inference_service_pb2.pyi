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

class ToolChoice(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TOOL_CHOICE_UNSPECIFIED: _ClassVar[ToolChoice]
    TOOL_CHOICE_AUTO: _ClassVar[ToolChoice]
    TOOL_CHOICE_REQUIRED: _ClassVar[ToolChoice]
    TOOL_CHOICE_NONE: _ClassVar[ToolChoice]

class Decoding(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DECODING_UNSPECIFIED: _ClassVar[Decoding]
    DECODING_CONSTRAINED: _ClassVar[Decoding]
    DECODING_FREE: _ClassVar[Decoding]

class FinishReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FINISH_REASON_UNSPECIFIED: _ClassVar[FinishReason]
    FINISH_REASON_STOP: _ClassVar[FinishReason]
    FINISH_REASON_LENGTH: _ClassVar[FinishReason]
    FINISH_REASON_TOOL_CALL: _ClassVar[FinishReason]
TOOL_CHOICE_UNSPECIFIED: ToolChoice
TOOL_CHOICE_AUTO: ToolChoice
TOOL_CHOICE_REQUIRED: ToolChoice
TOOL_CHOICE_NONE: ToolChoice
DECODING_UNSPECIFIED: Decoding
DECODING_CONSTRAINED: Decoding
DECODING_FREE: Decoding
FINISH_REASON_UNSPECIFIED: FinishReason
FINISH_REASON_STOP: FinishReason
FINISH_REASON_LENGTH: FinishReason
FINISH_REASON_TOOL_CALL: FinishReason

class GenerationConfig(_message.Message):
    __slots__ = ("max_new_tokens", "temperature", "top_p", "seed", "decoding")
    MAX_NEW_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_FIELD_NUMBER: _ClassVar[int]
    TOP_P_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    DECODING_FIELD_NUMBER: _ClassVar[int]
    max_new_tokens: int
    temperature: float
    top_p: float
    seed: int
    decoding: Decoding
    def __init__(self, max_new_tokens: _Optional[int] = ..., temperature: _Optional[float] = ..., top_p: _Optional[float] = ..., seed: _Optional[int] = ..., decoding: _Optional[_Union[Decoding, str]] = ...) -> None: ...

class GenerateRequest(_message.Message):
    __slots__ = ("query", "history", "ecosystem", "adapter", "generation_config", "tool_choice", "max_examples", "no_examples")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    GENERATION_CONFIG_FIELD_NUMBER: _ClassVar[int]
    TOOL_CHOICE_FIELD_NUMBER: _ClassVar[int]
    MAX_EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    NO_EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    query: str
    history: _containers.RepeatedCompositeFieldContainer[_tools_pb2.ChatMessage]
    ecosystem: str
    adapter: str
    generation_config: GenerationConfig
    tool_choice: ToolChoice
    max_examples: int
    no_examples: bool
    def __init__(self, query: _Optional[str] = ..., history: _Optional[_Iterable[_Union[_tools_pb2.ChatMessage, _Mapping]]] = ..., ecosystem: _Optional[str] = ..., adapter: _Optional[str] = ..., generation_config: _Optional[_Union[GenerationConfig, _Mapping]] = ..., tool_choice: _Optional[_Union[ToolChoice, str]] = ..., max_examples: _Optional[int] = ..., no_examples: _Optional[bool] = ...) -> None: ...

class UsedExample(_message.Message):
    __slots__ = ("id", "tool_name", "score", "kind")
    ID_FIELD_NUMBER: _ClassVar[int]
    TOOL_NAME_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    id: str
    tool_name: str
    score: float
    kind: _tools_pb2.ExampleKind
    def __init__(self, id: _Optional[str] = ..., tool_name: _Optional[str] = ..., score: _Optional[float] = ..., kind: _Optional[_Union[_tools_pb2.ExampleKind, str]] = ...) -> None: ...

class TokenUsage(_message.Message):
    __slots__ = ("prompt_tokens", "example_tokens", "schema_tokens", "completion_tokens")
    PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    EXAMPLE_TOKENS_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_TOKENS_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_TOKENS_FIELD_NUMBER: _ClassVar[int]
    prompt_tokens: int
    example_tokens: int
    schema_tokens: int
    completion_tokens: int
    def __init__(self, prompt_tokens: _Optional[int] = ..., example_tokens: _Optional[int] = ..., schema_tokens: _Optional[int] = ..., completion_tokens: _Optional[int] = ...) -> None: ...

class Timings(_message.Message):
    __slots__ = ("detect_ms", "retrieve_ms", "build_ms", "generate_ms", "total_ms", "decode_tokens_per_second", "first_token_ms")
    DETECT_MS_FIELD_NUMBER: _ClassVar[int]
    RETRIEVE_MS_FIELD_NUMBER: _ClassVar[int]
    BUILD_MS_FIELD_NUMBER: _ClassVar[int]
    GENERATE_MS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_MS_FIELD_NUMBER: _ClassVar[int]
    DECODE_TOKENS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    FIRST_TOKEN_MS_FIELD_NUMBER: _ClassVar[int]
    detect_ms: float
    retrieve_ms: float
    build_ms: float
    generate_ms: float
    total_ms: float
    decode_tokens_per_second: float
    first_token_ms: float
    def __init__(self, detect_ms: _Optional[float] = ..., retrieve_ms: _Optional[float] = ..., build_ms: _Optional[float] = ..., generate_ms: _Optional[float] = ..., total_ms: _Optional[float] = ..., decode_tokens_per_second: _Optional[float] = ..., first_token_ms: _Optional[float] = ...) -> None: ...

class GenerateResponse(_message.Message):
    __slots__ = ("text", "tool_call", "tool_detected", "tool_call_valid", "validation_error", "examples", "usage", "timings", "finish_reason", "ecosystem", "adapter")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALL_FIELD_NUMBER: _ClassVar[int]
    TOOL_DETECTED_FIELD_NUMBER: _ClassVar[int]
    TOOL_CALL_VALID_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_ERROR_FIELD_NUMBER: _ClassVar[int]
    EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    FINISH_REASON_FIELD_NUMBER: _ClassVar[int]
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    text: str
    tool_call: _tools_pb2.ToolCall
    tool_detected: bool
    tool_call_valid: bool
    validation_error: str
    examples: _containers.RepeatedCompositeFieldContainer[UsedExample]
    usage: TokenUsage
    timings: Timings
    finish_reason: FinishReason
    ecosystem: str
    adapter: str
    def __init__(self, text: _Optional[str] = ..., tool_call: _Optional[_Union[_tools_pb2.ToolCall, _Mapping]] = ..., tool_detected: _Optional[bool] = ..., tool_call_valid: _Optional[bool] = ..., validation_error: _Optional[str] = ..., examples: _Optional[_Iterable[_Union[UsedExample, _Mapping]]] = ..., usage: _Optional[_Union[TokenUsage, _Mapping]] = ..., timings: _Optional[_Union[Timings, _Mapping]] = ..., finish_reason: _Optional[_Union[FinishReason, str]] = ..., ecosystem: _Optional[str] = ..., adapter: _Optional[str] = ...) -> None: ...

class StreamGenerateResponse(_message.Message):
    __slots__ = ("text", "final")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    FINAL_FIELD_NUMBER: _ClassVar[int]
    text: str
    final: GenerateResponse
    def __init__(self, text: _Optional[str] = ..., final: _Optional[_Union[GenerateResponse, _Mapping]] = ...) -> None: ...

class BuildPromptRequest(_message.Message):
    __slots__ = ("query", "history", "ecosystem", "tool_choice", "max_examples", "no_examples", "max_prompt_tokens")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    TOOL_CHOICE_FIELD_NUMBER: _ClassVar[int]
    MAX_EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    NO_EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    MAX_PROMPT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    query: str
    history: _containers.RepeatedCompositeFieldContainer[_tools_pb2.ChatMessage]
    ecosystem: str
    tool_choice: ToolChoice
    max_examples: int
    no_examples: bool
    max_prompt_tokens: int
    def __init__(self, query: _Optional[str] = ..., history: _Optional[_Iterable[_Union[_tools_pb2.ChatMessage, _Mapping]]] = ..., ecosystem: _Optional[str] = ..., tool_choice: _Optional[_Union[ToolChoice, str]] = ..., max_examples: _Optional[int] = ..., no_examples: _Optional[bool] = ..., max_prompt_tokens: _Optional[int] = ...) -> None: ...

class BuildPromptResponse(_message.Message):
    __slots__ = ("messages", "prompt", "tool_detected", "examples", "candidate_tools", "usage", "timings", "ecosystem", "call_schema_json")
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    TOOL_DETECTED_FIELD_NUMBER: _ClassVar[int]
    EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_TOOLS_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    TIMINGS_FIELD_NUMBER: _ClassVar[int]
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    CALL_SCHEMA_JSON_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[_tools_pb2.ChatMessage]
    prompt: str
    tool_detected: bool
    examples: _containers.RepeatedCompositeFieldContainer[UsedExample]
    candidate_tools: _containers.RepeatedCompositeFieldContainer[_tools_pb2.ToolDefinition]
    usage: TokenUsage
    timings: Timings
    ecosystem: str
    call_schema_json: str
    def __init__(self, messages: _Optional[_Iterable[_Union[_tools_pb2.ChatMessage, _Mapping]]] = ..., prompt: _Optional[str] = ..., tool_detected: _Optional[bool] = ..., examples: _Optional[_Iterable[_Union[UsedExample, _Mapping]]] = ..., candidate_tools: _Optional[_Iterable[_Union[_tools_pb2.ToolDefinition, _Mapping]]] = ..., usage: _Optional[_Union[TokenUsage, _Mapping]] = ..., timings: _Optional[_Union[Timings, _Mapping]] = ..., ecosystem: _Optional[str] = ..., call_schema_json: _Optional[str] = ...) -> None: ...

class ListAdaptersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListAdaptersResponse(_message.Message):
    __slots__ = ("adapters", "default_adapter", "backend", "base_model")
    ADAPTERS_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_ADAPTER_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    BASE_MODEL_FIELD_NUMBER: _ClassVar[int]
    adapters: _containers.RepeatedCompositeFieldContainer[_tools_pb2.AdapterInfo]
    default_adapter: str
    backend: str
    base_model: str
    def __init__(self, adapters: _Optional[_Iterable[_Union[_tools_pb2.AdapterInfo, _Mapping]]] = ..., default_adapter: _Optional[str] = ..., backend: _Optional[str] = ..., base_model: _Optional[str] = ...) -> None: ...

class LoadAdapterRequest(_message.Message):
    __slots__ = ("name", "version", "make_default")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    MAKE_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    make_default: bool
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ..., make_default: _Optional[bool] = ...) -> None: ...

class LoadAdapterResponse(_message.Message):
    __slots__ = ("adapter", "load_ms")
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    LOAD_MS_FIELD_NUMBER: _ClassVar[int]
    adapter: _tools_pb2.AdapterInfo
    load_ms: float
    def __init__(self, adapter: _Optional[_Union[_tools_pb2.AdapterInfo, _Mapping]] = ..., load_ms: _Optional[float] = ...) -> None: ...

class UnloadAdapterRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class UnloadAdapterResponse(_message.Message):
    __slots__ = ("default_adapter",)
    DEFAULT_ADAPTER_FIELD_NUMBER: _ClassVar[int]
    default_adapter: str
    def __init__(self, default_adapter: _Optional[str] = ...) -> None: ...

class GetToolUsageRequest(_message.Message):
    __slots__ = ("days", "ecosystem")
    DAYS_FIELD_NUMBER: _ClassVar[int]
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    days: int
    ecosystem: str
    def __init__(self, days: _Optional[int] = ..., ecosystem: _Optional[str] = ...) -> None: ...

class ToolUsage(_message.Message):
    __slots__ = ("day", "ecosystem", "tool_name", "calls", "valid_calls", "mean_latency_ms")
    DAY_FIELD_NUMBER: _ClassVar[int]
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    TOOL_NAME_FIELD_NUMBER: _ClassVar[int]
    CALLS_FIELD_NUMBER: _ClassVar[int]
    VALID_CALLS_FIELD_NUMBER: _ClassVar[int]
    MEAN_LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    day: str
    ecosystem: str
    tool_name: str
    calls: int
    valid_calls: int
    mean_latency_ms: float
    def __init__(self, day: _Optional[str] = ..., ecosystem: _Optional[str] = ..., tool_name: _Optional[str] = ..., calls: _Optional[int] = ..., valid_calls: _Optional[int] = ..., mean_latency_ms: _Optional[float] = ...) -> None: ...

class GetToolUsageResponse(_message.Message):
    __slots__ = ("usage", "generated_time")
    USAGE_FIELD_NUMBER: _ClassVar[int]
    GENERATED_TIME_FIELD_NUMBER: _ClassVar[int]
    usage: _containers.RepeatedCompositeFieldContainer[ToolUsage]
    generated_time: _timestamp_pb2.Timestamp
    def __init__(self, usage: _Optional[_Iterable[_Union[ToolUsage, _Mapping]]] = ..., generated_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
