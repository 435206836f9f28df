"""ISO-8601 strings (how state files keep times) as protobuf Timestamps."""

from __future__ import annotations

from datetime import datetime

from google.protobuf import timestamp_pb2


def timestamp_from_iso(iso: str) -> timestamp_pb2.Timestamp | None:
    """None for an empty string: the field stays unset."""
    if not iso:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(datetime.fromisoformat(iso))
    return stamp
