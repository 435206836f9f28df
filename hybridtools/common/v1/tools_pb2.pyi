import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CallFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CALL_FORMAT_UNSPECIFIED: _ClassVar[CallFormat]
    CALL_FORMAT_JSON: _ClassVar[CallFormat]
    CALL_FORMAT_XML_TAGS: _ClassVar[CallFormat]
    CALL_FORMAT_TOOL_CODEBLOCK: _ClassVar[CallFormat]

class ExampleKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXAMPLE_KIND_UNSPECIFIED: _ClassVar[ExampleKind]
    EXAMPLE_KIND_POSITIVE: _ClassVar[ExampleKind]
    EXAMPLE_KIND_NEGATIVE: _ClassVar[ExampleKind]

class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLE_UNSPECIFIED: _ClassVar[Role]
    ROLE_SYSTEM: _ClassVar[Role]
    ROLE_USER: _ClassVar[Role]
    ROLE_ASSISTANT: _ClassVar[Role]
    ROLE_TOOL: _ClassVar[Role]
CALL_FORMAT_UNSPECIFIED: CallFormat
CALL_FORMAT_JSON: CallFormat
CALL_FORMAT_XML_TAGS: CallFormat
CALL_FORMAT_TOOL_CODEBLOCK: CallFormat
EXAMPLE_KIND_UNSPECIFIED: ExampleKind
EXAMPLE_KIND_POSITIVE: ExampleKind
EXAMPLE_KIND_NEGATIVE: ExampleKind
ROLE_UNSPECIFIED: Role
ROLE_SYSTEM: Role
ROLE_USER: Role
ROLE_ASSISTANT: Role
ROLE_TOOL: Role

class ToolDefinition(_message.Message):
    __slots__ = ("name", "description", "parameters")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    parameters: _struct_pb2.Struct
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., parameters: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ToolCall(_message.Message):
    __slots__ = ("name", "arguments", "rendered")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
    RENDERED_FIELD_NUMBER: _ClassVar[int]
    name: str
    arguments: _struct_pb2.Struct
    rendered: str
    def __init__(self, name: _Optional[str] = ..., arguments: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., rendered: _Optional[str] = ...) -> None: ...

class ToolExample(_message.Message):
    __slots__ = ("id", "ecosystem", "tool_name", "request", "call", "usage_pattern", "kind", "tool_version", "trained_in_adapter", "quality_score", "wrong_call", "error_type", "error_description")
    ID_FIELD_NUMBER: _ClassVar[int]
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    TOOL_NAME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    CALL_FIELD_NUMBER: _ClassVar[int]
    USAGE_PATTERN_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TOOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    TRAINED_IN_ADAPTER_FIELD_NUMBER: _ClassVar[int]
    QUALITY_SCORE_FIELD_NUMBER: _ClassVar[int]
    WRONG_CALL_FIELD_NUMBER: _ClassVar[int]
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    ERROR_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    id: str
    ecosystem: str
    tool_name: str
    request: str
    call: ToolCall
    usage_pattern: str
    kind: ExampleKind
    tool_version: str
    trained_in_adapter: bool
    quality_score: float
    wrong_call: ToolCall
    error_type: str
    error_description: str
    def __init__(self, id: _Optional[str] = ..., ecosystem: _Optional[str] = ..., tool_name: _Optional[str] = ..., request: _Optional[str] = ..., call: _Optional[_Union[ToolCall, _Mapping]] = ..., usage_pattern: _Optional[str] = ..., kind: _Optional[_Union[ExampleKind, str]] = ..., tool_version: _Optional[str] = ..., trained_in_adapter: _Optional[bool] = ..., quality_score: _Optional[float] = ..., wrong_call: _Optional[_Union[ToolCall, _Mapping]] = ..., error_type: _Optional[str] = ..., error_description: _Optional[str] = ...) -> None: ...

class ScoredToolExample(_message.Message):
    __slots__ = ("example", "score", "relevance")
    EXAMPLE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    RELEVANCE_FIELD_NUMBER: _ClassVar[int]
    example: ToolExample
    score: float
    relevance: float
    def __init__(self, example: _Optional[_Union[ToolExample, _Mapping]] = ..., score: _Optional[float] = ..., relevance: _Optional[float] = ...) -> None: ...

class ToolCatalog(_message.Message):
    __slots__ = ("ecosystem", "version", "call_format", "tools", "source")
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CALL_FORMAT_FIELD_NUMBER: _ClassVar[int]
    TOOLS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    ecosystem: str
    version: str
    call_format: CallFormat
    tools: _containers.RepeatedCompositeFieldContainer[ToolDefinition]
    source: str
    def __init__(self, ecosystem: _Optional[str] = ..., version: _Optional[str] = ..., call_format: _Optional[_Union[CallFormat, str]] = ..., tools: _Optional[_Iterable[_Union[ToolDefinition, _Mapping]]] = ..., source: _Optional[str] = ...) -> None: ...

class AdapterInfo(_message.Message):
    __slots__ = ("name", "version", "base_model", "create_time", "final_loss", "held_out_accuracy", "dataset_hash", "size_bytes", "published", "loaded")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    BASE_MODEL_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    FINAL_LOSS_FIELD_NUMBER: _ClassVar[int]
    HELD_OUT_ACCURACY_FIELD_NUMBER: _ClassVar[int]
    DATASET_HASH_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_FIELD_NUMBER: _ClassVar[int]
    LOADED_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    base_model: str
    create_time: _timestamp_pb2.Timestamp
    final_loss: float
    held_out_accuracy: float
    dataset_hash: str
    size_bytes: int
    published: bool
    loaded: bool
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ..., base_model: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., final_loss: _Optional[float] = ..., held_out_accuracy: _Optional[float] = ..., dataset_hash: _Optional[str] = ..., size_bytes: _Optional[int] = ..., published: _Optional[bool] = ..., loaded: _Optional[bool] = ...) -> None: ...

class ChatMessage(_message.Message):
    __slots__ = ("role", "content")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    role: Role
    content: str
    def __init__(self, role: _Optional[_Union[Role, str]] = ..., content: _Optional[str] = ...) -> None: ...
