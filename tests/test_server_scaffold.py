"""The shared server scaffold (hybridtools/core/server.py) with a service of its own."""

from __future__ import annotations

import asyncio

from grpc_health.v1 import health_pb2, health_pb2_grpc

from hybridtools.core.channels import aio_channel
from hybridtools.core.server import ServiceDefinition, start_server

SERVICE = "hybridtools.test.v1.Probe"


async def test_health_watch_streams_through_the_interceptor() -> None:
    """grpc's HealthServicer.Watch writes with context.write: a coroutine, not a generator."""
    definition = ServiceDefinition(name="probe", service_names=[SERVICE], register=lambda _: None)
    running = await start_server(definition, "127.0.0.1:0", grace_s=0.1)
    channel = aio_channel(f"127.0.0.1:{running.port}")
    try:
        watch = health_pb2_grpc.HealthStub(channel).Watch(
            health_pb2.HealthCheckRequest(service=SERVICE)
        )
        first = await asyncio.wait_for(watch.read(), 10)
        assert first.status == health_pb2.HealthCheckResponse.SERVING
        await running.set_serving(False)
        second = await asyncio.wait_for(watch.read(), 10)
        assert second.status == health_pb2.HealthCheckResponse.NOT_SERVING
        watch.cancel()
    finally:
        await channel.close()
        await running.stop()
