"""The system under test: the three services as separate processes, or a running one.

Started here: `Supervisor` + `topology.local_specs` on free loopback ports,
with a data directory of the bench's own (so nothing of `make run`'s state is
touched and every run starts from an empty index and adapter store) and the
shared base-model cache (the packaged model is converted once, not per run).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from hybridtools.core.channels import sync_channel
from hybridtools.inference.v1 import inference_service_pb2_grpc as ipb_grpc
from hybridtools.llm.packaged import default_model_cache_dir
from hybridtools.retrieval.v1 import retrieval_service_pb2_grpc as rpb_grpc
from hybridtools.supervisor import Supervisor
from hybridtools.topology import local_specs
from hybridtools.trainer.v1 import trainer_service_pb2_grpc as tpb_grpc

SERVICES = ("retrieval", "inference", "trainer")


@dataclass
class System:
    addresses: dict[str, str]
    # Root of the services' state (HYBRIDTOOLS_DATA_DIR); None when unknown
    # (a running system given by address only).
    data_dir: Path | None
    started: bool
    channels: dict[str, grpc.Channel] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def retrieval(self) -> rpb_grpc.RetrievalServiceStub:
        return rpb_grpc.RetrievalServiceStub(self.channels["retrieval"])

    @property
    def inference(self) -> ipb_grpc.InferenceServiceStub:
        return ipb_grpc.InferenceServiceStub(self.channels["inference"])

    @property
    def trainer(self) -> tpb_grpc.TrainerServiceStub:
        return tpb_grpc.TrainerServiceStub(self.channels["trainer"])

    @property
    def dataset_dir(self) -> Path | None:
        """Where the trainer reads JSONL sources (its default: <data dir>/datasets)."""
        if self.data_dir is None:
            return None
        configured = self.env.get("TRAINER_DATASET_DIR") or os.environ.get("TRAINER_DATASET_DIR")
        return Path(configured) if configured else self.data_dir / "datasets"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def say(text: str) -> None:
    print(text, flush=True)


@contextmanager
def started_system(data_dir: Path, start_timeout_s: float = 600.0) -> Iterator[System]:
    """The three services on free ports over `data_dir`, stopped on exit."""
    data_dir.mkdir(parents=True, exist_ok=True)
    model_dir = os.environ.get("HYBRIDTOOLS_MODEL_DIR") or str(default_model_cache_dir())
    ports = {f"{name.upper()}_PORT": str(free_port()) for name in SERVICES}
    env = {
        **os.environ,
        **ports,
        "HYBRIDTOOLS_DATA_DIR": str(data_dir),
        "HYBRIDTOOLS_MODEL_DIR": model_dir,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "LOG_FORMAT": "json",
    }
    # Settings of the bench's own services must not leak in from the caller's shell.
    for name in SERVICES:
        for suffix in ("_DATA_DIR", "_HOST", "_ADDRESS"):
            env.pop(f"{name.upper()}{suffix}", None)
    for variable in ("RETRIEVAL_IMPORT_DIR", "TRAINER_DATASET_DIR", "HYBRIDTOOLS_ADAPTER_DIR"):
        env.pop(variable, None)
    supervisor = Supervisor(data_dir / "logs", base_env=env)
    specs = local_specs(data_dir, env)
    missing = sorted(set(SERVICES) - {spec.name for spec in specs})
    if missing:
        raise RuntimeError(f"this checkout lacks {', '.join(missing)}")
    try:
        for spec in specs:
            supervisor.start(spec)
        names = ", ".join(spec.name for spec in specs)
        say(f"started {names}; waiting for health (logs in {data_dir / 'logs'})")
        supervisor.wait_healthy(timeout_s=start_timeout_s)
        addresses = {spec.name: spec.address for spec in specs}
        system = System(addresses, data_dir, started=True, env=env)
        with _channels(system):
            yield system
    finally:
        supervisor.stop()


@contextmanager
def running_system(addresses: dict[str, str], data_dir: Path | None) -> Iterator[System]:
    """A system someone else runs, by address."""
    system = System(addresses, data_dir, started=False)
    with _channels(system):
        yield system


@contextmanager
def _channels(system: System) -> Iterator[None]:
    system.channels = {name: sync_channel(address) for name, address in system.addresses.items()}
    try:
        yield
    finally:
        for channel in system.channels.values():
            channel.close()
