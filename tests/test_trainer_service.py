"""TrainerService over gRPC: real `accelerate launch` workers training the packaged model.

Each job here trains a few steps on short chat samples (one torch thread), so
the whole module takes about two minutes on the shared 2-core box. No
inference service runs here: publishing reports that it did not answer
(test_trainer_evening.py publishes to a real one).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from hybridtools.adapter_store import AdapterStore
from hybridtools.core.channels import aio_channel
from hybridtools.core.server import RunningServer, start_server
from hybridtools.llm.packaged import default_model_cache_dir
from hybridtools.trainer.v1 import trainer_service_pb2 as pb
from hybridtools.trainer.v1 import trainer_service_pb2_grpc as pb_grpc
from trainer_svc.config import TrainerSettings
from trainer_svc.launchers import LocalLauncher
from trainer_svc.server import build_service

pytestmark = pytest.mark.slow


def short_samples(count: int = 8) -> list[dict]:
    """Short chat samples (~45 tokens): fast steps, and a loss that visibly falls."""
    samples = []
    for index in range(count):
        path = f"src/module_{index}.py"
        samples.append(
            {
                "messages": [
                    {"role": "system", "content": "Reply with one JSON tool call."},
                    {"role": "user", "content": f"open {path}"},
                    {
                        "role": "assistant",
                        "content": json.dumps({"name": "read_file", "arguments": {"path": path}}),
                    },
                ]
            }
        )
    return samples


def unused_address() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


@dataclass
class TrainerUnderTest:
    server: RunningServer
    channel: grpc.aio.Channel
    stub: pb_grpc.TrainerServiceStub
    settings: TrainerSettings

    @property
    def store(self) -> AdapterStore:
        return AdapterStore(self.settings.resolved_adapter_dir())

    def record(self, name: str) -> dict:
        job_id = name.removeprefix("trainingJobs/")
        path = self.settings.state_dir("trainer") / "jobs" / job_id / "job.json"
        return json.loads(path.read_text())

    async def close(self) -> None:
        await self.channel.close()
        await self.server.stop()


def trainer_settings(root: Path, **overrides: object) -> TrainerSettings:
    values: dict[str, object] = {
        "port": 0,
        "data_dir": root / "trainer",
        "adapter_dir": root / "adapters",
        "model_dir": default_model_cache_dir(),
        "dataset_dir": root / "datasets",
        # Nothing listens there: publishing reports inference did not answer.
        "inference_address": unused_address(),
        "retrieval_address": unused_address(),
        "peer_timeout_s": 2.0,
        "worker_threads": 1,
        "poll_interval_s": 0.2,
        "checkpoint_every": 2,
        "cancel_grace_s": 5.0,
        **overrides,
    }
    return TrainerSettings(**values)


async def start_trainer(settings: TrainerSettings) -> TrainerUnderTest:
    service = build_service(settings, launcher=LocalLauncher(gpus=0))
    server = await start_server(service, "127.0.0.1:0", grace_s=1.0)
    channel = aio_channel(f"127.0.0.1:{server.port}")
    return TrainerUnderTest(server, channel, pb_grpc.TrainerServiceStub(channel), settings)


@pytest.fixture(scope="module")
async def trainer(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TrainerUnderTest]:
    root = tmp_path_factory.mktemp("trainer")
    settings = trainer_settings(root)
    datasets = settings.resolved_dataset_dir()
    datasets.mkdir(parents=True)
    with open(datasets / "short.jsonl", "w") as handle:
        for sample in short_samples():
            handle.write(json.dumps(sample) + "\n")
    (root / "outside.jsonl").write_text(json.dumps(short_samples(1)[0]) + "\n")
    running = await start_trainer(settings)
    yield running
    await running.close()


@pytest.fixture(autouse=True)
async def no_job_left_behind(trainer: TrainerUnderTest) -> AsyncIterator[None]:
    """A test that fails midway leaves its jobs queued or running; the next test's job would
    wait behind them and fail too. Cancel them, so one failure stays one failure."""
    yield
    try:
        listed = await trainer.stub.ListTrainingJobs(pb.ListTrainingJobsRequest(page_size=100))
        for job in listed.jobs:
            if job.state in (pb.JOB_STATE_QUEUED, pb.JOB_STATE_RUNNING):
                await trainer.stub.CancelTrainingJob(pb.CancelTrainingJobRequest(name=job.name))
    except grpc.aio.AioRpcError:
        pass  # a test that failed with its server stopped: its own failure says so


def short_spec(adapter: str, max_steps: int, **fields: object) -> pb.TrainingJobSpec:
    return pb.TrainingJobSpec(
        adapter_name=adapter,
        sources=[pb.DatasetSource(name="short", path="short.jsonl")],
        lora=pb.LoraSettings(rank=8),
        max_steps=max_steps,
        sequence_length=64,
        batch_size=2,
        learning_rate=3e-3,
        **fields,
    )


async def wait_for(
    trainer: TrainerUnderTest,
    name: str,
    done: Callable[[pb.TrainingJob], bool],
    timeout_s: float = 120.0,
) -> pb.TrainingJob:
    deadline = time.monotonic() + timeout_s
    while True:
        job = (await trainer.stub.GetTrainingJob(pb.GetTrainingJobRequest(name=name))).job
        if done(job):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job did not get there in {timeout_s} s: {job}")
        await asyncio.sleep(0.2)


def ended(job: pb.TrainingJob) -> bool:
    return job.state in (pb.JOB_STATE_SUCCEEDED, pb.JOB_STATE_FAILED, pb.JOB_STATE_CANCELLED)


def worker_pid(trainer: TrainerUnderTest, name: str) -> int:
    return int(trainer.record(name)["worker"]["worker_pid"])


def pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] == "Z"
    except (ProcessLookupError, FileNotFoundError):
        return True  # reaped, also between the two looks


async def test_health_serving(trainer: TrainerUnderTest) -> None:
    health = health_pb2_grpc.HealthStub(trainer.channel)
    response = await health.Check(
        health_pb2.HealthCheckRequest(service="hybridtools.trainer.v1.TrainerService")
    )
    assert response.status == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        (lambda s: setattr(s, "base_model", "no-such-model"), "INVALID_ARGUMENT", "base model"),
        (lambda s: s.sources[0].__setattr__("path", "missing.jsonl"), "NOT_FOUND", "missing"),
        (lambda s: s.sources[0].__setattr__("path", "../outside.jsonl"), "PERMISSION_DENIED", ""),
        (lambda s: s.ClearField("sources"), "INVALID_ARGUMENT", "empty"),
        (lambda s: setattr(s.lora, "rank", 0), "INVALID_ARGUMENT", "rank"),
        (lambda s: setattr(s.lora, "rank", 300), "INVALID_ARGUMENT", "rank"),
        (lambda s: setattr(s, "adapter_name", "Bad Name"), "INVALID_ARGUMENT", "adapter name"),
        (lambda s: setattr(s, "sequence_length", 8), "INVALID_ARGUMENT", "sequence_length"),
        (
            lambda s: s.sources[0].__setattr__("path", "builtin:nope"),
            "INVALID_ARGUMENT",
            "built-in",
        ),
        (lambda s: s.sources[0].__setattr__("path", "a\x00b"), "INVALID_ARGUMENT", "NUL byte"),
        (lambda s: setattr(s.sources[0], "weight", float("inf")), "INVALID_ARGUMENT", "weight"),
        (
            lambda s: setattr(s.sources[0], "sample_count", 1_000_000_000),
            "INVALID_ARGUMENT",
            "sample_count 1000000000",
        ),
        (lambda s: setattr(s.lora, "alpha", float("inf")), "INVALID_ARGUMENT", "lora.alpha"),
    ],
)
async def test_bad_specs_are_refused(
    trainer: TrainerUnderTest, change: Callable, code: str, words: str
) -> None:
    spec = short_spec("bad", 1)
    change(spec)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await trainer.stub.CreateTrainingJob(pb.CreateTrainingJobRequest(spec=spec))
    assert caught.value.code().name == code
    assert words in caught.value.details()


async def test_unknown_names_and_tokens(trainer: TrainerUnderTest) -> None:
    stub = trainer.stub
    cases = [
        (
            stub.GetTrainingJob(
                pb.GetTrainingJobRequest(name="trainingJobs/20200101-000000-abcdef")
            ),
            "NOT_FOUND",
        ),
        (stub.GetTrainingJob(pb.GetTrainingJobRequest(name="jobs/x")), "INVALID_ARGUMENT"),
        (
            stub.CancelTrainingJob(pb.CancelTrainingJobRequest(name="20200101-000000-abcdef")),
            "NOT_FOUND",
        ),
        (
            stub.ListTrainingJobs(pb.ListTrainingJobsRequest(page_token="garbage")),
            "INVALID_ARGUMENT",
        ),
        (stub.PublishAdapter(pb.PublishAdapterRequest(name="nothing-here")), "NOT_FOUND"),
        (stub.ListAdapters(pb.ListAdaptersRequest(name="nothing-here")), "NOT_FOUND"),
    ]
    for call, code in cases:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code().name == code


@pytest.mark.parametrize(
    ("source", "words"),
    [
        (
            pb.DatasetSource(name="a", path="builtin:guardrails", sample_count=1_000_000_000),
            "sample_count 1000000000 is above the cap",
        ),
        (pb.DatasetSource(name="a", path="builtin:guardrails", weight=float("inf")), "weight"),
        (pb.DatasetSource(name="a", path="builtin:guardrails", weight=float("nan")), "weight"),
        (pb.DatasetSource(name="a", path="a\x00b"), "NUL byte"),
    ],
)
async def test_preview_refuses_bad_sources_at_once(
    trainer: TrainerUnderTest, source: pb.DatasetSource, words: str
) -> None:
    """Refused before any sample is built: a billion samples once ran on past the deadline."""
    request = pb.PreviewDatasetMixRequest(sources=[source])
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await trainer.stub.PreviewDatasetMix(request, timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert words in caught.value.details()


async def test_adapter_names_that_are_paths_are_refused(trainer: TrainerUnderTest) -> None:
    """A name like "../adapters/x" reached adapter x through the path: publishing it wrote a
    serving.json the inference service could not resolve, so it fell back to the base model."""
    store = trainer.store
    staging = store.staging_dir("name-probe")
    (staging / "adapter_config.json").write_text("{}")
    store.commit("name-probe", staging, {})
    serving_file = store.root / "serving.json"
    serving_before = serving_file.read_bytes() if serving_file.exists() else None
    stub = trainer.stub
    calls = [
        stub.PublishAdapter(pb.PublishAdapterRequest(name="../adapters/name-probe")),
        stub.ListAdapters(pb.ListAdaptersRequest(name="./name-probe")),
        stub.RunEveningLoop(pb.RunEveningLoopRequest(adapter_name="../adapters/name-probe")),
    ]
    for call in calls:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "adapter name" in caught.value.details()
    assert (serving_file.read_bytes() if serving_file.exists() else None) == serving_before
    assert not (store.root / "name-probe" / "published.json").exists()


async def test_preview_reports_the_mix(trainer: TrainerUnderTest) -> None:
    request = pb.PreviewDatasetMixRequest(
        sources=[
            pb.DatasetSource(name="domain", path="short.jsonl", sample_count=20),
            pb.DatasetSource(path="builtin:tool_awareness", weight=0.3),
            pb.DatasetSource(path="builtin:guardrails", weight=0.2),
        ]
    )
    first = (await trainer.stub.PreviewDatasetMix(request)).mix
    again = (await trainer.stub.PreviewDatasetMix(request)).mix
    by_name = {source.name: source for source in first.sources}
    # Weights are shares of the whole mix beside the 20 fixed samples: 20 / (1 - 0.5).
    assert [by_name[n].samples for n in ("domain", "tool_awareness", "guardrails")] == [20, 12, 8]
    assert first.total_samples == 40
    assert sum(s.tokens for s in first.sources) == first.total_tokens
    assert abs(sum(s.token_share for s in first.sources) - 1) < 1e-3
    assert 0 < first.trainable_tokens < first.total_tokens
    assert len(first.dataset_hash) == 64 and first.dataset_hash == again.dataset_hash


async def test_train_watch_queue_and_cancel(trainer: TrainerUnderTest) -> None:
    stub = trainer.stub
    first = (
        await stub.CreateTrainingJob(pb.CreateTrainingJobRequest(spec=short_spec("short", 6)))
    ).job
    second = (
        await stub.CreateTrainingJob(pb.CreateTrainingJobRequest(spec=short_spec("long", 400)))
    ).job
    third = (
        await stub.CreateTrainingJob(pb.CreateTrainingJobRequest(spec=short_spec("long", 400)))
    ).job
    assert first.state == pb.JOB_STATE_QUEUED and first.spec.lora.alpha == 16  # 2 x rank
    # One job runs at a time; the others wait in order.
    assert (
        await stub.GetTrainingJob(pb.GetTrainingJobRequest(name=second.name))
    ).job.state == pb.JOB_STATE_QUEUED

    cancelled = (await stub.CancelTrainingJob(pb.CancelTrainingJobRequest(name=third.name))).job
    assert cancelled.state == pb.JOB_STATE_CANCELLED and "cancelled" in cancelled.error

    updates = [
        u.job async for u in stub.WatchTrainingJob(pb.WatchTrainingJobRequest(name=first.name))
    ]
    final = updates[-1]
    assert final.state == pb.JOB_STATE_SUCCEEDED, final.error
    steps = [u.progress.step for u in updates if u.state == pb.JOB_STATE_RUNNING]
    assert steps == sorted(steps) and len(set(steps)) >= 2 and max(steps) <= 6
    assert final.progress.step == final.progress.total_steps == 6
    assert final.progress.tokens_per_second > 0
    assert final.progress.loss < final.initial_loss  # the loss went down
    assert final.mix.total_samples == 8 and final.mix.trainable_tokens > 0
    assert final.adapter.name == "short" and final.adapter.version == 1
    assert final.adapter.final_loss > 0 and final.adapter.size_bytes > 0
    assert "stored short@v1" in final.outcome
    assert final.start_time.seconds and final.end_time.seconds

    listed = await stub.ListTrainingJobs(pb.ListTrainingJobsRequest(page_size=2))
    assert [j.name for j in listed.jobs] == [third.name, second.name] and listed.next_page_token
    rest = await stub.ListTrainingJobs(
        pb.ListTrainingJobsRequest(page_size=2, page_token=listed.next_page_token)
    )
    assert first.name in [j.name for j in rest.jobs]

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CancelTrainingJob(pb.CancelTrainingJobRequest(name=first.name))
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION

    running = await wait_for(trainer, second.name, lambda j: j.progress.step >= 1)
    assert running.state == pb.JOB_STATE_RUNNING
    pid = worker_pid(trainer, second.name)
    stopped = (await stub.CancelTrainingJob(pb.CancelTrainingJobRequest(name=second.name))).job
    assert stopped.state == pb.JOB_STATE_CANCELLED and "cancelled" in stopped.error
    assert pid_gone(pid)
    assert not trainer.store.versions("long")


async def restart_trainer(trainer: TrainerUnderTest, while_down: Callable[[], object]) -> None:
    """Stops the server (its workers go on), runs `while_down`, starts a new one on its state."""
    await trainer.server.stop()
    result = while_down()
    if asyncio.iscoroutine(result):
        await result
    await trainer.channel.close()
    restarted = await start_trainer(trainer.settings)
    trainer.server, trainer.channel, trainer.stub = (
        restarted.server,
        restarted.channel,
        restarted.stub,
    )


async def test_restarts_reattach_or_resume_and_a_killed_worker_fails(
    trainer: TrainerUnderTest,
) -> None:
    """A restarted server re-attaches to the worker that went on; when that worker ends with
    no result, the job resumes from its checkpoint. The machine 'crashes' (server and worker
    die): the next server resumes the job too. Then its worker is killed while the server
    runs: the job ends FAILED and the adapter that was serving keeps serving."""
    stub = trainer.stub
    published = await stub.PublishAdapter(pb.PublishAdapterRequest(name="short"))
    assert published.adapter.published and published.adapter.version == 1
    assert not published.inference_loaded and "did not answer" in published.detail
    assert trainer.store.serving().label == "short@v1"

    spec = short_spec("short", 400, publish=True)
    job = (await trainer.stub.CreateTrainingJob(pb.CreateTrainingJobRequest(spec=spec))).job

    def events() -> list[dict]:
        return [
            json.loads(line) for line in progress_file(trainer, job.name).read_text().splitlines()
        ]

    def resumes() -> int:
        return sum(e["event"] == "resumed" for e in events())

    def resumed_and_stepped(count: int) -> Callable[[pb.TrainingJob], bool]:
        def done(_: pb.TrainingJob) -> bool:
            kinds = [e["event"] for e in events()]
            last = len(kinds) - kinds[::-1].index("resumed") if "resumed" in kinds else 0
            return resumes() >= count and "step" in kinds[last:]

        return done

    await wait_for(trainer, job.name, lambda j: j.progress.step >= 3)  # checkpointed at 2
    first_worker = worker_pid(trainer, job.name)
    await restart_trainer(trainer, lambda: None)
    record = trainer.record(job.name)
    assert record["launches"] == 1 and record["worker"]["worker_pid"] == first_worker
    step = (await wait_for(trainer, job.name, lambda j: j.progress.step >= 4)).progress.step
    assert resumes() == 0 and step >= 4  # followed, not relaunched

    # The re-attached worker is not this server's child: no exit code, so its files decide.
    os.killpg(int(trainer.record(job.name)["worker"]["pid"]), signal.SIGKILL)
    await wait_for(trainer, job.name, resumed_and_stepped(1))
    assert trainer.record(job.name)["launches"] == 2

    second_worker = worker_pid(trainer, job.name)
    launcher_pid = int(trainer.record(job.name)["worker"]["pid"])

    async def crash() -> None:
        os.killpg(launcher_pid, signal.SIGKILL)
        while not (pid_gone(second_worker) and pid_gone(launcher_pid)):
            await asyncio.sleep(0.1)

    await restart_trainer(trainer, crash)
    await wait_for(trainer, job.name, resumed_and_stepped(2))
    seen = events()
    resumed_at = [e["step"] for e in seen if e["event"] == "resumed"]
    assert resumed_at[-1] >= 2 and trainer.record(job.name)["launches"] == 3
    steps = [e["step"] for e in seen if e["event"] == "step"]
    # The relaunched worker continues right after its checkpoint.
    assert steps[len(steps) - steps[::-1].index(resumed_at[-1] + 1) - 1 :] == list(
        range(resumed_at[-1] + 1, steps[-1] + 1)
    )
    third_worker = [e["pid"] for e in seen if e["event"] == "started"][-1]
    assert len({first_worker, second_worker, third_worker}) == 3

    os.kill(third_worker, signal.SIGKILL)
    failed = await wait_for(trainer, job.name, ended)
    assert failed.state == pb.JOB_STATE_FAILED
    assert "SIGKILL" in failed.error
    assert trainer.store.serving().label == "short@v1"
    listed = await trainer.stub.ListAdapters(pb.ListAdaptersRequest(name="short"))
    assert [(a.version, a.published) for a in listed.adapters] == [(1, True)]


async def test_a_reattached_worker_that_finishes_succeeds(trainer: TrainerUnderTest) -> None:
    """The worker that went on while the server restarted ends with its result: the job
    succeeds (without an exit code to read, its result file tells)."""
    spec = short_spec("tail", 8)
    job = (await trainer.stub.CreateTrainingJob(pb.CreateTrainingJobRequest(spec=spec))).job
    await wait_for(trainer, job.name, lambda j: j.progress.step >= 1)
    await restart_trainer(trainer, lambda: None)
    assert trainer.record(job.name)["phase"] == "training"  # re-attached, not requeued
    finished = await wait_for(trainer, job.name, ended)
    assert finished.state == pb.JOB_STATE_SUCCEEDED, finished.error
    assert finished.adapter.name == "tail" and trainer.record(job.name)["launches"] == 1


def progress_file(trainer: TrainerUnderTest, name: str) -> Path:
    job_id = name.removeprefix("trainingJobs/")
    return trainer.settings.state_dir("trainer") / "jobs" / job_id / "progress.jsonl"
