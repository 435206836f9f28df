"""Client channels between the services (and for tests and the CLI)."""

from __future__ import annotations

import json

import grpc

# Retries UNAVAILABLE (a peer restarting, a rolling update) a few times with
# backoff; every other status goes straight back to the caller.
_RETRY_SERVICE_CONFIG = json.dumps(
    {
        "methodConfig": [
            {
                "name": [{}],
                "retryPolicy": {
                    "maxAttempts": 4,
                    "initialBackoff": "0.1s",
                    "maxBackoff": "2s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
    }
)


KEEPALIVE_TIME_MS = 30_000
# What a server accepts: gRPC's default is one ping per 5 minutes, and more
# end the connection with "too many pings" (UNAVAILABLE) after two strikes.
KEEPALIVE_MIN_INTERVAL_MS = 20_000


def bearer_metadata(admin_token: str) -> tuple[tuple[str, str], ...]:
    """Metadata for an admin RPC (none when the system runs without a token)."""
    return (("authorization", f"Bearer {admin_token}"),) if admin_token else ()


def channel_options(max_message_mb: int = 64) -> list[tuple[str, object]]:
    max_bytes = max_message_mb * 1024 * 1024
    return [
        ("grpc.max_receive_message_length", max_bytes),
        ("grpc.max_send_message_length", max_bytes),
        ("grpc.enable_retries", 1),
        ("grpc.service_config", _RETRY_SERVICE_CONFIG),
        # Pings keep a quiet long call (WatchTrainingJob while a worker loads,
        # a swap embedding) alive through proxies; servers accept one every
        # KEEPALIVE_MIN_INTERVAL_MS (core/server.py), so this stays above it.
        ("grpc.keepalive_time_ms", KEEPALIVE_TIME_MS),
    ]


def aio_channel(address: str, max_message_mb: int = 64) -> grpc.aio.Channel:
    """An insecure aio channel (in-cluster traffic; TLS belongs to the mesh)."""
    return grpc.aio.insecure_channel(address, options=channel_options(max_message_mb))


def sync_channel(address: str, max_message_mb: int = 64) -> grpc.Channel:
    return grpc.insecure_channel(address, options=channel_options(max_message_mb))
