"""The indexed example in Python: `ToolExampleRecord` mirrors proto `common.v1.ToolExample`.

JSONL files hold one `to_json_dict()` per line, which is exactly
`MessageToDict(to_proto(), preserving_proto_field_name=True)` (same keys, same
values) so `json_format.ParseDict(line, tools_pb2.ToolExample())` reads them.
Two differences from MessageToDict's output are deliberate and value-neutral:
arguments keep the call's key order (a protobuf Struct has none, which would
make files differ from run to run), and whole numbers stay integers.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from google.protobuf import json_format

from hybridtools.common.v1 import tools_pb2
from hybridtools.ecosystems.schemas import integral_floats_to_int
from hybridtools.prompting import PromptExample

KINDS = ("positive", "negative")
_KIND_TO_PROTO = {
    "positive": tools_pb2.EXAMPLE_KIND_POSITIVE,
    "negative": tools_pb2.EXAMPLE_KIND_NEGATIVE,
}
_PROTO_TO_KIND = {number: name for name, number in _KIND_TO_PROTO.items()}
# Fixed namespace: ids must be the same on every machine and every run.
_ID_NAMESPACE = uuid.UUID("6f3c2a9e-4b1d-5e8f-9a7c-2d4b6e8f0a1c")


@dataclass(frozen=True)
class ToolExampleRecord:
    id: str
    ecosystem: str
    tool_name: str
    request: str
    # The correct call; call_name is "" when the right answer is no call at all.
    call_name: str
    call_arguments: dict[str, Any] = field(hash=False)
    call_rendered: str
    usage_pattern: str
    kind: str  # "positive" | "negative"
    tool_version: str
    trained_in_adapter: bool = False
    quality_score: float = 1.0
    # Negative examples only.
    wrong_call_name: str = ""
    wrong_call_arguments: dict[str, Any] | None = field(default=None, hash=False)
    wrong_call_rendered: str = ""
    error_type: str = ""
    error_description: str = ""

    def to_proto(self) -> tools_pb2.ToolExample:
        message = tools_pb2.ToolExample(
            id=self.id,
            ecosystem=self.ecosystem,
            tool_name=self.tool_name,
            request=self.request,
            usage_pattern=self.usage_pattern,
            kind=_KIND_TO_PROTO[self.kind],
            tool_version=self.tool_version,
            trained_in_adapter=self.trained_in_adapter,
            quality_score=self.quality_score,
            error_type=self.error_type,
            error_description=self.error_description,
        )
        if self.call_name:
            _fill_call(message.call, self.call_name, self.call_arguments, self.call_rendered)
        if self.wrong_call_name:
            _fill_call(
                message.wrong_call,
                self.wrong_call_name,
                self.wrong_call_arguments or {},
                self.wrong_call_rendered,
            )
        return message

    @classmethod
    def from_proto(cls, message: tools_pb2.ToolExample) -> ToolExampleRecord:
        call_arguments = arguments_from_call(message.call)
        wrong_arguments = arguments_from_call(message.wrong_call)
        return cls(
            id=message.id,
            ecosystem=message.ecosystem,
            tool_name=message.tool_name,
            request=message.request,
            call_name=message.call.name,
            call_arguments=call_arguments,
            call_rendered=message.call.rendered,
            usage_pattern=message.usage_pattern,
            kind=_PROTO_TO_KIND.get(message.kind, "positive"),
            tool_version=message.tool_version,
            trained_in_adapter=message.trained_in_adapter,
            quality_score=round(message.quality_score, 4),
            wrong_call_name=message.wrong_call.name,
            wrong_call_arguments=wrong_arguments if message.wrong_call.name else None,
            wrong_call_rendered=message.wrong_call.rendered,
            error_type=message.error_type,
            error_description=message.error_description,
        )

    def to_json_dict(self) -> dict[str, Any]:
        data = json_format.MessageToDict(self.to_proto(), preserving_proto_field_name=True)
        # Same values as the Struct gives, in the call's own key order.
        if "arguments" in data.get("call", {}):
            data["call"]["arguments"] = _plain(self.call_arguments)
        if "arguments" in data.get("wrong_call", {}):
            data["wrong_call"]["arguments"] = _plain(self.wrong_call_arguments or {})
        return data

    def to_json_line(self) -> str:
        return json.dumps(self.to_json_dict(), ensure_ascii=False)

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> ToolExampleRecord:
        record = cls.from_proto(json_format.ParseDict(dict(data), tools_pb2.ToolExample()))
        # The JSON keeps the argument order the proto loses; take it from there.
        call = data.get("call") or {}
        wrong = data.get("wrong_call") or {}
        wrong_arguments = integral_floats_to_int(dict(wrong.get("arguments") or {}))
        return replace(
            record,
            call_arguments=integral_floats_to_int(dict(call.get("arguments") or {})),
            wrong_call_arguments=wrong_arguments if record.wrong_call_name else None,
        )

    def to_prompt_example(self) -> PromptExample:
        return PromptExample(
            request=self.request,
            call_name=self.call_name,
            call_arguments=self.call_arguments,
            kind=self.kind,
            wrong_call_name=self.wrong_call_name,
            wrong_call_arguments=self.wrong_call_arguments,
            error_description=self.error_description,
        )


def stable_id(
    ecosystem: str,
    kind: str,
    request: str,
    call_name: str,
    call_arguments: Mapping[str, Any],
    *,
    wrong_call_name: str = "",
    wrong_call_arguments: Mapping[str, Any] | None = None,
) -> str:
    """A UUID derived from the example's content, so upserting it twice is one example.

    The wrong call enters only when given, so a positive's id needs just the
    five positional parts; two negatives of one request with different wrong
    calls still get different ids.
    """
    parts: list[Any] = [ecosystem, kind, request, call_name, dict(call_arguments)]
    if wrong_call_name:
        parts += [wrong_call_name, dict(wrong_call_arguments or {})]
    key = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return str(uuid.uuid5(_ID_NAMESPACE, key))


def _fill_call(
    message: tools_pb2.ToolCall, name: str, arguments: Mapping[str, Any], rendered: str
) -> None:
    message.name = name
    message.rendered = rendered
    if arguments:
        message.arguments.update(_plain(arguments))


def arguments_from_call(call: tools_pb2.ToolCall) -> dict[str, Any]:
    """A call's arguments in the order its rendered form has them.

    Read straight from the Struct, the keys come in an order that changes from
    process to process (upb's map), and with them the prompts built from them.
    """
    arguments = integral_floats_to_int(json_format.MessageToDict(call.arguments))
    return _order_as_rendered(arguments, call.rendered)


def _order_as_rendered(arguments: dict[str, Any], rendered: str) -> dict[str, Any]:
    """A Struct has no key order; the rendered call has, in any of the three formats."""

    def position(key: str) -> tuple[int, str]:
        for marker in (f'"{key}":', f"<{key}>", f"BEGIN_ARG: {key}\n"):
            found = rendered.find(marker)
            if found != -1:
                return found, key
        return len(rendered), key

    return {key: arguments[key] for key in sorted(arguments, key=position)}


def _plain(value: Any) -> Any:
    """A JSON-compatible deep copy (tuples become lists) that keeps key order."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value
