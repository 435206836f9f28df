"""Runs the services as separate processes, as the cluster does.

Used by `make run` and by the tests that exercise the whole system: each
service is its own `python -m <service>` process on its own port; readiness
is the service's own `grpc.health.v1` answer, not a sleep.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # "retrieval"
    module: str  # "retrieval_svc"
    port: int
    # The health service name that means "this service is ready".
    health_service: str
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


class ServiceFailedError(RuntimeError):
    """A service exited or did not become healthy; the message holds its log tail."""


@dataclass
class RunningService:
    spec: ServiceSpec
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def health_status(address: str, service: str, timeout_s: float = 1.0) -> str:
    """SERVING / NOT_SERVING / UNKNOWN / UNREACHABLE."""
    with grpc.insecure_channel(address) as channel:
        try:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout_s
            )
        except grpc.RpcError:
            return "UNREACHABLE"
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)


class Supervisor:
    """Starts, watches and stops a set of service processes."""

    def __init__(self, log_dir: Path, base_env: Mapping[str, str] | None = None) -> None:
        self.log_dir = log_dir
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.base_env = dict(base_env if base_env is not None else os.environ)
        self.services: list[RunningService] = []

    def start(self, spec: ServiceSpec) -> RunningService:
        log_path = self.log_dir / f"{spec.name}.log"
        env = {**self.base_env, **spec.env}
        env.setdefault("LOG_FORMAT", "json")
        env.setdefault("HF_HUB_OFFLINE", "1")
        env.setdefault("TOKENIZERS_PARALLELISM", "false")
        with open(log_path, "ab") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-m", spec.module],
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the supervisor, which stops each cleanly
            )
        running = RunningService(spec, process, log_path)
        self.services.append(running)
        return running

    def wait_healthy(self, timeout_s: float = 300.0, on_wait: object = None) -> None:
        """Blocks until every started service says SERVING, or raises with its log."""
        deadline = time.monotonic() + timeout_s
        pending = list(self.services)
        while pending:
            for service in list(pending):
                code = service.process.poll()
                if code is not None:
                    raise ServiceFailedError(
                        f"{service.spec.name} exited with code {code} while starting; its log "
                        f"({service.log_path}):\n{service.log_tail()}"
                    )
                status = health_status(service.spec.address, service.spec.health_service)
                if status == "SERVING":
                    pending.remove(service)
            if pending and time.monotonic() > deadline:
                names = ", ".join(s.spec.name for s in pending)
                raise ServiceFailedError(
                    f"{names} not healthy after {timeout_s:.0f} s; last log lines:\n"
                    + "\n".join(f"[{s.spec.name}]\n{s.log_tail(15)}" for s in pending)
                )
            if pending:
                if callable(on_wait):
                    on_wait([s.spec.name for s in pending])
                time.sleep(0.5)

    def stop(self, grace_s: float = 15.0, only: Sequence[str] = ()) -> None:
        """SIGTERM (graceful drain), then SIGKILL after the grace period."""
        targets = [s for s in self.services if not only or s.spec.name in only]
        for service in targets:
            if service.process.poll() is None:
                service.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for service in targets:
            remaining = max(deadline - time.monotonic(), 0.1)
            try:
                service.process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                service.process.kill()
                service.process.wait()
        self.services = [s for s in self.services if s not in targets]

    def kill(self, name: str) -> None:
        """SIGKILL one service (for tests of a service going down)."""
        for service in self.services:
            if service.spec.name == name and service.process.poll() is None:
                service.process.kill()
                service.process.wait()
