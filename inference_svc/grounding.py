"""Argument values grounded in the request: the casing the user wrote.

The prompt tells the model to copy argument values from the request, and
the 135M model, imitating examples with lower-case paths, sometimes copies a
value with other casing ("header.tsx" for "Header.tsx"). Paths, URLs and
identifiers are case-sensitive, so a string argument that equals a span of
the request except for case is replaced by that span, as written. Values of
an enum, values found as written, and values that match no span (or spans
cased in more than one way) are left alone.
"""

from __future__ import annotations

from typing import Any

MIN_GROUNDED_CHARS = 3


def ground_arguments(
    arguments: dict[str, Any], request: str, properties: dict[str, Any]
) -> dict[str, Any]:
    """A copy of `arguments` whose string values take the request's casing."""
    if len(request.lower()) != len(request):
        return dict(arguments)  # casing changes length (rare scripts): offsets would not map
    grounded: dict[str, Any] = {}
    for key, value in arguments.items():
        schema = properties.get(key) if isinstance(properties.get(key), dict) else {}
        if "enum" in schema or "enum" in (schema.get("items") or {}):
            grounded[key] = value
        elif isinstance(value, str):
            grounded[key] = _as_written(value, request)
        elif isinstance(value, list):
            grounded[key] = [_as_written(v, request) if isinstance(v, str) else v for v in value]
        else:
            grounded[key] = value
    return grounded


def _as_written(value: str, request: str) -> str:
    if len(value) < MIN_GROUNDED_CHARS or value in request:
        return value
    lowered_request, lowered_value = request.lower(), value.lower()
    spans = set()
    start = lowered_request.find(lowered_value)
    while start != -1:
        spans.add(request[start : start + len(value)])
        start = lowered_request.find(lowered_value, start + 1)
    return spans.pop() if len(spans) == 1 else value
