"""Builds the trainer service from its settings."""

from __future__ import annotations

import grpc
import structlog

from hybridtools.adapter_store import AdapterStore
from hybridtools.core.server import (
    RunningServer,
    ServiceDefinition,
    start_from_settings,
)
from hybridtools.trainer.v1 import trainer_service_pb2, trainer_service_pb2_grpc
from trainer_svc.config import TrainerSettings
from trainer_svc.evening_loop import EveningLoop, EveningSettings
from trainer_svc.jobs import JobManager
from trainer_svc.launchers import KubernetesLauncher, Launcher, LocalLauncher
from trainer_svc.peers import InferenceClient, RetrievalClient
from trainer_svc.pipeline import TokenizerCache, TrainingPipeline
from trainer_svc.publishing import AdapterPublisher
from trainer_svc.servicer import ADMIN_METHODS, TrainerDomain, TrainerServicer
from trainer_svc.specs import hub_downloads_allowed

log = structlog.get_logger(__name__)

SERVICE_NAME = trainer_service_pb2.DESCRIPTOR.services_by_name["TrainerService"].full_name
# A Kubernetes Job's status is read from the API server this often, not every tick.
KUBERNETES_POLL_S = 5.0


def make_launcher(settings: TrainerSettings) -> Launcher:
    if settings.launcher == "kubernetes":
        return KubernetesLauncher(settings.job_template)
    return LocalLauncher(gpus=settings.local_gpus)


def build_domain(settings: TrainerSettings, launcher: Launcher | None = None) -> TrainerDomain:
    """Every domain object, wired; nothing runs until `jobs.start()`."""
    state_dir = settings.state_dir("trainer")
    dataset_dir = settings.resolved_dataset_dir()
    dataset_dir.mkdir(parents=True, exist_ok=True)
    store = AdapterStore(settings.resolved_adapter_dir())
    token = settings.admin_token.get_secret_value() if settings.admin_token else ""
    inference = InferenceClient(settings.inference_address, settings.peer_timeout_s, token)
    retrieval = RetrievalClient(settings.retrieval_address, settings.peer_timeout_s, token)
    publisher = AdapterPublisher(store, inference)
    pipeline = TrainingPipeline(
        store=store,
        publisher=publisher,
        retrieval=retrieval,
        tokenizers=TokenizerCache(settings.resolved_model_dir()),
        dataset_dir=dataset_dir,
        checkpoint_every=settings.checkpoint_every,
        worker_threads=settings.worker_threads,
        publish_eval_samples=settings.publish_eval_samples,
    )
    jobs = JobManager(
        state_dir / "jobs",
        launcher or make_launcher(settings),
        pipeline,
        max_queued=settings.max_queued_jobs,
        poll_interval_s=settings.poll_interval_s,
        cancel_grace_s=settings.cancel_grace_s,
        launcher_poll_s=KUBERNETES_POLL_S if settings.launcher == "kubernetes" else 0.0,
    )
    evening = EveningLoop(
        jobs=jobs,
        pipeline=pipeline,
        store=store,
        inference=inference,
        retrieval=retrieval,
        ledger_dir=state_dir / "evening",
        settings=EveningSettings(
            threshold=settings.evening_threshold,
            max_steps=settings.evening_max_steps,
            batch_size=settings.evening_batch_size,
            replay_samples=settings.evening_replay_samples,
            eval_samples=settings.evening_eval_samples,
        ),
    )
    return TrainerDomain(
        jobs,
        pipeline,
        store,
        publisher,
        evening,
        inference,
        hub_base_models=hub_downloads_allowed(settings.launcher),
    )


def build_service(settings: TrainerSettings, launcher: Launcher | None = None) -> ServiceDefinition:
    servicer = TrainerServicer()
    domain = build_domain(settings, launcher)

    def register(server: grpc.aio.Server) -> None:
        trainer_service_pb2_grpc.add_TrainerServiceServicer_to_server(servicer, server)

    async def start() -> None:
        await domain.jobs.start()
        servicer.attach(domain)
        running = domain.jobs.running()
        log.info(
            "trainer ready",
            launcher=settings.launcher,
            adapters=domain.store.names() or "none",
            running_job=running.name if running else None,
        )

    async def stop() -> None:
        # Workers keep running: a restarted server re-attaches to them.
        await domain.jobs.stop()
        await domain.inference.close()
        await domain.evening.retrieval.close()

    return ServiceDefinition(
        name="trainer",
        service_names=[SERVICE_NAME],
        register=register,
        start=start,
        stop=stop,
        admin_methods=ADMIN_METHODS,
    )


async def serve(settings: TrainerSettings) -> RunningServer:
    return await start_from_settings(build_service(settings), settings)
