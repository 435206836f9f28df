"""The gRPC server every service runs: interceptor, health, reflection, shutdown.

`serve()` builds a `grpc.aio` server around a service's servicers, turns
`grpc.health.v1` to SERVING once the service says it is ready, and on SIGTERM
or SIGINT turns health to NOT_SERVING and drains in-flight calls for the grace
period (as TGI's `serve_inner`).
"""

from __future__ import annotations

import asyncio
import hmac
import inspect
import signal
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import grpc
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from hybridtools.core.channels import KEEPALIVE_MIN_INTERVAL_MS
from hybridtools.core.errors import ServiceError, UnauthenticatedError

log = structlog.get_logger(__name__)

REQUEST_ID_KEY = "x-request-id"


def _request_id(metadata: Iterable[tuple[str, Any]] | None) -> str:
    for key, value in metadata or ():
        if key == REQUEST_ID_KEY and value:
            return str(value)[:128]
    return uuid.uuid4().hex


def _bearer_token(metadata: Iterable[tuple[str, Any]] | None) -> str:
    for key, value in metadata or ():
        if key == "authorization" and isinstance(value, str) and value.startswith("Bearer "):
            return value[len("Bearer ") :]
    return ""


class CanonicalLogInterceptor(grpc.aio.ServerInterceptor):
    """One log line per RPC, domain errors mapped to status codes, admin RPCs guarded.

    It wraps the handler's behaviour itself, not only the lookup, so that it
    times the whole call and sees the exceptions the handler raises.
    """

    def __init__(self, admin_methods: frozenset[str] = frozenset(), admin_token: str = "") -> None:
        self._admin_methods = admin_methods
        self._admin_token = admin_token

    def _check_admin(self, method: str, metadata: Iterable[tuple[str, Any]] | None) -> None:
        if not self._admin_token or method.rsplit("/", 1)[-1] not in self._admin_methods:
            return
        if not hmac.compare_digest(_bearer_token(metadata).encode(), self._admin_token.encode()):
            raise UnauthenticatedError(
                f"{method} changes state: send 'authorization: Bearer <admin token>' metadata"
            )

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method = handler_call_details.method
        metadata = handler_call_details.invocation_metadata
        request_id = _request_id(metadata)
        admin_check = lambda: self._check_admin(method, metadata)  # noqa: E731
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap_unary(handler.unary_unary, method, request_id, admin_check),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(handler.unary_stream, method, request_id, admin_check),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        # No client-streaming RPCs in these APIs; pass anything else through.
        return handler

    def _wrap_unary(
        self, behaviour: Any, method: str, request_id: str, admin_check: Callable[[], None]
    ) -> Any:
        async def wrapper(request: Any, context: grpc.aio.ServicerContext) -> Any:
            outcome = _Outcome(method, request_id)
            with structlog.contextvars.bound_contextvars(request_id=request_id):
                try:
                    context.set_trailing_metadata(((REQUEST_ID_KEY, request_id),))
                    admin_check()
                    return await behaviour(request, context)
                except BaseException as exc:
                    await outcome.fail(exc, context)
                    raise
                finally:
                    outcome.log(context)

        return wrapper

    def _wrap_stream(
        self, behaviour: Any, method: str, request_id: str, admin_check: Callable[[], None]
    ) -> Any:
        async def wrapper(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            outcome = _Outcome(method, request_id)
            with structlog.contextvars.bound_contextvars(request_id=request_id):
                try:
                    context.set_trailing_metadata(((REQUEST_ID_KEY, request_id),))
                    admin_check()
                    produced = behaviour(request, context)
                    if inspect.isawaitable(produced):
                        # A handler that streams with `context.write` (grpc's
                        # own HealthServicer.Watch) is a coroutine, not a generator.
                        await produced
                        return
                    async for response in produced:
                        yield response
                except BaseException as exc:
                    await outcome.fail(exc, context)
                    raise
                finally:
                    outcome.log(context)

        return wrapper


class _Outcome:
    """The status one RPC ended with, and its canonical log line."""

    def __init__(self, method: str, request_id: str) -> None:
        self.method = method
        self.request_id = request_id
        self.code = grpc.StatusCode.OK
        self.started = time.perf_counter()

    async def fail(self, exc: BaseException, context: grpc.aio.ServicerContext) -> None:
        """Records the status `exc` stands for; aborts the call for our own errors.

        `context.abort` raises grpc's AbortError, which replaces `exc` on its
        way out; exceptions grpc raises itself (an abort, a cancellation)
        carry their status already and are only recorded.
        """
        if isinstance(exc, ServiceError):
            self.code = exc.code
            await context.abort(exc.code, exc.message)
        elif isinstance(exc, asyncio.CancelledError):
            self.code = grpc.StatusCode.CANCELLED
        elif isinstance(exc, grpc.aio.AbortError):
            self.code = _status_code(context.code())
        else:
            self.code = grpc.StatusCode.INTERNAL
            log.error("unhandled error", method=self.method, exc_info=exc)
            await context.abort(
                grpc.StatusCode.INTERNAL, f"internal error (request id {self.request_id})"
            )

    def log(self, context: grpc.aio.ServicerContext) -> None:
        fields: dict[str, Any] = {
            "request_id": self.request_id,
            "method": self.method,
            "code": self.code.name,
            "duration_ms": round((time.perf_counter() - self.started) * 1000, 2),
        }
        details = context.details() if self.code != grpc.StatusCode.OK else None
        if details:
            fields["details"] = (
                details if isinstance(details, str) else details.decode(errors="replace")
            )
        log.info("rpc", **fields)


def _status_code(raw: Any) -> grpc.StatusCode:
    """context.code() as a StatusCode (aio gives the enum or its integer)."""
    if isinstance(raw, grpc.StatusCode):
        return raw
    for candidate in grpc.StatusCode:
        if candidate.value[0] == raw:
            return candidate
    return grpc.StatusCode.UNKNOWN


@dataclass
class ServiceDefinition:
    """What a service hands the scaffold."""

    name: str
    # Full service names for health and reflection ("hybridtools.retrieval.v1.RetrievalService").
    service_names: list[str]
    # Registers the servicers on the server.
    register: Callable[[grpc.aio.Server], None]
    # Awaited before health turns SERVING (load models, open stores).
    start: Callable[[], Awaitable[None]] | None = None
    # Awaited after the server stopped (flush, close).
    stop: Callable[[], Awaitable[None]] | None = None
    # RPC names (e.g. "SwapEcosystem") that need the admin token when one is set.
    admin_methods: frozenset[str] = frozenset()
    extra_options: list[tuple[str, Any]] = field(default_factory=list)


class RunningServer:
    """A started server: its port, its health servicer, a stop method."""

    def __init__(
        self,
        server: grpc.aio.Server,
        port: int,
        health_servicer: Any,
        definition: ServiceDefinition,
        grace_s: float,
    ) -> None:
        self.server = server
        self.port = port
        self.health = health_servicer
        self.definition = definition
        self.grace_s = grace_s

    async def set_serving(self, serving: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        await self.health.set("", status)
        for name in self.definition.service_names:
            await self.health.set(name, status)

    async def stop(self) -> None:
        await self.set_serving(False)
        await self.server.stop(self.grace_s)
        if self.definition.stop is not None:
            await self.definition.stop()
        log.info("server stopped", service=self.definition.name)


async def start_server(
    definition: ServiceDefinition,
    address: str,
    max_message_mb: int = 64,
    grace_s: float = 10.0,
    admin_token: str = "",
) -> RunningServer:
    """Starts serving on `address` ("127.0.0.1:0" picks a free port).

    Health is NOT_SERVING until `definition.start` has finished, so a client
    that waits on health never reaches a half-started service.
    """
    max_bytes = max_message_mb * 1024 * 1024
    options = [
        ("grpc.max_receive_message_length", max_bytes),
        ("grpc.max_send_message_length", max_bytes),
        ("grpc.so_reuseport", 0),
        # Accept the clients' keepalive pings (core/channels.py) on quiet calls.
        ("grpc.http2.min_ping_interval_without_data_ms", KEEPALIVE_MIN_INTERVAL_MS),
        *definition.extra_options,
    ]
    interceptor = CanonicalLogInterceptor(definition.admin_methods, admin_token)
    server = grpc.aio.server(interceptors=[interceptor], options=options)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    definition.register(server)
    reflection.enable_server_reflection(
        [*definition.service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
    )
    port = server.add_insecure_port(address)
    if port == 0:
        raise OSError(f"cannot listen on {address}")
    running = RunningServer(server, port, health_servicer, definition, grace_s)
    await running.set_serving(False)
    await server.start()
    log.info(
        "server listening", service=definition.name, address=address.rsplit(":", 1)[0] + f":{port}"
    )
    if definition.start is not None:
        try:
            await definition.start()
        except BaseException:
            # A service that cannot start must not linger half-alive on its port.
            await server.stop(0)
            if definition.stop is not None:
                await definition.stop()
            raise
    await running.set_serving(True)
    log.info("server ready", service=definition.name)
    return running


async def start_from_settings(definition: ServiceDefinition, settings: Any) -> RunningServer:
    """`start_server` with a service's settings (a `ServiceSettings`)."""
    return await start_server(
        definition,
        settings.address,
        settings.max_message_mb,
        settings.shutdown_grace_s,
        settings.admin_token.get_secret_value() if settings.admin_token else "",
    )


async def serve_forever(running: RunningServer) -> None:
    """Serves until SIGTERM or SIGINT, then stops gracefully."""
    loop = asyncio.get_running_loop()
    stop_requested = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop_requested.set)
    waiter = asyncio.create_task(running.server.wait_for_termination())
    stopper = asyncio.create_task(stop_requested.wait())
    await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
    log.info("shutting down", service=running.definition.name, grace_s=running.grace_s)
    await running.stop()
    for task in (waiter, stopper):
        task.cancel()
