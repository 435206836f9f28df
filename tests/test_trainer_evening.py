"""The evening loop end to end: real retrieval, inference and trainer services.

A synthetic usage timeline (written into the inference service's own SQLite
file) makes two tools heavy today; the loop pulls their examples from
retrieval, trains a couple of steps on top of the serving adapter, evaluates,
publishes to the running inference service and marks the examples trained.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest

from hybridtools.common.v1 import tools_pb2
from hybridtools.core.channels import aio_channel
from hybridtools.core.server import RunningServer, start_server
from hybridtools.ecosystems.catalog import load_builtin_catalog
from hybridtools.inference.v1 import inference_service_pb2 as ipb
from hybridtools.inference.v1 import inference_service_pb2_grpc as ipb_grpc
from hybridtools.llm.packaged import default_model_cache_dir
from hybridtools.retrieval.v1 import retrieval_service_pb2 as rpb
from hybridtools.trainer.v1 import trainer_service_pb2 as pb
from inference_svc.config import InferenceSettings
from inference_svc.server import build_service as build_inference
from inference_svc.timeline import ToolCallEvent, UsageTimeline

from .conftest import RetrievalUnderTest
from .test_trainer_service import TrainerUnderTest, ended, start_trainer, trainer_settings, wait_for

pytestmark = pytest.mark.slow
ECOSYSTEM = "evening"
CONTINUE = load_builtin_catalog("continue")
CALLS_TODAY = {"read_file": 150, "ls": 120, "run_terminal_command": 30}


def example(request: str, tool: str, arguments: dict) -> tools_pb2.ToolExample:
    item = tools_pb2.ToolExample(
        tool_name=tool,
        request=request,
        kind=tools_pb2.EXAMPLE_KIND_POSITIVE,
        usage_pattern=f"use {tool}",
        tool_version=CONTINUE.version,
        quality_score=0.9,
    )
    item.call.name = tool
    item.call.arguments.update(arguments)
    return item


EXAMPLES = [
    *(example(f"show me {p}", "read_file", {"filepath": p}) for p in ("a.py", "b.ts", "c.md")),
    example("open README.md please", "read_file", {"filepath": "README.md"}),
    example("what is in setup.cfg", "read_file", {"filepath": "setup.cfg"}),
    *(example(f"list the files in {d}", "ls", {"dirPath": d}) for d in ("src", "docs", "tests")),
    example("what's inside the lib folder", "ls", {"dirPath": "lib"}),
    example("run pytest", "run_terminal_command", {"command": "pytest -q"}),
    example("install deps", "run_terminal_command", {"command": "npm install"}),
]


@dataclass
class EveningSystem:
    retrieval: RetrievalUnderTest
    inference: RunningServer
    inference_stub: ipb_grpc.InferenceServiceStub
    inference_channel: grpc.aio.Channel
    trainer: TrainerUnderTest


def write_usage(timeline_file: Path) -> None:
    timeline = UsageTimeline(timeline_file)
    now = datetime.now(UTC)
    for tool, calls in CALLS_TODAY.items():
        for _ in range(calls):
            timeline.record(ToolCallEvent(ECOSYSTEM, tool, "tool-awareness", 900.0, True, now))
    # Heavy yesterday, not today: not tonight's business.
    for _ in range(500):
        timeline.record(
            ToolCallEvent(ECOSYSTEM, "grep_search", "base", 800.0, True, now - timedelta(days=1))
        )
    timeline.close()


@pytest.fixture(scope="module")
async def system(
    retrieval: RetrievalUnderTest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[EveningSystem]:
    root = tmp_path_factory.mktemp("evening")
    request = rpb.SwapEcosystemRequest(
        ecosystem=ECOSYSTEM, catalog=CONTINUE.to_proto(), wait_for_tool_router=True
    )
    request.examples.examples.extend(EXAMPLES)
    async for _ in retrieval.stub.SwapEcosystem(request):
        pass
    inference_settings = InferenceSettings(
        port=0,
        data_dir=root / "inference",
        retrieval_address=retrieval.address,
        model_dir=default_model_cache_dir(),
        adapter_dir=root / "adapters",
    )
    inference = await start_server(build_inference(inference_settings), "127.0.0.1:0", grace_s=1.0)
    channel = aio_channel(f"127.0.0.1:{inference.port}")
    write_usage(root / "inference" / "usage-timeline.sqlite")
    settings = trainer_settings(
        root,
        inference_address=f"127.0.0.1:{inference.port}",
        retrieval_address=retrieval.address,
        peer_timeout_s=60.0,
        evening_max_steps=2,
        evening_batch_size=1,
        evening_replay_samples=4,
        evening_eval_samples=1,
    )
    trainer = await start_trainer(settings)
    yield EveningSystem(
        retrieval, inference, ipb_grpc.InferenceServiceStub(channel), channel, trainer
    )
    await trainer.close()
    await channel.close()
    await inference.stop()


async def trained_counts(system: EveningSystem) -> dict[str, tuple[int, int]]:
    response = await system.retrieval.stub.GetEcosystem(
        rpb.GetEcosystemRequest(ecosystem=ECOSYSTEM)
    )
    return {t.tool_name: (t.positive_count, t.trained_count) for t in response.ecosystem.tools}


async def test_dry_run_reports_and_changes_nothing(system: EveningSystem) -> None:
    stub = system.trainer.stub
    dry = await stub.RunEveningLoop(pb.RunEveningLoopRequest(dry_run=True))
    assert dry.dry_run and not dry.job
    assert dry.day == datetime.now(UTC).date().isoformat()
    assert [(t.tool_name, t.calls, t.examples) for t in dry.heavy_tools] == [
        ("read_file", 150, 5),
        ("ls", 120, 4),
    ]
    assert [t.tool_name for t in dry.selected_tools] == ["read_file", "ls"]
    sources = {s.name: s.samples for s in dry.mix.sources}
    assert sources == {"deepen:evening": 9, "tool_awareness_replay": 4, "guardrails_replay": 4}
    assert any(a.startswith("would train") for a in dry.actions)
    assert not (await stub.ListTrainingJobs(pb.ListTrainingJobsRequest())).jobs
    assert all(trained == 0 for _, trained in (await trained_counts(system)).values())


async def test_evening_loop_trains_publishes_marks_and_is_idempotent(system: EveningSystem) -> None:
    stub = system.trainer.stub
    run = await stub.RunEveningLoop(pb.RunEveningLoopRequest())
    assert run.job and not run.dry_run
    # The same day again while tonight's job is queued or running: nothing new.
    again = await stub.RunEveningLoop(pb.RunEveningLoopRequest())
    assert not again.job and not again.selected_tools
    assert any(run.job in action for action in again.actions)

    job = await wait_for(system.trainer, run.job, ended, timeout_s=300)
    assert job.state == pb.JOB_STATE_SUCCEEDED, job.error
    assert job.spec.max_steps == 2 and job.progress.step == 2
    assert "held-out accuracy" in job.outcome
    assert f"published {job.adapter.name}@v{job.adapter.version}" in job.outcome, job.outcome
    assert "marked 9 examples" in job.outcome
    counts = await trained_counts(system)
    assert counts["read_file"] == (5, 5) and counts["ls"] == (4, 4)
    assert counts["run_terminal_command"] == (2, 0)

    adapters = await system.inference_stub.ListAdapters(ipb.ListAdaptersRequest())
    assert adapters.default_adapter == job.adapter.name
    loaded = {(a.name, a.version) for a in adapters.adapters if a.loaded}
    assert (job.adapter.name, job.adapter.version) in loaded

    third = await stub.RunEveningLoop(pb.RunEveningLoopRequest())
    assert not third.job and [t.already_trained for t in third.heavy_tools] == [True, True]
    assert "nothing new to train" in third.actions


async def test_publish_loads_into_the_running_inference_service(system: EveningSystem) -> None:
    stub = system.trainer.stub
    listed = await stub.ListAdapters(pb.ListAdaptersRequest())
    newest = max(listed.adapters, key=lambda a: (a.create_time.seconds, a.version))
    published = await stub.PublishAdapter(
        pb.PublishAdapterRequest(name=newest.name, version=newest.version)
    )
    assert published.inference_loaded, published.detail
    assert published.adapter.published and published.adapter.loaded
