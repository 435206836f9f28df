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


def channel_options(max_message_mb: int = 64) -> list[tuple[str, object]]:
    max_bytes = max_message_mb * 1024 * 1024
    return [
        ("grpc.max_receive_message_length", max_bytes),
        ("grpc.max_send_message_length", max_bytes),
        ("grpc.enable_retries", 1),
        ("grpc.service_config", _RETRY_SERVICE_CONFIG),
        ("grpc.keepalive_time_ms", 30_000),
    ]


def aio_channel(address: str, max_message_mb: int = 64) -> grpc.aio.Channel:
    """An insecure aio channel (in-cluster traffic; TLS belongs to the mesh)."""
    return grpc.aio.insecure_channel(address, options=channel_options(max_message_mb))


def sync_channel(address: str, max_message_mb: int = 64) -> grpc.Channel:
    return grpc.insecure_channel(address, options=channel_options(max_message_mb))
