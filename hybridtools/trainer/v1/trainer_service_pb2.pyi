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

class JobState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_STATE_UNSPECIFIED: _ClassVar[JobState]
    JOB_STATE_QUEUED: _ClassVar[JobState]
    JOB_STATE_RUNNING: _ClassVar[JobState]
    JOB_STATE_SUCCEEDED: _ClassVar[JobState]
    JOB_STATE_FAILED: _ClassVar[JobState]
    JOB_STATE_CANCELLED: _ClassVar[JobState]

class Quantization(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUANTIZATION_UNSPECIFIED: _ClassVar[Quantization]
    QUANTIZATION_NONE: _ClassVar[Quantization]
    QUANTIZATION_4BIT: _ClassVar[Quantization]
JOB_STATE_UNSPECIFIED: JobState
JOB_STATE_QUEUED: JobState
JOB_STATE_RUNNING: JobState
JOB_STATE_SUCCEEDED: JobState
JOB_STATE_FAILED: JobState
JOB_STATE_CANCELLED: JobState
QUANTIZATION_UNSPECIFIED: Quantization
QUANTIZATION_NONE: Quantization
QUANTIZATION_4BIT: Quantization

class RetrievalExamplesSource(_message.Message):
    __slots__ = ("ecosystem", "tool_names", "include_negatives")
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    TOOL_NAMES_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_NEGATIVES_FIELD_NUMBER: _ClassVar[int]
    ecosystem: str
    tool_names: _containers.RepeatedScalarFieldContainer[str]
    include_negatives: bool
    def __init__(self, ecosystem: _Optional[str] = ..., tool_names: _Optional[_Iterable[str]] = ..., include_negatives: _Optional[bool] = ...) -> None: ...

class DatasetSource(_message.Message):
    __slots__ = ("name", "path", "retrieval", "sample_count", "weight")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    RETRIEVAL_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_COUNT_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    name: str
    path: str
    retrieval: RetrievalExamplesSource
    sample_count: int
    weight: float
    def __init__(self, name: _Optional[str] = ..., path: _Optional[str] = ..., retrieval: _Optional[_Union[RetrievalExamplesSource, _Mapping]] = ..., sample_count: _Optional[int] = ..., weight: _Optional[float] = ...) -> None: ...

class LoraSettings(_message.Message):
    __slots__ = ("rank", "alpha", "target_modules", "dropout")
    RANK_FIELD_NUMBER: _ClassVar[int]
    ALPHA_FIELD_NUMBER: _ClassVar[int]
    TARGET_MODULES_FIELD_NUMBER: _ClassVar[int]
    DROPOUT_FIELD_NUMBER: _ClassVar[int]
    rank: int
    alpha: float
    target_modules: _containers.RepeatedScalarFieldContainer[str]
    dropout: float
    def __init__(self, rank: _Optional[int] = ..., alpha: _Optional[float] = ..., target_modules: _Optional[_Iterable[str]] = ..., dropout: _Optional[float] = ...) -> None: ...

class TrainingJobSpec(_message.Message):
    __slots__ = ("adapter_name", "base_model", "sources", "lora", "quantization", "epochs", "max_steps", "sequence_length", "learning_rate", "seed", "batch_size", "publish", "eval_samples")
    ADAPTER_NAME_FIELD_NUMBER: _ClassVar[int]
    BASE_MODEL_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    LORA_FIELD_NUMBER: _ClassVar[int]
    QUANTIZATION_FIELD_NUMBER: _ClassVar[int]
    EPOCHS_FIELD_NUMBER: _ClassVar[int]
    MAX_STEPS_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_LENGTH_FIELD_NUMBER: _ClassVar[int]
    LEARNING_RATE_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    BATCH_SIZE_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_FIELD_NUMBER: _ClassVar[int]
    EVAL_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    adapter_name: str
    base_model: str
    sources: _containers.RepeatedCompositeFieldContainer[DatasetSource]
    lora: LoraSettings
    quantization: Quantization
    epochs: float
    max_steps: int
    sequence_length: int
    learning_rate: float
    seed: int
    batch_size: int
    publish: bool
    eval_samples: int
    def __init__(self, adapter_name: _Optional[str] = ..., base_model: _Optional[str] = ..., sources: _Optional[_Iterable[_Union[DatasetSource, _Mapping]]] = ..., lora: _Optional[_Union[LoraSettings, _Mapping]] = ..., quantization: _Optional[_Union[Quantization, str]] = ..., epochs: _Optional[float] = ..., max_steps: _Optional[int] = ..., sequence_length: _Optional[int] = ..., learning_rate: _Optional[float] = ..., seed: _Optional[int] = ..., batch_size: _Optional[int] = ..., publish: _Optional[bool] = ..., eval_samples: _Optional[int] = ...) -> None: ...

class DatasetSourceReport(_message.Message):
    __slots__ = ("name", "samples", "tokens", "token_share")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SAMPLES_FIELD_NUMBER: _ClassVar[int]
    TOKENS_FIELD_NUMBER: _ClassVar[int]
    TOKEN_SHARE_FIELD_NUMBER: _ClassVar[int]
    name: str
    samples: int
    tokens: int
    token_share: float
    def __init__(self, name: _Optional[str] = ..., samples: _Optional[int] = ..., tokens: _Optional[int] = ..., token_share: _Optional[float] = ...) -> None: ...

class DatasetMixReport(_message.Message):
    __slots__ = ("sources", "total_samples", "total_tokens", "trainable_tokens", "dataset_hash")
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SAMPLES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_TOKENS_FIELD_NUMBER: _ClassVar[int]
    TRAINABLE_TOKENS_FIELD_NUMBER: _ClassVar[int]
    DATASET_HASH_FIELD_NUMBER: _ClassVar[int]
    sources: _containers.RepeatedCompositeFieldContainer[DatasetSourceReport]
    total_samples: int
    total_tokens: int
    trainable_tokens: int
    dataset_hash: str
    def __init__(self, sources: _Optional[_Iterable[_Union[DatasetSourceReport, _Mapping]]] = ..., total_samples: _Optional[int] = ..., total_tokens: _Optional[int] = ..., trainable_tokens: _Optional[int] = ..., dataset_hash: _Optional[str] = ...) -> None: ...

class TrainingProgress(_message.Message):
    __slots__ = ("step", "total_steps", "loss", "tokens_per_second", "eta_seconds", "epoch")
    STEP_FIELD_NUMBER: _ClassVar[int]
    TOTAL_STEPS_FIELD_NUMBER: _ClassVar[int]
    LOSS_FIELD_NUMBER: _ClassVar[int]
    TOKENS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    ETA_SECONDS_FIELD_NUMBER: _ClassVar[int]
    EPOCH_FIELD_NUMBER: _ClassVar[int]
    step: int
    total_steps: int
    loss: float
    tokens_per_second: float
    eta_seconds: float
    epoch: float
    def __init__(self, step: _Optional[int] = ..., total_steps: _Optional[int] = ..., loss: _Optional[float] = ..., tokens_per_second: _Optional[float] = ..., eta_seconds: _Optional[float] = ..., epoch: _Optional[float] = ...) -> None: ...

class TrainingJob(_message.Message):
    __slots__ = ("name", "spec", "state", "progress", "mix", "error", "adapter", "create_time", "start_time", "end_time", "outcome", "initial_loss")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    MIX_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    INITIAL_LOSS_FIELD_NUMBER: _ClassVar[int]
    name: str
    spec: TrainingJobSpec
    state: JobState
    progress: TrainingProgress
    mix: DatasetMixReport
    error: str
    adapter: _tools_pb2.AdapterInfo
    create_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    outcome: str
    initial_loss: float
    def __init__(self, name: _Optional[str] = ..., spec: _Optional[_Union[TrainingJobSpec, _Mapping]] = ..., state: _Optional[_Union[JobState, str]] = ..., progress: _Optional[_Union[TrainingProgress, _Mapping]] = ..., mix: _Optional[_Union[DatasetMixReport, _Mapping]] = ..., error: _Optional[str] = ..., adapter: _Optional[_Union[_tools_pb2.AdapterInfo, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., outcome: _Optional[str] = ..., initial_loss: _Optional[float] = ...) -> None: ...

class CreateTrainingJobRequest(_message.Message):
    __slots__ = ("spec",)
    SPEC_FIELD_NUMBER: _ClassVar[int]
    spec: TrainingJobSpec
    def __init__(self, spec: _Optional[_Union[TrainingJobSpec, _Mapping]] = ...) -> None: ...

class CreateTrainingJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: TrainingJob
    def __init__(self, job: _Optional[_Union[TrainingJob, _Mapping]] = ...) -> None: ...

class GetTrainingJobRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetTrainingJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: TrainingJob
    def __init__(self, job: _Optional[_Union[TrainingJob, _Mapping]] = ...) -> None: ...

class ListTrainingJobsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTrainingJobsResponse(_message.Message):
    __slots__ = ("jobs", "next_page_token")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[TrainingJob]
    next_page_token: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[TrainingJob, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CancelTrainingJobRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class CancelTrainingJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: TrainingJob
    def __init__(self, job: _Optional[_Union[TrainingJob, _Mapping]] = ...) -> None: ...

class WatchTrainingJobRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class WatchTrainingJobResponse(_message.Message):
    __slots__ = ("job",)
    JOB_FIELD_NUMBER: _ClassVar[int]
    job: TrainingJob
    def __init__(self, job: _Optional[_Union[TrainingJob, _Mapping]] = ...) -> None: ...

class PreviewDatasetMixRequest(_message.Message):
    __slots__ = ("sources", "base_model")
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    BASE_MODEL_FIELD_NUMBER: _ClassVar[int]
    sources: _containers.RepeatedCompositeFieldContainer[DatasetSource]
    base_model: str
    def __init__(self, sources: _Optional[_Iterable[_Union[DatasetSource, _Mapping]]] = ..., base_model: _Optional[str] = ...) -> None: ...

class PreviewDatasetMixResponse(_message.Message):
    __slots__ = ("mix",)
    MIX_FIELD_NUMBER: _ClassVar[int]
    mix: DatasetMixReport
    def __init__(self, mix: _Optional[_Union[DatasetMixReport, _Mapping]] = ...) -> None: ...

class ListAdaptersRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListAdaptersResponse(_message.Message):
    __slots__ = ("adapters",)
    ADAPTERS_FIELD_NUMBER: _ClassVar[int]
    adapters: _containers.RepeatedCompositeFieldContainer[_tools_pb2.AdapterInfo]
    def __init__(self, adapters: _Optional[_Iterable[_Union[_tools_pb2.AdapterInfo, _Mapping]]] = ...) -> None: ...

class PublishAdapterRequest(_message.Message):
    __slots__ = ("name", "version")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: int
    def __init__(self, name: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class PublishAdapterResponse(_message.Message):
    __slots__ = ("adapter", "inference_loaded", "detail")
    ADAPTER_FIELD_NUMBER: _ClassVar[int]
    INFERENCE_LOADED_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    adapter: _tools_pb2.AdapterInfo
    inference_loaded: bool
    detail: str
    def __init__(self, adapter: _Optional[_Union[_tools_pb2.AdapterInfo, _Mapping]] = ..., inference_loaded: _Optional[bool] = ..., detail: _Optional[str] = ...) -> None: ...

class RunEveningLoopRequest(_message.Message):
    __slots__ = ("dry_run", "threshold_per_day", "day", "adapter_name", "max_steps")
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_PER_DAY_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_NAME_FIELD_NUMBER: _ClassVar[int]
    MAX_STEPS_FIELD_NUMBER: _ClassVar[int]
    dry_run: bool
    threshold_per_day: int
    day: str
    adapter_name: str
    max_steps: int
    def __init__(self, dry_run: _Optional[bool] = ..., threshold_per_day: _Optional[int] = ..., day: _Optional[str] = ..., adapter_name: _Optional[str] = ..., max_steps: _Optional[int] = ...) -> None: ...

class HeavyTool(_message.Message):
    __slots__ = ("ecosystem", "tool_name", "calls", "examples", "already_trained")
    ECOSYSTEM_FIELD_NUMBER: _ClassVar[int]
    TOOL_NAME_FIELD_NUMBER: _ClassVar[int]
    CALLS_FIELD_NUMBER: _ClassVar[int]
    EXAMPLES_FIELD_NUMBER: _ClassVar[int]
    ALREADY_TRAINED_FIELD_NUMBER: _ClassVar[int]
    ecosystem: str
    tool_name: str
    calls: int
    examples: int
    already_trained: bool
    def __init__(self, ecosystem: _Optional[str] = ..., tool_name: _Optional[str] = ..., calls: _Optional[int] = ..., examples: _Optional[int] = ..., already_trained: _Optional[bool] = ...) -> None: ...

class RunEveningLoopResponse(_message.Message):
    __slots__ = ("day", "heavy_tools", "selected_tools", "mix", "job", "actions", "dry_run")
    DAY_FIELD_NUMBER: _ClassVar[int]
    HEAVY_TOOLS_FIELD_NUMBER: _ClassVar[int]
    SELECTED_TOOLS_FIELD_NUMBER: _ClassVar[int]
    MIX_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    day: str
    heavy_tools: _containers.RepeatedCompositeFieldContainer[HeavyTool]
    selected_tools: _containers.RepeatedCompositeFieldContainer[HeavyTool]
    mix: DatasetMixReport
    job: str
    actions: _containers.RepeatedScalarFieldContainer[str]
    dry_run: bool
    def __init__(self, day: _Optional[str] = ..., heavy_tools: _Optional[_Iterable[_Union[HeavyTool, _Mapping]]] = ..., selected_tools: _Optional[_Iterable[_Union[HeavyTool, _Mapping]]] = ..., mix: _Optional[_Union[DatasetMixReport, _Mapping]] = ..., job: _Optional[str] = ..., actions: _Optional[_Iterable[str]] = ..., dry_run: _Optional[bool] = ...) -> None: ...
