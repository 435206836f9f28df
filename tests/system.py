"""The whole system as `make run` runs it, for tests: three service processes.

Each service is its own `python -m <service>` process, started by
`hybridtools.supervisor.Supervisor` from `hybridtools.topology.local_specs`
on free loopback ports, with all state under a temporary
`HYBRIDTOOLS_DATA_DIR`; readiness is each service's own health answer.

Full-size ecosystems (~12K examples each) take minutes to embed on a 2-core
box, so the system indexes small ones instead: `hybridtools ecosystems build`
writes reduced example files into the retrieval service's import directory
(`<data>/datasets`) and each is swapped in from there, as an operator would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from hybridtools.core.channels import sync_channel
from hybridtools.llm.packaged import default_model_cache_dir
from hybridtools.retrieval.v1 import retrieval_service_pb2 as rpb
from hybridtools.retrieval.v1 import retrieval_service_pb2_grpc as rpb_grpc
from hybridtools.supervisor import Supervisor
from hybridtools.topology import DEFAULT_PORTS, local_specs
from hybridtools.trainer.v1 import trainer_service_pb2 as tpb
from hybridtools.trainer.v1 import trainer_service_pb2_grpc as tpb_grpc

# Set on every service, so that admin RPCs are tested the way production
# (k8s/) runs them: with `authorization: Bearer <token>` metadata.
ADMIN_TOKEN = "system-test-admin-token"
_UNFINISHED_JOBS = (tpb.JOB_STATE_QUEUED, tpb.JOB_STATE_RUNNING)


@dataclass(frozen=True)
class SmallEcosystems:
    """What the system indexes before the tests see it (the launcher's order: Continue active)."""

    ecosystems: tuple[str, ...] = ("continue", "cursor")
    active: str = "continue"
    positives: int = 300
    negatives: int = 60
    held_out: int = 20
    # The generic training sets the build also writes; jobs in tests take a few samples.
    training_samples: int = 50


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now; held open together so they differ."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def build_small_datasets(
    datasets_dir: Path, small: SmallEcosystems, env: Mapping[str, str]
) -> None:
    """`hybridtools ecosystems build` with reduced counts (~3 s)."""
    command = [
        sys.executable,
        "-m",
        "hybridtools.cli",
        "ecosystems",
        "build",
        "--out",
        str(datasets_dir),
        "--positives",
        str(small.positives),
        "--negatives",
        str(small.negatives),
        "--held-out",
        str(small.held_out),
        "--tool-awareness",
        str(small.training_samples),
        "--tool-awareness-held-out",
        str(small.training_samples),
        "--guardrails",
        str(small.training_samples),
        "--no-tool-held-out",
        str(small.training_samples),
    ]
    for ecosystem in small.ecosystems:
        command += ["--ecosystem", ecosystem]
    built = subprocess.run(command, env=dict(env), capture_output=True, text=True, timeout=300)
    if built.returncode != 0:
        raise RuntimeError(f"ecosystems build failed:\n{built.stdout}\n{built.stderr}")


