"""TrainerService: proto <-> domain conversion, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc

from hybridtools.adapter_store import AdapterStore
from hybridtools.common.v1 import tools_pb2
from hybridtools.core.errors import InvalidArgumentError, NotFoundError, UnavailableError
from hybridtools.core.timestamps import timestamp_from_iso
from hybridtools.llm.packaged import DEFAULT_BASE_MODEL
from hybridtools.trainer.v1 import trainer_service_pb2 as pb
from hybridtools.trainer.v1 import trainer_service_pb2_grpc as pb_grpc
from trainer_svc.composer import MixReport, RetrievalSpec, SourceSpec, validate_sources
from trainer_svc.evening_loop import EveningLoop, EveningReport, HeavyTool
from trainer_svc.job_files import DEFAULT_TARGET_MODULES, LoraConfigSpec
from trainer_svc.jobs import JobManager, JobRecord, JobState
from trainer_svc.peers import InferenceClient
from trainer_svc.pipeline import TrainingPipeline
from trainer_svc.publishing import AdapterPublisher
from trainer_svc.specs import TrainingSpec, base_model_known, validate_spec

ADMIN_METHODS = frozenset(
    {"CreateTrainingJob", "CancelTrainingJob", "PublishAdapter", "RunEveningLoop"}
)
_STATES = {
    JobState.QUEUED: pb.JOB_STATE_QUEUED,
    JobState.RUNNING: pb.JOB_STATE_RUNNING,
    JobState.SUCCEEDED: pb.JOB_STATE_SUCCEEDED,
    JobState.FAILED: pb.JOB_STATE_FAILED,
    JobState.CANCELLED: pb.JOB_STATE_CANCELLED,
}
_QUANTIZATION_TO_DOMAIN = {
    pb.QUANTIZATION_UNSPECIFIED: "none",
    pb.QUANTIZATION_NONE: "none",
    pb.QUANTIZATION_4BIT: "4bit",
}
_QUANTIZATION_TO_PROTO = {"none": pb.QUANTIZATION_NONE, "4bit": pb.QUANTIZATION_4BIT}


# -- requests -> domain ------------------------------------------------------------


def source_from_proto(source: pb.DatasetSource) -> SourceSpec:
    retrieval = None
    if source.WhichOneof("source") == "retrieval":
        retrieval = RetrievalSpec(
            source.retrieval.ecosystem,
            tuple(source.retrieval.tool_names),
            source.retrieval.include_negatives,
        )
    return SourceSpec(
        name=source.name,
        path=source.path,
        retrieval=retrieval,
        sample_count=source.sample_count,
        weight=source.weight,
    )


def lora_from_proto(spec: pb.TrainingJobSpec) -> LoraConfigSpec:
    if not spec.HasField("lora"):
        return LoraConfigSpec()
    lora = spec.lora
    if lora.rank == 0:
        raise InvalidArgumentError(
            "lora.rank is 0: give a rank of 1..256, or leave lora unset for the defaults "
            "(r=16, alpha 32, q/k/v/o projections)"
        )
    return LoraConfigSpec(
        rank=lora.rank,
        alpha=lora.alpha or 2.0 * lora.rank,
        target_modules=list(lora.target_modules) or list(DEFAULT_TARGET_MODULES),
        dropout=lora.dropout,
    )


def spec_from_proto(spec: pb.TrainingJobSpec) -> TrainingSpec:
    if spec.quantization not in _QUANTIZATION_TO_DOMAIN:
        raise InvalidArgumentError(f"unknown quantization {spec.quantization}")
    return TrainingSpec(
        adapter_name=spec.adapter_name,
        base_model=spec.base_model or DEFAULT_BASE_MODEL,
        sources=[source_from_proto(source) for source in spec.sources],
        lora=lora_from_proto(spec),
        quantization=_QUANTIZATION_TO_DOMAIN[spec.quantization],
        epochs=spec.epochs or 1.0,
        max_steps=spec.max_steps,
        sequence_length=spec.sequence_length or 512,
        learning_rate=spec.learning_rate or 1e-3,
        seed=spec.seed,
        batch_size=spec.batch_size or 4,
        publish=spec.publish,
        eval_samples=spec.eval_samples,
    )


# -- domain -> responses ------------------------------------------------------------


def spec_to_proto(spec: TrainingSpec) -> pb.TrainingJobSpec:
    message = pb.TrainingJobSpec(
        adapter_name=spec.adapter_name,
        base_model=spec.base_model,
        lora=pb.LoraSettings(
            rank=spec.lora.rank,
            alpha=spec.lora.alpha,
            target_modules=spec.lora.target_modules,
            dropout=spec.lora.dropout,
        ),
        quantization=_QUANTIZATION_TO_PROTO[spec.quantization],
        epochs=spec.epochs,
        max_steps=spec.max_steps,
        sequence_length=spec.sequence_length,
        learning_rate=spec.learning_rate,
        seed=spec.seed,
        batch_size=spec.batch_size,
        publish=spec.publish,
        eval_samples=spec.eval_samples,
    )
    for source in spec.sources:
        item = message.sources.add(
            name=source.label, sample_count=source.sample_count, weight=source.weight
        )
        if source.retrieval is not None:
            item.retrieval.CopyFrom(
                pb.RetrievalExamplesSource(
                    ecosystem=source.retrieval.ecosystem,
                    tool_names=source.retrieval.tool_names,
                    include_negatives=source.retrieval.include_negatives,
                )
            )
        else:
            item.path = source.path
    return message


def mix_to_proto(report: MixReport) -> pb.DatasetMixReport:
    return pb.DatasetMixReport(
        sources=[
            pb.DatasetSourceReport(
                name=s.name, samples=s.samples, tokens=s.tokens, token_share=s.token_share
            )
            for s in report.sources
        ],
        total_samples=report.total_samples,
        total_tokens=report.total_tokens,
        trainable_tokens=report.trainable_tokens,
        dataset_hash=report.dataset_hash,
    )


def heavy_tool_to_proto(tool: HeavyTool) -> pb.HeavyTool:
    return pb.HeavyTool(
        ecosystem=tool.ecosystem,
        tool_name=tool.tool_name,
        calls=tool.calls,
        examples=tool.examples,
        already_trained=tool.already_trained,
    )


def evening_to_proto(report: EveningReport) -> pb.RunEveningLoopResponse:
    response = pb.RunEveningLoopResponse(
        day=report.day,
        heavy_tools=[heavy_tool_to_proto(t) for t in report.heavy_tools],
        selected_tools=[heavy_tool_to_proto(t) for t in report.selected_tools],
        job=report.job,
        actions=report.actions,
        dry_run=report.dry_run,
    )
    if report.mix is not None:
        response.mix.CopyFrom(mix_to_proto(report.mix))
    return response


@dataclass
class TrainerDomain:
    """What the servicer converts to and from; built by server.py."""

    jobs: JobManager
    pipeline: TrainingPipeline
    store: AdapterStore
    publisher: AdapterPublisher
    evening: EveningLoop
    inference: InferenceClient
    # Whether a base model may be a Hub id (workers download it).
    hub_base_models: bool = False


class TrainerServicer(pb_grpc.TrainerServiceServicer):
    """Registered before the job records load; `attach` makes it answer."""

    def __init__(self) -> None:
        self._domain: TrainerDomain | None = None

    def attach(self, domain: TrainerDomain) -> None:
        self._domain = domain

    @property
    def _d(self) -> TrainerDomain:
        if self._domain is None:
            raise UnavailableError("the trainer service is starting; retry shortly")
        return self._domain

    def _job_to_proto(self, record: JobRecord) -> pb.TrainingJob:
        job = pb.TrainingJob(
            name=record.name,
            spec=spec_to_proto(record.spec),
            state=_STATES[record.state],
            progress=pb.TrainingProgress(
                step=record.progress.step,
                total_steps=record.progress.total_steps,
                loss=record.progress.loss,
                tokens_per_second=record.progress.tokens_per_second,
                eta_seconds=record.progress.eta_seconds,
                epoch=record.progress.epoch,
            ),
            error=record.error,
            outcome=record.outcome or (f"{record.phase}" if record.phase else ""),
            initial_loss=record.initial_loss or 0.0,
        )
        if record.mix:
            job.mix.CopyFrom(mix_to_proto(MixReport.from_json(record.mix)))
        if record.adapter:
            try:
                version = self._d.store.get(record.adapter["name"], int(record.adapter["version"]))
                job.adapter.CopyFrom(version.to_proto())
            except KeyError:
                job.adapter.CopyFrom(
                    tools_pb2.AdapterInfo(
                        name=record.adapter["name"], version=int(record.adapter["version"])
                    )
                )
        for field_name, iso in (
            ("create_time", record.create_time),
            ("start_time", record.start_time),
            ("end_time", record.end_time),
        ):
            stamp = timestamp_from_iso(iso)
            if stamp is not None:
                getattr(job, field_name).CopyFrom(stamp)
        return job

    async def CreateTrainingJob(
        self, request: pb.CreateTrainingJobRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateTrainingJobResponse:
        spec = spec_from_proto(request.spec)
        validate_spec(spec, self._d.pipeline.dataset_dir, self._d.hub_base_models)
        record = await self._d.jobs.create(spec)
        return pb.CreateTrainingJobResponse(job=self._job_to_proto(record))

    async def GetTrainingJob(
        self, request: pb.GetTrainingJobRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetTrainingJobResponse:
        return pb.GetTrainingJobResponse(job=self._job_to_proto(self._d.jobs.get(request.name)))

    async def ListTrainingJobs(
        self, request: pb.ListTrainingJobsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListTrainingJobsResponse:
        records, token = self._d.jobs.list(request.page_size, request.page_token)
        return pb.ListTrainingJobsResponse(
            jobs=[self._job_to_proto(r) for r in records], next_page_token=token
        )

    async def CancelTrainingJob(
        self, request: pb.CancelTrainingJobRequest, context: grpc.aio.ServicerContext
    ) -> pb.CancelTrainingJobResponse:
        record = await self._d.jobs.cancel(request.name)
        return pb.CancelTrainingJobResponse(job=self._job_to_proto(record))

    async def WatchTrainingJob(
        self, request: pb.WatchTrainingJobRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.WatchTrainingJobResponse]:
        async for record in self._d.jobs.watch(request.name):
            yield pb.WatchTrainingJobResponse(job=self._job_to_proto(record))

    async def PreviewDatasetMix(
        self, request: pb.PreviewDatasetMixRequest, context: grpc.aio.ServicerContext
    ) -> pb.PreviewDatasetMixResponse:
        sources = [source_from_proto(source) for source in request.sources]
        base_model = request.base_model or DEFAULT_BASE_MODEL
        if not base_model_known(base_model, self._d.hub_base_models):
            raise InvalidArgumentError(f"unknown base model {base_model!r}")
        validate_sources(sources, self._d.pipeline.dataset_dir)
        mix = await self._d.pipeline.compose(sources, base_model, seed=0)
        return pb.PreviewDatasetMixResponse(mix=mix_to_proto(mix.report))

    async def ListAdapters(
        self, request: pb.ListAdaptersRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListAdaptersResponse:
        store = self._d.store
        if request.name:
            versions = store.versions(request.name)
            if not versions:
                raise NotFoundError(f"no adapter named {request.name!r}")
        else:
            versions = store.all_versions()
        loaded = await self._d.inference.loaded_adapters() if versions else set()
        return pb.ListAdaptersResponse(
            adapters=[v.to_proto(loaded=(v.name, v.version) in loaded) for v in versions]
        )

    async def PublishAdapter(
        self, request: pb.PublishAdapterRequest, context: grpc.aio.ServicerContext
    ) -> pb.PublishAdapterResponse:
        result = await self._d.publisher.publish(request.name, request.version)
        return pb.PublishAdapterResponse(
            adapter=result.adapter.to_proto(loaded=result.inference_loaded),
            inference_loaded=result.inference_loaded,
            detail=result.detail,
        )

    async def RunEveningLoop(
        self, request: pb.RunEveningLoopRequest, context: grpc.aio.ServicerContext
    ) -> pb.RunEveningLoopResponse:
        report = await self._d.evening.run(
            dry_run=request.dry_run,
            threshold=request.threshold_per_day,
            day=request.day,
            adapter_name=request.adapter_name,
            max_steps=request.max_steps,
        )
        return evening_to_proto(report)
