"""Builds the inference service from its settings."""

from __future__ import annotations

import grpc
import structlog

from hybridtools.adapter_store import AdapterStore
from hybridtools.core.server import (
    RunningServer,
    ServiceDefinition,
    start_from_settings,
)
from hybridtools.inference.v1 import inference_service_pb2, inference_service_pb2_grpc
from inference_svc.adapters import AdapterManager
from inference_svc.backends.base import LLMBackend
from inference_svc.config import InferenceSettings
from inference_svc.generation import ToolCallingGenerator
from inference_svc.prompt_builder import ToolAwarePromptBuilder
from inference_svc.retrieval_client import RetrievalClient
from inference_svc.servicer import ADMIN_METHODS, InferenceServicer
from inference_svc.timeline import UsageTimeline

log = structlog.get_logger(__name__)

SERVICE_NAME = inference_service_pb2.DESCRIPTOR.services_by_name["InferenceService"].full_name


def make_backend(settings: InferenceSettings) -> LLMBackend:
    if settings.backend == "tgi":
        from pathlib import Path

        from hybridtools.llm.packaged import ensure_model_dir, load_tokenizer
        from inference_svc.backends.tgi import TgiBackend
        from inference_svc.backends.tokenizer import HfChatTokenizer

        tokenizer_dir = (
            Path(settings.tgi_tokenizer)
            if settings.tgi_tokenizer
            else ensure_model_dir(settings.base_model, settings.resolved_model_dir())
        )
        return TgiBackend(
            settings.tgi_url,
            HfChatTokenizer(load_tokenizer(tokenizer_dir)),
            settings.tgi_adapters,
            settings.context_window,
            settings.tgi_timeout_s,
        )
    from inference_svc.backends.local import LocalBackend

    return LocalBackend(
        settings.base_model,
        settings.resolved_model_dir(),
        settings.torch_threads,
        settings.context_window,
        runtime=settings.llm_runtime,
        grammar_cache_dir=settings.state_dir("inference") / "grammars",
        copy_bonus=settings.copy_bonus,
    )


def build_service(
    settings: InferenceSettings, backend: LLMBackend | None = None
) -> ServiceDefinition:
    state_dir = settings.state_dir("inference")
    timeline = UsageTimeline(state_dir / "usage-timeline.sqlite")
    servicer = InferenceServicer(timeline)
    retrieval = RetrievalClient(settings.retrieval_address, settings.retrieval_timeout_s)
    chosen = backend or make_backend(settings)

    def register(server: grpc.aio.Server) -> None:
        inference_service_pb2_grpc.add_InferenceServiceServicer_to_server(servicer, server)

    async def start() -> None:
        await chosen.start()
        base_model = settings.base_model if chosen.name == "local" else chosen.base_model
        adapters = AdapterManager(AdapterStore(settings.resolved_adapter_dir()), chosen, base_model)
        await adapters.start(settings.default_adapter)
        builder = ToolAwarePromptBuilder(
            retrieval,
            chosen.tokenizer,
            chosen.context_window,
            candidate_tools=settings.candidate_tools,
            dominant_tool_share=settings.dominant_tool_share,
            router_confidence=settings.router_confidence,
            example_token_budget=settings.example_token_budget,
        )
        servicer.attach(
            ToolCallingGenerator(
                builder,
                chosen,
                adapters,
                timeline,
                settings.max_new_tokens,
                settings.examples_per_request,
                settings.max_call_tokens,
            )
        )
        log.info(
            "inference ready",
            backend=chosen.name,
            base_model=base_model,
            default_adapter=adapters.default,
        )

    async def stop() -> None:
        await retrieval.close()
        await chosen.close()
        timeline.close()

    return ServiceDefinition(
        name="inference",
        service_names=[SERVICE_NAME],
        register=register,
        start=start,
        stop=stop,
        admin_methods=ADMIN_METHODS,
    )


async def serve(settings: InferenceSettings) -> RunningServer:
    return await start_from_settings(build_service(settings), settings)