@dataclass
class SystemUnderTest:
    # Commands run here: `.data` below it is the data directory, as in a checkout.
    root: Path
    data_dir: Path
    ports: dict[str, int]
    supervisor: Supervisor
    admin_token: str = ADMIN_TOKEN
    # Seconds each setup stage took ("start", "build", "index continue", ...).
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def datasets_dir(self) -> Path:
        """The retrieval service's import directory and the trainer's dataset directory."""
        return self.data_dir / "datasets"

    def address(self, service: str) -> str:
        return f"127.0.0.1:{self.ports[service]}"

    @property
    def admin_metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.admin_token}"),)

    def client_env(self) -> dict[str, str]:
        """Environment for a client process (`hybridtools status`, grpcurl scripts)."""
        env = dict(os.environ)
        env["HYBRIDTOOLS_DATA_DIR"] = str(self.data_dir)
        env["HYBRIDTOOLS_ADMIN_TOKEN"] = self.admin_token
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        for service, port in self.ports.items():
            env[f"{service.upper()}_PORT"] = str(port)
        return env

    def log_tails(self, lines: int = 20) -> str:
        return "\n".join(
            f"[{service.spec.name}]\n{service.log_tail(lines)}"
            for service in self.supervisor.services
        )

    def stop(self) -> None:
        """Cancels unfinished training jobs (their workers outlive the trainer), then stops."""
        try:
            with sync_channel(self.address("trainer")) as channel:
                stub = tpb_grpc.TrainerServiceStub(channel)
                listed = stub.ListTrainingJobs(
                    tpb.ListTrainingJobsRequest(page_size=100), timeout=5
                )
                for job in listed.jobs:
                    if job.state in _UNFINISHED_JOBS:
                        stub.CancelTrainingJob(
                            tpb.CancelTrainingJobRequest(name=job.name),
                            metadata=self.admin_metadata,
                            timeout=30,
                        )
        except grpc.RpcError:
            pass  # the trainer is down already: nothing of it to cancel
        self.supervisor.stop()


def index_from_import_dir(system: SystemUnderTest, small: SmallEcosystems) -> None:
    """Swaps each built file in by its import-dir path, as the runbook does."""
    with sync_channel(system.address("retrieval")) as channel:
        stub = rpb_grpc.RetrievalServiceStub(channel)
        for ecosystem in small.ecosystems:
            started = time.perf_counter()
            request = rpb.SwapEcosystemRequest(
                ecosystem=ecosystem,
                jsonl_path=f"{ecosystem}.indexed.jsonl",
                activate=ecosystem == small.active,
                wait_for_tool_router=True,
            )
            progress = list(
                stub.SwapEcosystem(request, metadata=system.admin_metadata, timeout=600)
            )
            if not progress or progress[-1].stage != rpb.SwapEcosystemResponse.STAGE_DONE:
                raise RuntimeError(f"swap of {ecosystem} ended without a result")
            system.timings[f"index {ecosystem}"] = time.perf_counter() - started


def start_system(
    root: Path,
    small: SmallEcosystems | None = None,
    admin_token: str = ADMIN_TOKEN,
    start_timeout_s: float = 600.0,
) -> SystemUnderTest:
    """Builds small datasets, starts the three services, waits for health, indexes.

    The base model's converted copy is shared with the rest of the test run
    (`HYBRIDTOOLS_MODEL_DIR`), so the inference service does not convert it again.
    """
    small = small or SmallEcosystems()
    data_dir = root / ".data"
    ports = dict(zip(DEFAULT_PORTS, free_ports(len(DEFAULT_PORTS)), strict=True))
    env = dict(os.environ)
    env.setdefault("HYBRIDTOOLS_MODEL_DIR", str(default_model_cache_dir()))
    env["HYBRIDTOOLS_DATA_DIR"] = str(data_dir)
    env["HYBRIDTOOLS_ADMIN_TOKEN"] = admin_token
    # One torch thread per training worker: the box is shared with the other services.
    env.setdefault("TRAINER_WORKER_THREADS", "1")
    for service, port in ports.items():
        env[f"{service.upper()}_PORT"] = str(port)
    supervisor = Supervisor(data_dir / "logs", env)
    system = SystemUnderTest(root, data_dir, ports, supervisor, admin_token)

    started = time.perf_counter()
    build_small_datasets(system.datasets_dir, small, env)
    system.timings["build"] = time.perf_counter() - started
    started = time.perf_counter()
    for spec in local_specs(data_dir, env):
        supervisor.start(spec)
    try:
        supervisor.wait_healthy(timeout_s=start_timeout_s)
        system.timings["start"] = time.perf_counter() - started
        index_from_import_dir(system, small)
    except BaseException:
        supervisor.stop()
        raise
    return system
