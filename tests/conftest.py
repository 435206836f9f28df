"""Shared fixtures: real services on loopback ports, real embedded backends."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import grpc  # noqa: E402

from hybridtools.core.channels import aio_channel  # noqa: E402
from hybridtools.core.server import RunningServer, start_server  # noqa: E402
from hybridtools.retrieval.v1 import retrieval_service_pb2_grpc  # noqa: E402


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hybridtools")


@dataclass
class RetrievalUnderTest:
    server: RunningServer
    address: str
    channel: grpc.aio.Channel
    stub: retrieval_service_pb2_grpc.RetrievalServiceStub
    data_dir: Path
    import_dir: Path


async def start_retrieval(data_dir: Path, **settings: object) -> RetrievalUnderTest:
    """A real retrieval server on a free loopback port, embedded Qdrant under data_dir."""
    from retrieval_svc.config import RetrievalSettings
    from retrieval_svc.server import build_service

    import_dir = data_dir / "import"
    config = RetrievalSettings(
        host="127.0.0.1", port=0, data_dir=data_dir, import_dir=import_dir, **settings
    )
    token = config.admin_token.get_secret_value() if config.admin_token else ""
    server = await start_server(
        build_service(config), "127.0.0.1:0", config.max_message_mb, 1.0, token
    )
    address = f"127.0.0.1:{server.port}"
    channel = aio_channel(address)
    return RetrievalUnderTest(
        server,
        address,
        channel,
        retrieval_service_pb2_grpc.RetrievalServiceStub(channel),
        data_dir,
        import_dir,
    )


@pytest.fixture(scope="session")
async def retrieval(session_dir: Path) -> AsyncIterator[RetrievalUnderTest]:
    running = await start_retrieval(session_dir / "retrieval")
    yield running
    await running.channel.close()
    await running.server.stop()


# -- the whole system: three service processes (tests/system.py) --------------------

from .system import SystemUnderTest, start_system  # noqa: E402


@pytest.fixture(scope="session")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SystemUnderTest]:
    """`make run`'s topology on free ports, small Continue and Cursor sets indexed."""
    running = start_system(tmp_path_factory.mktemp("system"))
    yield running
    running.stop()
